"""Contacts: the iPhone address book (``AddressBook.sqlitedb``) with photos, live and deleted cards.

The address book is a plain SQLite database: one ``ABPerson`` row per card and one
``ABMultiValue`` row per phone number, e-mail, address, URL ... (``property`` says
which; ``label`` points at ``ABMultiValueLabel``, whose values look like
``_$!<Mobile>!$_`` for Apple's own labels). Postal addresses keep their parts in
``ABMultiValueEntry`` keyed by ``ABMultiValueEntryKey`` (Street, City, ZIP ...).
Photos live in ``AddressBookImages.sqlitedb``. Deleted cards are carved from the
free space and the WAL of ``ABPerson``/``ABMultiValue``.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reclaim.artifacts._phone import person_name
from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    from_apple_time,
)
from reclaim.case.context import Database, ScanContext
from reclaim.media import sniff_mime

DOMAIN = "HomeDomain"
ADDRESS_BOOK = "Library/AddressBook/AddressBook.sqlitedb"
IMAGES = "Library/AddressBook/AddressBookImages.sqlitedb"

#: ABMultiValue.property values and the record field each one fills.
PROPERTIES = {3: "phones", 4: "emails", 5: "addresses", 12: "dates", 13: "instant_messages", 22: "urls",
              23: "related_names", 46: "social_profiles"}
#: Properties whose parts live in ABMultiValueEntry rather than in ABMultiValue.value.
ENTRY_PROPERTIES = {5, 13, 46}
#: ABMultiValueEntryKey values of a postal address, and our field names.
ADDRESS_KEYS = {"Street": "street", "SubLocality": "sublocality", "City": "city",
                "SubAdministrativeArea": "subregion", "State": "state", "ZIP": "zip", "Country": "country",
                "CountryCode": "country_code"}
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
#: The ABPerson columns a card is built from (a missing one reads as NULL).
PERSON_COLUMNS = ("First", "Last", "Middle", "Prefix", "Suffix", "Nickname", "Organization", "Department",
                  "JobTitle", "Note", "FirstPhonetic", "MiddlePhonetic", "LastPhonetic", "Birthday", "StoreID",
                  "CreationDate", "ModificationDate", "guid")
#: A year-less birthday is stored in the year 1604 (as Contacts does).
NO_YEAR = 1604


def clean_label(label: str | None) -> str:
    """``_$!<Mobile>!$_`` → ``Mobile``; custom labels are kept as typed."""
    if not label:
        return ""
    match = _APPLE_LABEL.match(label)
    return match.group(1) if match else label


def birthday_text(value: Any) -> str | None:
    """ABPerson.Birthday (seconds since 2001 as text) as ``YYYY-MM-DD`` (``--MM-DD`` without a year)."""
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    when = from_apple_time(seconds) if seconds else from_apple_time(1e-9)
    if when is None:
        return None
    if when.year == NO_YEAR:
        return f"--{when.month:02d}-{when.day:02d}"
    return when.date().isoformat()


def format_address(parts: dict[str, str]) -> str:
    """A one-line postal address from its parts, in the order a letter is written."""
    order = ("street", "sublocality", "city", "subregion", "state", "zip", "country")
    return ", ".join(parts[k] for k in order if parts.get(k))


@dataclass(kw_only=True)
class Contact(Record):
    """One address-book card. ``phones``/``emails``/``urls``... are lists of ``{label, value}``."""

    KIND = "contacts"

    name: str = ""
    first: str = ""
    middle: str = ""
    last: str = ""
    prefix: str = ""
    suffix: str = ""
    nickname: str = ""
    phonetic: str = ""
    organization: str = ""
    department: str = ""
    job_title: str = ""
    phones: list[dict[str, str]] = field(default_factory=list)
    emails: list[dict[str, str]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    urls: list[dict[str, str]] = field(default_factory=list)
    instant_messages: list[dict[str, str]] = field(default_factory=list)
    social_profiles: list[dict[str, str]] = field(default_factory=list)
    related_names: list[dict[str, str]] = field(default_factory=list)
    dates: list[dict[str, str]] = field(default_factory=list)
    birthday: str | None = None
    note: str = ""
    groups: list[str] = field(default_factory=list)
    store: str = ""
    is_me: bool = False
    created: datetime | None = None
    modified: datetime | None = None
    photo: MediaRef | None = None
    guid: str = ""

    def search_text(self) -> str:
        parts = [self.name, self.organization, self.job_title, self.nickname, self.note, *self.groups]
        for items in (self.phones, self.emails, self.addresses, self.urls, self.instant_messages,
                      self.social_profiles, self.related_names):
            parts.extend(item.get("value", "") for item in items)
        return "\n".join(p for p in parts if p)


class ContactsArtifact(Artifact):
    """Cards of the iPhone's Contacts app, with their photos; deleted cards carved from the database."""

    kind = "contacts"
    title = "Contacts"
    record = Contact
    files = (FileSpec(DOMAIN, ADDRESS_BOOK),)
    view = "cards"
    formats = ("vcard",)

    def extract(self, ctx: ScanContext) -> Iterator[Contact]:
        entry = ctx.get(DOMAIN, ADDRESS_BOOK)
        if entry is None or not entry.is_file:
            return
        photos = _PhotoSource(ctx)
        try:
            with ctx.database(entry) as db:
                if not db.has("ABPerson"):
                    ctx.warn(f"{db.source}: no ABPerson table; not an address book")
                    return
                book = _Book(db)
                live_ids: set[int] = set()
                live_guids: set[str] = set()
                for values, multi in book.people():
                    rowid = values["rowid"]
                    contact = book.contact(values, multi)
                    contact.groups = book.groups.get(rowid, [])
                    contact.photo = photos.photo(rowid)
                    live_ids.add(rowid)
                    if contact.guid:
                        live_guids.add(contact.guid)
                    yield contact
                if ctx.options.recover_deleted:
                    yield from book.recovered(ctx, live_ids, live_guids)
        finally:
            photos.close()


