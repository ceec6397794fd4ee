"""Sample address book: ~40 cards with photos, labels, a group, Chinese and Arabic names, deleted cards.

The schema is the iPhone's own (``AddressBook.sqlitedb`` as iOS 15 writes it, with the
contact-poster columns iOS 17 added to ``ABPerson``), including the triggers that run
on deletion. Two cards are deleted from the main file with ``secure_delete`` off (so
their bytes stay in free space, as on a phone), then the database switches to WAL
and three newer cards plus one more deletion exist only in the ``-wal``.

:data:`PEOPLE` is shared with the messages and calls samples so handles resolve to names.
"""

from __future__ import annotations

import io
import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "HomeDomain"
ADDRESS_BOOK = "Library/AddressBook/AddressBook.sqlitedb"
IMAGES = "Library/AddressBook/AddressBookImages.sqlitedb"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """One sample card."""

    first: str = ""
    last: str = ""
    organization: str = ""
    job_title: str = ""
    phones: tuple[tuple[str, str], ...] = ()
    emails: tuple[tuple[str, str], ...] = ()
    address: dict[str, str] = field(default_factory=dict)
    url: str = ""
    birthday: str = ""  # YYYY-MM-DD
    note: str = ""
    nickname: str = ""
    photo: tuple[int, int, int] | None = None  # background colour of a generated JPEG
    group: str = ""


M, H, W, IPHONE, MAIN = "_$!<Mobile>!$_", "_$!<Home>!$_", "_$!<Work>!$_", "iPhone", "_$!<Main>!$_"

#: The owner's own card ("My Card").
OWNER = Person("Alex", "Morgan", phones=((M, "+44 7700 900123"),), emails=((H, "alex.morgan@icloud.com"),),
               photo=(40, 90, 160))

