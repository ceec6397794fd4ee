"""Phone numbers, e-mail handles and contact names shared by every kind that shows people.

Messages, calls, WhatsApp and others store the other party as a raw handle
(``+1 (919) 579-0479``, ``0919 5790479``, ``Friend@iCloud.com``); the user wants to
read the name they saved in Contacts. :class:`ContactIndex` reads the address book
once and answers "whose handle is this?" with the tolerant matching iOS itself
uses: phone numbers compare on their last nine digits (so national and
international spellings meet), e-mail addresses compare case-insensitively.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reclaim.case.context import ScanContext
    from reclaim.vfs import Entry

#: Where iOS keeps the address book (HomeDomain).
ADDRESS_BOOK = "Library/AddressBook/AddressBook.sqlitedb"
#: Digits compared when matching phone numbers: enough to be unique, few enough to ignore prefixes.
MATCH_DIGITS = 9

_KEYPAD = {c: d for d, letters in {
    "2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ",
}.items() for c in letters}
_PHONE_CHARS = re.compile(r"^[\d\s()+\-./A-Za-z*#]+$")


def is_email(handle: str) -> bool:
    """Whether a handle is an e-mail address (iMessage / FaceTime Apple ID) rather than a number."""
    return "@" in handle


#: Keypad digits for ASCII letters; the separators a number may hold are deleted.
_DIGITS_TABLE = str.maketrans({**_KEYPAD, **{c.lower(): d for c, d in _KEYPAD.items()},
                               **dict.fromkeys(" \t\n\r\f\v()+-./*#")})


def phone_digits(value: str) -> str:
    """The digits of a phone number; vanity letters (``1-800-MY-APPLE``) become keypad digits."""
    if not value or is_email(value) or not _PHONE_CHARS.match(value.strip()):
        return ""
    # What is left after the table is digits (any script's) and, rarely, Unicode spaces.
    digits = value.translate(_DIGITS_TABLE)
    return digits if digits.isdigit() else "".join(c for c in digits if c.isdigit())


def handle_key(handle: str | None) -> str | None:
    """A comparison key for a phone number or e-mail handle (``None`` when there is nothing to match)."""
    if not handle:
        return None
    handle = handle.strip()
    if handle.lower().startswith(("mailto:", "tel:")):
        handle = handle.split(":", 1)[1]
    if is_email(handle):
        return handle.lower()
    digits = phone_digits(handle)
    if len(digits) < 3:
        return None
    return digits[-MATCH_DIGITS:]


def _is_cjk(text: str) -> bool:
    if text.isascii():  # the common case, without a Unicode name per character
        return False
    return any(unicodedata.name(c, "").startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA")) for c in text)


def person_name(
    first: str | None = None,
    last: str | None = None,
    middle: str | None = None,
    *,
    prefix: str | None = None,
    suffix: str | None = None,
    organization: str | None = None,
    nickname: str | None = None,
) -> str:
    """A contact's display name as the iPhone shows it.

    Chinese, Japanese and Korean names are written family name first without a
    space (王小明); a card without a personal name shows its company.
    """
    first, last, middle = (first or "").strip(), (last or "").strip(), (middle or "").strip()
    if first or last or middle:
        cjk = _is_cjk(first + last) and not middle
        core = last + first if cjk else " ".join(p for p in (first, middle, last) if p)
        return " ".join(p for p in ((prefix or "").strip(), core, (suffix or "").strip()) if p)
    for other in (organization, nickname):
        if other and other.strip():
            return other.strip()
    return ""


@dataclass
class ContactIndex:
    """Names of the people in the address book, looked up by phone number or e-mail."""

    names: dict[str, str] = field(default_factory=dict)
    #: The device owner's name (the "My Card" contact), when the address book knows it.
    owner: str | None = None
    owner_handles: set[str] = field(default_factory=set)
    #: Answers of :meth:`name` by handle: a phone's handful of people are looked up once each.
    _found: dict[str | None, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def add(self, name: str, handles: Iterable[str]) -> None:
        """Remember a contact's handles (the first contact to claim a handle keeps it)."""
        if not name:
            return
        for handle in handles:
            key = handle_key(handle)
            if key and key not in self.names:
                self.names[key] = name
                self._found.clear()

    def name(self, handle: str | None) -> str | None:
        """The contact name of a handle, or ``None`` when nobody in Contacts has it."""
        try:
            return self._found[handle]
        except KeyError:
            pass
        key = handle_key(handle)
        found = self.names.get(key) if key else None
        if len(self._found) < 100_000:
            self._found[handle] = found
        return found

    def display(self, handle: str | None) -> str:
        """The contact name of a handle, else the handle itself (never empty when the handle is not)."""
        return self.name(handle) or (handle or "")

    def me(self) -> str:
        """How the owner is shown as a sender: their name when known, else "Me"."""
        return self.owner or "Me"

    @classmethod
    def load(cls, ctx: ScanContext) -> ContactIndex:
        """Read the device address book (live rows only); an absent or odd one gives an empty index.

        Messages, calls, voicemail and WhatsApp each ask for it during one scan: the index of
        the last source read is kept (while that source object lives) and given again when the
        address book's entry is the same, instead of reading 20,000 cards four times.
        """
        entry = ctx.get("HomeDomain", ADDRESS_BOOK)
        if entry is None or not entry.is_file:
            return cls()
        last = _last_loaded
        if last is not None and last[0]() is ctx.fs and last[1] == entry and type(last[2]) is cls:
            return last[2]
        index = cls._read(ctx, entry)
        with contextlib.suppress(TypeError):  # a source that cannot be weakly referenced is not cached
            _remember(weakref.ref(ctx.fs), entry, index)
        return index

    @classmethod
    def _read(cls, ctx: ScanContext, entry: Entry) -> ContactIndex:
        index = cls()
        with ctx.optional_database(entry, "people are shown by their numbers and addresses, not by name") as db:
            if db is None or not db.has("ABPerson") or not db.has("ABMultiValue"):
                return index
            people: dict[int, str] = {}
            for row in db.rows(
                f"SELECT ROWID, {db.col('ABPerson', 'First')}, {db.col('ABPerson', 'Last')},"
                f" {db.col('ABPerson', 'Middle')}, {db.col('ABPerson', 'Organization')},"
                f" {db.col('ABPerson', 'Nickname')} FROM ABPerson ORDER BY ROWID"
            ):
                people[row[0]] = person_name(row["First"], row["Last"], row["Middle"],
                                             organization=row["Organization"], nickname=row["Nickname"])
            me_id = None
            if db.has("ABStore", "MeIdentifier"):
                for row in db.rows("SELECT MeIdentifier FROM ABStore WHERE MeIdentifier > 0 ORDER BY ROWID"):
                    if row[0] in people:
                        me_id = row[0]
                        break
            for row in db.rows(
                "SELECT record_id, value FROM ABMultiValue WHERE property IN (3, 4) AND value IS NOT NULL"
                " ORDER BY record_id, UID"
            ):
                if row[0] == me_id:
                    key = handle_key(str(row[1]))
                    if key:
                        index.owner_handles.add(key)
                    continue
                index.add(people.get(row[0], ""), [str(row[1])])
            if me_id is not None and people.get(me_id):
                index.owner = people[me_id]
        return index

    def is_owner(self, handle: str | None) -> bool:
        """Whether a handle is one of the owner's own numbers or addresses."""
        key = handle_key(handle)
        return bool(key) and key in self.owner_handles


#: (source, address-book entry, its index) of the last :meth:`ContactIndex.load`.
_last_loaded: tuple[weakref.ref[Any], Entry, ContactIndex] | None = None


def _remember(source: weakref.ref[Any], entry: Entry, index: ContactIndex) -> None:
    global _last_loaded
    _last_loaded = (source, entry, index)