class _Book:
    """Lookup tables of one address book, shared by live and recovered cards."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.labels = self._table("ABMultiValueLabel")
        self._clean: dict[int, str] = {}  # label id → clean_label(label)
        self.keys = self._table("ABMultiValueEntryKey")
        self.stores: dict[int, str] = {}
        self.me: set[int] = set()
        if db.has("ABStore"):
            for row in db.rows(f"SELECT ROWID, {db.col('ABStore', 'Name')}, {db.col('ABStore', 'MeIdentifier')}"
                               " FROM ABStore"):
                self.stores[row[0]] = row["Name"] or ""
                if row["MeIdentifier"] and row["MeIdentifier"] > 0:
                    self.me.add(row["MeIdentifier"])
        self.groups: dict[int, list[str]] = defaultdict(list)
        if db.has("ABGroup") and db.has("ABGroupMembers"):
            for row in db.rows("SELECT m.member_id, g.Name FROM ABGroupMembers m JOIN ABGroup g"
                               " ON g.ROWID = m.group_id ORDER BY g.Name"):
                if row[1]:
                    self.groups[row[0]].append(row[1])
        self.entries: dict[int, dict[int, str]] = defaultdict(dict)
        if db.has("ABMultiValueEntry"):
            for row in db.rows("SELECT parent_id, key, value FROM ABMultiValueEntry ORDER BY parent_id, key"):
                if row[2] is not None:
                    self.entries[row[0]][row[1]] = str(row[2])

    def _table(self, name: str) -> dict[int, str]:
        if not self.db.has(name):
            return {}
        return {row[0]: row[1] for row in self.db.rows(f"SELECT ROWID, value FROM {name}")}

    def people(self) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Every live ABPerson row (the columns :meth:`contact` reads) with its ABMultiValue rows
        (phones, e-mails, addresses ...) in property and UID order.

        Two streams in ROWID order merged side by side, rather than one query per card:
        the cards and their multi-values are each read once.
        """
        db = self.db
        sql = f"SELECT ROWID AS rowid, {', '.join(db.col('ABPerson', c) for c in PERSON_COLUMNS)} FROM ABPerson" \
              " ORDER BY ROWID"
        names = ("rowid", *PERSON_COLUMNS)
        people = db.conn.execute(sql)
        people.row_factory = None
        multi: Iterator[tuple[Any, ...]] = iter(())
        if db.has("ABMultiValue"):
            multi = db.conn.execute(
                "SELECT record_id, UID, property, label, value FROM ABMultiValue"
                " WHERE typeof(record_id) IN ('integer', 'real') ORDER BY record_id, property, UID")
            multi.row_factory = None  # type: ignore[attr-defined]
        pending = next(multi, None)
        while batch := people.fetchmany(1000):
            for row in batch:
                rowid = row[0]
                values: list[dict[str, Any]] = []
                while pending is not None and pending[0] < rowid:
                    pending = next(multi, None)
                while pending is not None and pending[0] == rowid:
                    values.append({"UID": pending[1], "property": pending[2], "label": pending[3],
                                   "value": pending[4]})
                    pending = next(multi, None)
                yield dict(zip(names, row, strict=True)), values

    def contact(self, person: dict[str, Any], values: list[dict[str, Any]]) -> Contact:
        """Build a card from an ABPerson row and its ABMultiValue rows."""
        text = {k: _text(person.get(k)) for k in ("First", "Last", "Middle", "Prefix", "Suffix", "Nickname",
                                                   "Organization", "Department", "JobTitle", "Note")}
        phonetic = " ".join(p for p in (_text(person.get("FirstPhonetic")), _text(person.get("MiddlePhonetic")),
                                        _text(person.get("LastPhonetic"))) if p)
        rowid = person["rowid"]
        created = from_apple_time(_number(person.get("CreationDate")))
        contact = Contact(
            id=f"contacts:{rowid}",
            date=created,
            source=self.db.source,
            name=person_name(text["First"], text["Last"], text["Middle"], prefix=text["Prefix"],
                             suffix=text["Suffix"], organization=text["Organization"], nickname=text["Nickname"]),
            first=text["First"], middle=text["Middle"], last=text["Last"], prefix=text["Prefix"],
            suffix=text["Suffix"], nickname=text["Nickname"], phonetic=phonetic,
            organization=text["Organization"], department=text["Department"], job_title=text["JobTitle"],
            note=text["Note"], birthday=birthday_text(person.get("Birthday")),
            store=self.stores.get(person.get("StoreID") or 0, ""), is_me=rowid in self.me,
            created=created,
            modified=from_apple_time(_number(person.get("ModificationDate"))),
            guid=_text(person.get("guid")),
        )
        for value in values:
            self._add_value(contact, value)
        return contact

    def _add_value(self, contact: Contact, row: dict[str, Any]) -> None:
        prop = row.get("property")
        name = PROPERTIES.get(prop) if isinstance(prop, int) else None
        if name is None:
            return
        label_id = row.get("label")
        label = self._clean.get(label_id) if isinstance(label_id, int) else None
        if label is None:
            label = clean_label(self.labels.get(label_id) if isinstance(label_id, int) else None)
            if isinstance(label_id, int):
                self._clean[label_id] = label
        item: dict[str, str] = {"label": label}
        if prop in ENTRY_PROPERTIES:
            parts = {self.keys.get(k, str(k)): v for k, v in self.entries.get(row.get("UID") or -1, {}).items()}
            if prop == 5:
                item.update({ADDRESS_KEYS[k]: v for k, v in parts.items() if k in ADDRESS_KEYS})
                item["value"] = format_address(item)
            else:
                item.update({k.lower(): v for k, v in parts.items()})
                item["value"] = parts.get("username") or parts.get("url") or _text(row.get("value"))
        elif prop == 12:
            when = birthday_text(row.get("value"))
            item["value"] = when or _text(row.get("value"))
        else:
            item["value"] = _text(row.get("value"))
        if item.get("value"):
            getattr(contact, name).append(item)

    def recovered(self, ctx: ScanContext, live_ids: set[int], live_guids: set[str]) -> Iterator[Contact]:
        """Deleted cards carved from the database, with the phone numbers and e-mails carved beside them.

        When a card's own row is gone but its entry in the Contacts search index
        (``ABPersonFullTextSearch_content``) survives, the card is rebuilt from that.
        """
        people: dict[int, Any] = {}
        values: dict[int, dict[Any, dict[str, Any]]] = defaultdict(dict)
        indexed: list[Any] = []
        tables = ["ABPerson", "ABMultiValue", "ABPersonFullTextSearch_content"]
        for carved in self.db.carve(tables=tables):
            rowid = carved.rowid
            if carved.table == "ABPerson" and rowid is not None:
                guid = _text(carved.values.get("guid"))
                if rowid in live_ids or (guid and guid in live_guids) or not _has_identity(carved.values):
                    continue
                best = people.get(rowid)
                if best is None or _filled(carved.values) > _filled(best.values):
                    people[rowid] = carved
            elif carved.table == "ABMultiValue":
                owner = carved.values.get("record_id")
                if isinstance(owner, int) and owner not in live_ids:
                    key = carved.values.get("guid") or rowid
                    values[owner].setdefault(key, {**carved.values, "UID": rowid})
            elif carved.table == "ABPersonFullTextSearch_content" and (rowid is None or rowid not in live_ids):
                indexed.append(carved)
        names: set[tuple[str, str, str]] = set(self._live_names())
        for rowid in sorted(people):
            carved = people[rowid]
            contact = self.contact({**carved.values, "rowid": rowid}, sorted(
                values.get(rowid, {}).values(), key=lambda v: (v.get("property") or 0, v.get("UID") or 0)))
            contact.id = f"contacts:deleted:{rowid}"
            names.add((contact.first, contact.last, contact.organization))
            yield _deleted(contact, carved)
        for n, carved in enumerate(indexed):
            contact = self._from_index(carved, n, values)
            key = (contact.first, contact.last, contact.organization)
            if contact.name and key not in names and (carved.rowid is None or carved.rowid not in people):
                names.add(key)
                yield _deleted(contact, carved)

    def _live_names(self) -> Iterator[tuple[str, str, str]]:
        for row in self.db.rows(f"SELECT {self.db.col('ABPerson', 'First')}, {self.db.col('ABPerson', 'Last')},"
                                f" {self.db.col('ABPerson', 'Organization')} FROM ABPerson"):
            yield _text(row[0]), _text(row[1]), _text(row[2])

    def _from_index(self, carved: Any, n: int, values: dict[int, dict[Any, dict[str, Any]]]) -> Contact:
        """A deleted card rebuilt from its search-index row (names, numbers, e-mails, company)."""
        v = {k.lstrip("c0123456789"): _text(x) for k, x in carved.values.items()}
        rowid = carved.rowid
        if isinstance(rowid, int) and rowid in values:
            contact = self.contact({"rowid": rowid, "First": v.get("First"), "Last": v.get("Last"),
                                    "Organization": v.get("Organization")}, list(values[rowid].values()))
        else:
            contact = self.contact({"rowid": rowid or 0, "First": v.get("First"), "Last": v.get("Last"),
                                    "Organization": v.get("Organization"), "Note": v.get("Note"),
                                    "JobTitle": v.get("JobTitle"), "Nickname": v.get("Nickname")}, [])
            contact.phones = [{"label": "", "value": p} for p in index_phones(v.get("Phone", ""))]
            contact.emails = [{"label": "", "value": e} for e in v.get("Email", "").split() if "@" in e]
            if v.get("URL"):
                contact.urls = [{"label": "", "value": u} for u in v["URL"].split()]
        contact.id = f"contacts:deleted:index:{rowid if rowid is not None else n}"
        return contact