PEOPLE: tuple[Person, ...] = (
    Person("Sam", "Carter", phones=((M, "07700 900456"),), emails=((H, "sam.carter@example.com"),),
           birthday="1991-06-15", photo=(200, 80, 60), group="Family", note="Likes climbing; allergic to nuts"),
    Person("Priya", "Patel", phones=((IPHONE, "+44 7700 900789"), (W, "+44 20 7946 0321")),
           emails=((W, "priya.patel@northwind.example"),), organization="Northwind Ltd", job_title="Architect",
           photo=(90, 160, 90)),
    Person("Jamie", "Lee", phones=((M, "+447700900234"),), emails=((H, "Jamie.Lee@Example.org"),), group="Family"),
    Person("Mum", "", phones=((M, "07700 900345"), (H, "01632 960001")), group="Family", photo=(230, 180, 70),
           address={"Street": "12 Orchard Lane", "City": "Bristol", "ZIP": "BS1 4DJ", "Country": "United Kingdom",
                    "CountryCode": "gb"}),
    Person("小明", "王", phones=((M, "+86 138 0013 8000"),), emails=((H, "xiaoming.wang@example.cn"),),
           photo=(160, 40, 40), note="大学同学"),
    Person("秀英", "李", phones=((M, "+86 139 1234 5678"),)),
    Person("فاطمة", "الزهراء", phones=((M, "+971 50 123 4567"),), emails=((W, "fatima@example.ae"),),
           organization="شركة الخليج", photo=(30, 120, 120)),
    Person("Omar", "Haddad", phones=((M, "+971 55 765 4321"),)),
    Person("Chloé", "Dubois", phones=((M, "+33 6 12 34 56 78"),), emails=((H, "chloe.dubois@example.fr"),),
           birthday="1988-02-29"),
    Person("Lukas", "Schneider", phones=((M, "+49 151 23456789"),)),
    Person("Ana", "Silva", phones=((W, "+351 912 345 678"),), organization="Clínica Boa Saúde",
           job_title="GP"),
    Person("Tom", "Baker", phones=((M, "07700 900567"),), nickname="Tommy"),
    Person("Ella", "Wright", phones=((M, "07700 900678"),), emails=((H, "ella.w@example.com"),), photo=(120, 60, 160)),
    Person("Noah", "Evans", phones=((M, "07700 900789"),)),
    Person("Olivia", "Hughes", phones=((M, "07700 900890"),), birthday="1995-11-03"),
    Person("Harry", "Green", phones=((M, "07700 900901"),), emails=((W, "harry.green@contoso.example"),),
           organization="Contoso", job_title="Sales"),
    Person("Grace", "Hall", phones=((M, "07700 900012"),)),
    Person("Leo", "King", phones=((M, "+44 7700 900111"), ("Gym", "+44 7700 900112"))),
    Person("Zara", "Ahmed", phones=((M, "+44 7700 900222"),), photo=(250, 120, 170)),
    Person("Ben", "Turner", phones=((M, "+44 7700 900333"),)),
    Person("Mia", "Scott", phones=((M, "+44 7700 900444"),), emails=((H, "mia.scott@example.com"),)),
    Person("Jack", "Cooper", phones=((M, "+44 7700 900555"),)),
    Person("Isla", "Ward", phones=((M, "+44 7700 900666"),), birthday="--04-12"),
    Person("Oscar", "Morris", phones=((M, "+44 7700 900777"),)),
    Person("Ruby", "Price", phones=((M, "+44 7700 900888"),)),
    Person("Charlie", "Bell", phones=((M, "+44 7700 900999"),)),
    Person("Freya", "Cook", phones=((M, "+44 7700 900100"),)),
    Person("Alfie", "Murphy", phones=((M, "+44 7700 900200"),)),
    Person("Poppy", "Bailey", phones=((M, "+44 7700 900300"),)),
    Person("Archie", "Rivera", phones=((M, "+1 (415) 555-0142"),), emails=((W, "archie@fabrikam.example"),),
           organization="Fabrikam Inc.", url="https://fabrikam.example"),
    Person("", "", organization="Bristol Dental Care", phones=((MAIN, "0117 496 0123"),),
           address={"Street": "5 Park Street", "City": "Bristol", "ZIP": "BS1 5NT", "Country": "United Kingdom",
                    "CountryCode": "gb"}, url="https://dental.example"),
    Person("", "", organization="Apple Inc.", phones=((MAIN, "1-800-MY-APPLE"),), url="http://www.apple.com",
           address={"Street": "One Apple Park Way", "City": "Cupertino", "State": "CA", "ZIP": "95014",
                    "Country": "United States", "CountryCode": "us"}),
    Person("Yuki", "Tanaka", phones=((M, "+81 90-1234-5678"),)),
    Person("Mateo", "García", phones=((M, "+34 612 345 678"),), emails=((H, "mateo.garcia@example.es"),)),
    Person("Sofia", "Rossi", phones=((M, "+39 312 345 6789"),)),
    Person("Ethan", "Brown", phones=((M, "07700 900321"),), group="Work"),
    Person("Amelia", "Clarke", phones=((M, "07700 900432"),), group="Work", job_title="Team lead",
           organization="Northwind Ltd"),
    Person("Henry", "Fox", emails=((H, "henry.fox@icloud.example"),)),
)

#: Cards deleted from the main database file (their bytes stay in its free space).
DELETED: tuple[Person, ...] = (
    Person("Jordan", "Blake", phones=((M, "07700 900987"),), emails=((H, "jordan.blake@example.com"),),
           note="met at the conference"),
    Person("Old", "Landlord", phones=((M, "07700 900876"),)),
)
#: Cards added after the switch to WAL mode (they exist only in the -wal).
WAL_ONLY: tuple[Person, ...] = (
    Person("Nina", "Kowalski", phones=((M, "+48 512 345 678"),), emails=((H, "nina.k@example.pl"),)),
    Person("Plumber", "Dave", phones=((M, "07700 900765"),)),
    Person("Temp", "Contact", phones=((M, "07700 900654"),)),
)
#: The WAL card deleted again before the backup (recoverable from the WAL only).
WAL_DELETED = "Temp"

SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE ABStore (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT, ExternalIdentifier TEXT, Type INTEGER,
 ConstraintsPath TEXT, ExternalModificationTag TEXT, ExternalSyncTag TEXT, StoreInternalIdentifier TEXT,
 AccountID INTEGER DEFAULT -1, Enabled INTEGER DEFAULT 1, SyncData BLOB, MeIdentifier INTEGER DEFAULT -1,
 Capabilities INTEGER DEFAULT 0, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), LastSyncDate TEXT,
 UNIQUE(StoreInternalIdentifier), UNIQUE(guid));
CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT,
 FirstPhonetic TEXT, MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT, Department TEXT, Note TEXT,
 Kind INTEGER, Birthday TEXT, JobTitle TEXT, Nickname TEXT, Prefix TEXT, Suffix TEXT, FirstSort TEXT, LastSort TEXT,
 CreationDate INTEGER, ModificationDate INTEGER, CompositeNameFallback TEXT, ExternalIdentifier TEXT,
 ExternalModificationTag TEXT, ExternalUUID TEXT, StoreID INTEGER, DisplayName TEXT, ExternalRepresentation BLOB,
 FirstSortSection TEXT, LastSortSection TEXT, FirstSortLanguageIndex INTEGER DEFAULT 2147483647,
 LastSortLanguageIndex INTEGER DEFAULT 2147483647, PersonLink INTEGER DEFAULT -1, ImageURI TEXT,
 IsPreferredName INTEGER DEFAULT 1, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), PhonemeData TEXT,
 AlternateBirthday TEXT, MapsData TEXT, FirstPronunciation TEXT, MiddlePronunciation TEXT, LastPronunciation TEXT,
 OrganizationPhonetic TEXT, OrganizationPronunciation TEXT, PreviousFamilyName TEXT, PreferredLikenessSource TEXT,
 PreferredPersonaIdentifier TEXT, PreferredChannel TEXT, DowntimeWhitelist TEXT, ImageType TEXT, ImageHash BLOB,
 MemojiMetadata BLOB, Wallpaper BLOB, DisplayFlags INTEGER, WatchWallpaperImageData BLOB, WallpaperMetadata BLOB,
 ImageBackgroundColorsData BLOB, SensitiveContentConfiguration BLOB, WallpaperURI TEXT, UNIQUE(guid));
CREATE TABLE ABPersonChanges (record INTEGER, type INTEGER, sequence_number INTEGER, Image INTEGER,
 ExternalIdentifier TEXT, StoreID INTEGER, PersonLink INTEGER, guid TEXT, Changes INTEGER, LinkToPersonUUID TEXT,
 PersonLinkUUID TEXT);
CREATE TABLE ABPersonLink (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, PreferredImagePersonID INTEGER DEFAULT -1,
 PreferredNamePersonID INTEGER DEFAULT -1, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), UNIQUE(guid));
CREATE TABLE ABPersonSearchKey (person_id INTEGER, SearchKey BLOB, NameOnlySearchKey BLOB, UNIQUE(person_id));
CREATE TABLE ABGroup (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT, ExternalIdentifier TEXT, StoreID INTEGER,
 ExternalModificationTag TEXT, ExternalRepresentation BLOB, ExternalUUID TEXT,
 guid TEXT NOT NULL DEFAULT (ab_generate_guid()), UNIQUE(guid));
CREATE TABLE ABGroupChanges (record INTEGER, type INTEGER, sequence_number INTEGER, ExternalIdentifier TEXT,
 StoreID INTEGER, guid TEXT);
CREATE TABLE ABAccount (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, AccountIdentifier TEXT, Flags INTEGER,
 DefaultSourceID INTEGER, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), UNIQUE(guid));
CREATE TABLE ABGroupMembers (UID INTEGER PRIMARY KEY, group_id INTEGER, member_type INTEGER, member_id INTEGER,
 UNIQUE(group_id, member_type, member_id));
CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, identifier INTEGER,
 label INTEGER, value TEXT, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), UNIQUE(guid));
CREATE TABLE ABMultiValueLabel (value TEXT, UNIQUE(value));
CREATE TABLE ABMultiValueEntry (parent_id INTEGER, key INTEGER, value TEXT, UNIQUE(parent_id, key));
CREATE TABLE ABMultiValueEntryKey (value TEXT, UNIQUE(value));
CREATE TABLE ABPhoneLastFour (multivalue_id INTEGER PRIMARY KEY, value TEXT);
CREATE TABLE ABPersonMultiValueDeletes (record_id INTEGER, property_id INTEGER, identifier INTEGER,
 sequence_number INTEGER, record_uid TEXT, identifier_uid TEXT);
CREATE TABLE FirstSortSectionCount(LanguageIndex, Section TEXT, StoreID, number,
 UNIQUE(LanguageIndex, Section, StoreID));
CREATE TABLE LastSortSectionCount(LanguageIndex, Section TEXT, StoreID, number,
 UNIQUE(LanguageIndex, Section, StoreID));
CREATE TABLE ClientCursor (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER,
 latest_consumed_sequence_number INTEGER, latest_consumed_timestamp REAL, client_identifier TEXT,
 UNIQUE(client_identifier, store_id));
CREATE TABLE ClientSequence (sequence_number INTEGER,client_identifier TEXT,save_timestamp REAL );
CREATE VIRTUAL TABLE ABPersonFullTextSearch USING fts4(First, Last, Middle, FirstPhonetic, MiddlePhonetic,
 LastPhonetic, Organization, OrganizationPhonetic, Department, Note, Birthday, JobTitle, Nickname, Prefix, Suffix,
 DisplayName, Phone, Email, Address, SocialProfile, URL, RelatedNames, IM, Date, SupplementalCompositeNameTerms);
CREATE INDEX ABFirstSortIndex on ABPerson(FirstSortLanguageIndex, FirstSortSection, FirstSort);
CREATE INDEX ABLastSortIndex on ABPerson(LastSortLanguageIndex, LastSortSection, LastSort);
CREATE INDEX ABPersonPersonLinkIndex on ABPerson(PersonLink);
CREATE INDEX ABPersonExternalUUIDIndex on ABPerson(ExternalUUID);
CREATE INDEX ABPersonExternalIdentifierIndex on ABPerson(ExternalIdentifier);
CREATE INDEX ABMultiValueRecordIDIndex on ABMultiValue(record_id);
CREATE INDEX ABMultiValueLabelIndex ON ABMultiValue(label);
CREATE INDEX ABMultiValueGUIDIndex ON ABMultiValue(guid);
CREATE INDEX ABMultiValuePropertyValueIndex ON ABMultiValue(property, value COLLATE NOCASE);
CREATE INDEX ABMultiValueEntryKeyIndex ON ABMultiValueEntry(key);
CREATE INDEX ABPhoneLastFourIndex ON ABPhoneLastFour(value);
CREATE TRIGGER DeletePersonLink AFTER DELETE ON ABPerson BEGIN DELETE FROM ABPersonLink WHERE (ROWID = OLD.PersonLink
 AND (SELECT count() FROM ABPerson WHERE PersonLink = OLD.PersonLink) < 2); END;
CREATE TRIGGER DeleteSearchKey AFTER DELETE ON ABPerson BEGIN DELETE FROM ABPersonSearchKey
 WHERE person_id = OLD.ROWID; END;
CREATE TRIGGER delete_phone_last_four AFTER DELETE ON ABMultiValue BEGIN DELETE FROM ABPhoneLastFour
 WHERE multivalue_id = OLD.UID; END;
