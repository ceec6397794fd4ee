"""Dates shown in local time, quickly: the report's pages and the plain-text transcripts show every message's.

The case stores dates as ISO 8601 UTC (``…Z``). Converting each with ``datetime.astimezone`` costs more than
everything else a transcript line does; the local offset changes a few times a year at most, so it is looked up
once per day (:class:`LocalClock`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from reclaim.artifacts.base import parse_iso

_DAY = "%A %d %B %Y"
_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z")


class LocalClock:
    """ISO UTC dates (``...Z``, as the case stores them) shown in local time (the machine's, or ``zone``), quickly.

    The local UTC offset changes a few times a year at most, so it is looked up (``astimezone``)
    once per UTC day, with the names of the days around it; a time of that day is then shifted
    by the offset with integer arithmetic. A day whose offset changes (a DST switch) or is not a
    whole number of minutes falls back to the exact conversion.
    """

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone
        self._days: dict[str, tuple[int, tuple[str, str, str], tuple[str, str, str]] | None] = {}

    def _day(self, value: str) -> tuple[int, tuple[str, str, str], tuple[str, str, str]] | None:
        """(offset in minutes, local day labels and dates of the day before, the day, the day after)."""
        key = value[:10]
        if key in self._days:
            return self._days[key]
        entry = None
        try:
            start = datetime(int(value[:4]), int(value[5:7]), int(value[8:10]), tzinfo=UTC)
            offset = start.astimezone(self.zone).utcoffset()
            if offset is not None and offset == (start + timedelta(seconds=86399)).astimezone(self.zone).utcoffset():
                seconds = int(offset.total_seconds())
                if seconds % 60 == 0 and -1440 < seconds // 60 < 1440:
                    before, day, after = ((start + timedelta(days=k)).date() for k in (-1, 0, 1))
                    entry = (seconds // 60, (before.strftime(_DAY), day.strftime(_DAY), after.strftime(_DAY)),
                             (before.isoformat(), day.isoformat(), after.isoformat()))
        except (OverflowError, ValueError):  # the first or last day a date can name (a recovered row's garbage)
            entry = None
        if len(self._days) > 100_000:
            self._days.clear()
        self._days[key] = entry
        return entry

    def _shift(self, value: str) -> tuple[int, int, int, tuple[str, str, str], tuple[str, str, str]] | None:
        """Local (hour, minute, day index into the labels) of a ``...Z`` date, or ``None`` to convert exactly."""
        if not _UTC_ISO.fullmatch(value):
            return None
        entry = self._day(value)
        if entry is None:
            return None
        offset, labels, dates = entry
        minutes = int(value[11:13]) * 60 + int(value[14:16]) + offset
        day, minutes = divmod(minutes, 1440)  # day is -1, 0 or 1
        return minutes // 60, minutes % 60, day + 1, labels, dates

    def offset(self, value: str | None) -> str | None:
        """The local UTC offset at a date, as ``UTC+01:00`` (``None`` for no readable date)."""
        if not value:
            return None
        entry = self._day(value) if _UTC_ISO.fullmatch(value) else None
        if entry is not None:
            minutes = entry[0]
        else:
            moment = self._moment(value)
            if moment is None:
                return None
            delta = moment.utcoffset()
            minutes = int(delta.total_seconds() // 60) if delta is not None else 0
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def parts(self, value: str | None) -> tuple[str, str] | None:
        """``("HH:MM", "Weekday DD Month YYYY")`` in local time, or ``None`` for no (or no readable) date."""
        if not value:
            return None
        shifted = self._shift(value)
        if shifted is not None:
            hour, minute, day, labels, _ = shifted
            return f"{hour:02d}:{minute:02d}", labels[day]
        moment = self._moment(value)
        if moment is None:
            return None
        return moment.strftime("%H:%M"), moment.strftime(_DAY)

    def local(self, value: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """An ISO UTC date shown in local time with a ``strftime`` format."""
        if not value:
            return ""
        if fmt == "%Y-%m-%d %H:%M":
            shifted = self._shift(value)
            if shifted is not None:
                hour, minute, day, _, dates = shifted
                return f"{dates[day]} {hour:02d}:{minute:02d}"
        moment = self._moment(value)
        return moment.strftime(fmt) if moment else ""

    def _moment(self, value: str) -> datetime | None:
        """A date in local time the exact way; in UTC when local time would fall outside what a date can name."""
        moment = parse_iso(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(self.zone)
        except OverflowError:
            return moment


#: The machine's clock, shared by the report's pages (its cache of days is kept between them).
CLOCK = LocalClock()


def local(value: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO UTC date shown in the machine's local time."""
    return CLOCK.local(value, fmt)