def index_phones(value: str) -> list[str]:
    """The numbers in a search-index Phone column (each number is followed by its dialling variants).

    The international ``+<digits>`` spelling of each number is kept; when there is
    none, the column's first word is.
    """
    found: list[str] = []
    for token in value.split():
        if re.fullmatch(r"\+\d{6,}", token) and token not in found:
            found.append(token)
    if not found and value.strip():
        found.append(value.split()[0])
    return found


def _deleted(contact: Contact, carved: Any) -> Contact:
    contact.deleted = True
    contact.provenance = Provenance(area=carved.area, page=carved.page, offset=carved.offset, frame=carved.frame,
                                    confidence=carved.confidence, partial=carved.partial)
    return contact


class _PhotoSource:
    """Contact photos from AddressBookImages.sqlitedb (the full-size image, else the thumbnail)."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self._stack: Any = None
        self.db: Database | None = None
        #: (role, query, ids of the cards with a picture in that table), full size first.
        self.queries: list[tuple[str, str, set[Any]]] = []
        entry = ctx.get(DOMAIN, IMAGES)
        if entry is None or not entry.is_file:
            return
        self._stack = contextlib.ExitStack()
        db = self._stack.enter_context(ctx.optional_database(entry, "the contacts' pictures are left out"))
        self.db = db if db is not None and (db.has("ABThumbnailImage") or db.has("ABFullSizeImage")) else None
        if self.db is None:
            return
        for role, table, order in (("full", "ABFullSizeImage", ""), ("thumbnail", "ABThumbnailImage",
                                                                     " ORDER BY format DESC")):
            if self.db.has(table, "data"):
                ids = {row[0] for row in self.db.rows(f"SELECT DISTINCT record_id FROM {table}"
                                                      " WHERE data IS NOT NULL")}
                self.queries.append((role, f"SELECT data FROM {table} WHERE record_id = ? AND data IS NOT NULL"
                                           f"{order}", ids))

    def photo(self, person: int) -> MediaRef | None:
        """The card's picture stored in the case (``None`` when it has none)."""
        for role, sql, ids in self.queries:
            if person not in ids:
                continue  # nothing to read: most cards have no picture
            for row in self.db.rows(sql, (person,)):
                data = bytes(row[0])
                mime = sniff_mime(data[:64])
                if not mime.startswith("image/"):
                    continue  # old iOS kept raw pixel thumbnails: not a file anyone can open
                ext = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}.get(mime, "img")
                return self.ctx.media_bytes(data, name=f"contact-{person}.{ext}", mime=mime, role=role,
                                            origin=f"{DOMAIN}/{IMAGES}")
        return None

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _has_identity(values: dict[str, Any]) -> bool:
    """Whether a carved ABPerson row names somebody (a fragment without a name is not a card)."""
    return any(isinstance(values.get(k), str) and values[k].strip()
               for k in ("First", "Last", "Organization", "Nickname", "Middle"))


def _filled(values: dict[str, Any]) -> int:
    return sum(1 for v in values.values() if v not in (None, ""))