CREATE TRIGGER FirstSortSectionInsert AFTER INSERT ON ABPerson BEGIN INSERT OR REPLACE INTO FirstSortSectionCount
 VALUES(NEW.FirstSortLanguageIndex, IFNULL(NEW.FirstSortSection, ''), NEW.StoreID, 1 + IFNULL((SELECT number from
 FirstSortSectionCount WHERE LanguageIndex = NEW.FirstSortLanguageIndex AND Section = IFNULL(NEW.FirstSortSection, '')
 AND StoreID = NEW.StoreID), 0)); END;
CREATE TRIGGER FirstSortSectionDelete AFTER DELETE ON ABPerson BEGIN INSERT OR REPLACE INTO FirstSortSectionCount
 VALUES(OLD.FirstSortLanguageIndex, IFNULL(OLD.FirstSortSection, ''), OLD.StoreID, (SELECT number from
 FirstSortSectionCount WHERE LanguageIndex = OLD.FirstSortLanguageIndex AND Section = IFNULL(OLD.FirstSortSection, '')
 AND StoreID = OLD.StoreID) - 1); DELETE FROM FirstSortSectionCount WHERE LanguageIndex = OLD.FirstSortLanguageIndex
 AND Section = IFNULL(OLD.FirstSortSection, '') AND StoreID = OLD.StoreID AND number = 0; END;
"""

IMAGES_SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE ABThumbnailImage (ROWID INTEGER PRIMARY KEY, record_id INTEGER, format INTEGER,
 derived_from_format INTEGER, data BLOB);
CREATE TABLE ABFullSizeImage (ROWID INTEGER PRIMARY KEY, record_id INTEGER, crop_x INTEGER, crop_y INTEGER,
 crop_width INTEGER, data BLOB);
CREATE UNIQUE INDEX ABImageRecordIDFormatIndex ON ABThumbnailImage(record_id, format);
CREATE UNIQUE INDEX ABFullSizeImageRecordIDIndex ON ABFullSizeImage(record_id);
"""

PROPERTY_PHONE, PROPERTY_EMAIL, PROPERTY_ADDRESS, PROPERTY_URL = 3, 4, 5, 22
ENTRY_KEYS = ("Street", "ZIP", "City", "CountryCode", "State", "Country")


def apple_seconds(when: datetime) -> float:
    """Seconds since 2001-01-01 UTC."""
    return (when - APPLE_EPOCH).total_seconds()


def birthday_value(text: str) -> str | None:
    """A birthday as Contacts stores it: seconds since 2001 (noon UTC) as text; year-less ones in 1604."""
    if not text:
        return None
    if text.startswith("--"):
        text = "1604" + text[1:]
    day = datetime.fromisoformat(text).replace(hour=12, tzinfo=UTC)
    return str(int(apple_seconds(day)))


def photo_jpeg(colour: tuple[int, int, int], initials: str, size: int = 96) -> bytes:
    """A small real JPEG: a coloured square with the contact's initials."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, size - 8, size - 8), outline=(255, 255, 255), width=3)
    draw.text((size // 2 - 8, size // 2 - 6), initials[:2], fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def index_phone(number: str) -> str:
    """A number as the Contacts search index spells it: as typed, then its dialling variants."""
    digits = "".join(c for c in number if c.isdigit())
    if number.strip().startswith("+"):
        e164 = "+" + digits
    elif digits.startswith("0"):
        e164 = "+44" + digits[1:]
    else:
        e164 = "+1" + digits
    national = e164[3:] if e164.startswith("+44") else e164[2:]
    return " ".join((number, e164, "00" + e164[1:], e164[1:], national, national[-7:]))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


class _Writer:
    def __init__(self, conn: sqlite3.Connection, images: sqlite3.Connection, ctx: SampleContext) -> None:
        self.conn = conn
        self.images = images
        #: Private to this module, so the content is the same whatever other modules drew before it.
        self.rng = random.Random(f"contacts:{ctx.seed}")
        self.groups: dict[str, int] = {}
        self.when = SAMPLE_NOW - timedelta(days=900)

    def label(self, value: str) -> int:
        self.conn.execute("INSERT OR IGNORE INTO ABMultiValueLabel(value) VALUES (?)", (value,))
        return self.conn.execute("SELECT ROWID FROM ABMultiValueLabel WHERE value = ?", (value,)).fetchone()[0]

    def key(self, value: str) -> int:
        self.conn.execute("INSERT OR IGNORE INTO ABMultiValueEntryKey(value) VALUES (?)", (value,))
        return self.conn.execute("SELECT ROWID FROM ABMultiValueEntryKey WHERE value = ?", (value,)).fetchone()[0]

    def add(self, person: Person, store: int = 1) -> int:
        self.when += timedelta(hours=self.rng.randint(5, 500))
        created = int(apple_seconds(self.when))
        first_sort = (person.first or person.organization or "#")[:1].upper()
        cur = self.conn.execute(
            "INSERT INTO ABPerson (First, Last, Organization, JobTitle, Nickname, Note, Kind, Birthday, CreationDate,"
            " ModificationDate, StoreID, FirstSort, LastSort, FirstSortSection, LastSortSection,"
            " FirstSortLanguageIndex, LastSortLanguageIndex, ExternalUUID, guid) VALUES"
            " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,?,?)",
            (person.first or None, person.last or None, person.organization or None, person.job_title or None,
             person.nickname or None, person.note or None, 0 if (person.first or person.last) else 1,
             birthday_value(person.birthday), created, created + 60, store,
             f"{person.first} {person.last}".strip(), f"{person.last} {person.first}".strip(), first_sort,
             (person.last or person.first or "#")[:1].upper(), _guid(self.rng), _guid(self.rng)),
        )
        rowid = cur.lastrowid
        assert rowid is not None
        identifier = 0
        for label, number in person.phones:
            uid = self._value(rowid, PROPERTY_PHONE, identifier, label, number)
            digits = "".join(c for c in number if c.isdigit())
            self.conn.execute("INSERT INTO ABPhoneLastFour VALUES (?, ?)", (uid, digits[-4:]))
            identifier += 1
        for label, email in person.emails:
            self._value(rowid, PROPERTY_EMAIL, identifier, label, email)
            identifier += 1
        if person.address:
            uid = self._value(rowid, PROPERTY_ADDRESS, identifier, W if person.organization else H, None)
            for name in ENTRY_KEYS:
                if name in person.address:
                    self.conn.execute("INSERT INTO ABMultiValueEntry VALUES (?,?,?)",
                                      (uid, self.key(name), person.address[name]))
            identifier += 1
        if person.url:
            self._value(rowid, PROPERTY_URL, identifier, "_$!<HomePage>!$_", person.url)
        if person.group:
            if person.group not in self.groups:
                cur = self.conn.execute("INSERT INTO ABGroup (Name, StoreID, guid) VALUES (?, ?, ?)",
                                        (person.group, store, _guid(self.rng)))
                self.groups[person.group] = cur.lastrowid or 0
            self.conn.execute("INSERT INTO ABGroupMembers (group_id, member_type, member_id) VALUES (?, 0, ?)",
                              (self.groups[person.group], rowid))
        self.conn.execute(
            "INSERT INTO ABPersonFullTextSearch (docid, First, Last, Organization, Phone, Email) VALUES (?,?,?,?,?,?)",
            (rowid, person.first, person.last, person.organization, " ".join(index_phone(n) for _, n in person.phones),
             " ".join(e for _, e in person.emails)))
        if person.photo:
            jpeg = photo_jpeg(person.photo, (person.first[:1] + person.last[:1]) or person.organization[:1])
            self.images.execute("INSERT INTO ABFullSizeImage (record_id, crop_x, crop_y, crop_width, data)"
                                " VALUES (?, 0, 0, 96, ?)", (rowid, jpeg))
            self.images.execute("INSERT INTO ABThumbnailImage (record_id, format, derived_from_format, data)"
                                " VALUES (?, 0, 5, ?)", (rowid, jpeg))
        return rowid

    def _value(self, rowid: int, prop: int, identifier: int, label: str, value: str | None) -> int:
        cur = self.conn.execute(
            "INSERT INTO ABMultiValue (record_id, property, identifier, label, value, guid) VALUES (?,?,?,?,?,?)",
            (rowid, prop, identifier, self.label(label), value, _guid(self.rng)))
        return cur.lastrowid or 0

    def delete(self, rowid: int) -> None:
        self.conn.execute("DELETE FROM ABMultiValueEntry WHERE parent_id IN"
                          " (SELECT UID FROM ABMultiValue WHERE record_id = ?)", (rowid,))
        self.conn.execute("DELETE FROM ABMultiValue WHERE record_id = ?", (rowid,))
        self.conn.execute("DELETE FROM ABGroupMembers WHERE member_id = ?", (rowid,))
        self.conn.execute("DELETE FROM ABPersonFullTextSearch WHERE docid = ?", (rowid,))
        self.conn.execute("DELETE FROM ABPerson WHERE ROWID = ?", (rowid,))


def _connect(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("ab_generate_guid", 0, lambda: str(uuid.uuid4()).upper())
    conn.execute("PRAGMA secure_delete=0")
    conn.execute("PRAGMA page_size=4096")
    return conn


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """AddressBook.sqlitedb (+ -wal) and AddressBookImages.sqlitedb."""
    db_path = ctx.scratch_path("contacts/AddressBook.sqlitedb")
    img_path = ctx.scratch_path("contacts/AddressBookImages.sqlitedb")
    for p in (db_path, img_path):
        p.unlink(missing_ok=True)
    conn = _connect(db_path)
    images = _connect(img_path)
    conn.executescript(SCHEMA)
    images.executescript(IMAGES_SCHEMA)
    writer = _Writer(conn, images, ctx)
    conn.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion', '84'), ('DefaultStore', '1')")
    conn.execute("INSERT INTO ABAccount (AccountIdentifier, Flags, DefaultSourceID, guid) VALUES (?, 0, 0, ?)",
                 (_guid(writer.rng), _guid(writer.rng)))
    conn.execute("INSERT INTO ABStore (ROWID, Name, Type, AccountID, Enabled, MeIdentifier, guid)"
                 " VALUES (0, NULL, 0, -1, 0, -1, ?)", (_guid(writer.rng),))
    conn.execute("INSERT INTO ABStore (ROWID, Name, Type, AccountID, Enabled, MeIdentifier, guid,"
                 " StoreInternalIdentifier) VALUES (1, 'Card', 4, 1, 1, -1, ?, 'iCloud')", (_guid(writer.rng),))
    conn.execute("BEGIN")
    images.execute("BEGIN")
    owner = writer.add(OWNER)
    conn.execute("UPDATE ABStore SET MeIdentifier = ? WHERE ROWID = 1", (owner,))
    doomed = []
    for i, person in enumerate(PEOPLE):
        writer.add(person)
        if i in (6, 20):
            doomed.append(writer.add(DELETED[len(doomed)]))
    conn.execute("COMMIT")
    images.execute("COMMIT")
    conn.execute("BEGIN")
    for rowid in doomed:
        writer.delete(rowid)
    conn.execute("COMMIT")
    images.close()
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("BEGIN")
    wal_ids = {p.first: writer.add(p) for p in WAL_ONLY}
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    writer.delete(wal_ids[WAL_DELETED])
    conn.execute("COMMIT")
    main, wal = db_path.read_bytes(), db_path.with_name(db_path.name + "-wal").read_bytes()
    mtime = SAMPLE_NOW - timedelta(hours=2)
    yield SampleFile(DOMAIN, ADDRESS_BOOK, main, mtime=mtime)
    yield SampleFile(DOMAIN, ADDRESS_BOOK + "-wal", wal, mtime=mtime)
    yield SampleFile(DOMAIN, IMAGES, img_path.read_bytes(), mtime=mtime)
    conn.close()
