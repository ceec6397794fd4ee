"""Sample NoteStore.sqlite (iOS 17 schema) with ~15 notes, their media, a locked note and deleted ones.

Bodies are real Notes protobufs (gzipped ``NoteStoreProto``) built with
:mod:`reclaim.sample.content._protobuf`: formatted text, a checklist, a link, an
image attachment, a table (a ``MergableDataProto`` CRDT), a URL attachment. One
note sits in "Recently Deleted"; one is erased from the database (with
``secure_delete`` off, so the carver can find it); two are password-protected, password
``reclaim-notes``: one with the iOS 9–16 scheme (PBKDF2-SHA256 → AES key wrap →
AES-GCM on the row's columns), one with the iOS 17+ custom-password encryption object
(an ``ICCryptoEncryptionObject`` archive in ``ZDATA``; 32-byte salt and key, 32-byte IV,
the metadata plist as authenticated data).
"""

from __future__ import annotations

import hashlib
import io
import json
import plistlib
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from reclaim.sample.content._protobuf import field, gzipped, message
from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "AppDomainGroup-group.com.apple.notes"
PASSWORD = "reclaim-notes"
PASSWORD_HINT = "usual one + notes"
IOS17_HINT = "same as the old notes one"
ITERATIONS = 20000
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
ACCOUNT_UUID = "4C5B3F2E-1D0A-4B9C-8E7F-6A5B4C3D2E1F"

SCHEMA = """
CREATE TABLE ZICCLOUDSYNCINGOBJECT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
    ZCRYPTOITERATIONCOUNT INTEGER,
    ZISPASSWORDPROTECTED INTEGER, ZISSHAREDIRTY INTEGER, ZMARKEDFORDELETION INTEGER,
    ZMINIMUMSUPPORTEDNOTESVERSION INTEGER, ZNEEDSINITIALFETCHFROMCLOUD INTEGER,
    ZNEEDSTOBEFETCHEDFROMCLOUD INTEGER, ZNEEDSTOSAVEUSERSPECIFICRECORD INTEGER, ZCLOUDSTATE INTEGER,
    ZINVITATION INTEGER, ZLOCKEDNOTESMODE INTEGER, ZACCOUNT INTEGER, ZCHECKEDFORLOCATION INTEGER,
    ZFILESIZE INTEGER, ZHANDWRITINGSUMMARYVERSION INTEGER, ZHASMARKUPDATA INTEGER,
    ZIMAGECLASSIFICATIONSUMMARYVERSION INTEGER, ZIMAGEFILTERTYPE INTEGER,
    ZNEEDSINITIALRELATIONSHIPSETUP INTEGER, ZOCRSUMMARYVERSION INTEGER, ZORIENTATION INTEGER,
    ZSECTION INTEGER, ZURLEXPIRED INTEGER, ZACCOUNT1 INTEGER, ZLOCATION INTEGER, ZMEDIA INTEGER,
    ZNOTE INTEGER, ZNOTEUSINGTITLEFORNOTETITLE INTEGER, ZPARENTATTACHMENT INTEGER, ZAPPEARANCETYPE INTEGER,
    ZSCALEWHENDRAWING INTEGER, ZVERSION INTEGER, ZVERSIONOUTOFDATE INTEGER, ZATTACHMENT INTEGER,
    ZSTATE INTEGER, ZACCOUNT2 INTEGER, ZACCOUNT3 INTEGER, ZMENTIONNOTIFICATIONATTEMPTCOUNT INTEGER,
    ZMENTIONNOTIFICATIONSTATE INTEGER, ZACCOUNT4 INTEGER, ZNOTE1 INTEGER, ZPARENTATTACHMENT1 INTEGER,
    ZTYPE INTEGER, ZACCOUNT5 INTEGER, ZACCOUNT6 INTEGER, ZATTACHMENT1 INTEGER, ZATTACHMENTVIEWTYPE INTEGER,
    ZHASCHECKLIST INTEGER, ZHASCHECKLISTINPROGRESS INTEGER, ZISPINNED INTEGER, ZISSYSTEMPAPER INTEGER,
    ZLEGACYNOTEWASPLAINTEXT INTEGER, ZNOTEHASCHANGES INTEGER, ZPAPERSTYLETYPE INTEGER,
    ZPREFERREDBACKGROUNDTYPE INTEGER, ZACCOUNT7 INTEGER, ZFOLDER INTEGER, ZNOTEDATA INTEGER,
    ZTITLESOURCEATTACHMENT INTEGER, ZDATEHEADERSTYPE INTEGER, ZISHIDDENNOTECONTAINER INTEGER,
    ZSORTORDER INTEGER, ZOWNER INTEGER, ZACCOUNTTYPE INTEGER, ZDIDCHOOSETOMIGRATE INTEGER,
    ZDIDFINISHMIGRATION INTEGER, ZDIDMIGRATEONMAC INTEGER, ZSERVERSIDEUPDATETASKFAILURECOUNT INTEGER,
    ZSTOREDATASEPARATELY INTEGER, ZACCOUNTDATA INTEGER, ZCUSTOMNOTESORTTYPEVALUE INTEGER,
    ZFOLDERTYPE INTEGER, ZIMPORTEDFROMLEGACY INTEGER, ZACCOUNT8 INTEGER, ZPARENT INTEGER,
    ZCREATIONDATE TIMESTAMP, ZCROPPINGQUADBOTTOMLEFTX FLOAT, ZCROPPINGQUADBOTTOMLEFTY FLOAT,
    ZCROPPINGQUADBOTTOMRIGHTX FLOAT, ZCROPPINGQUADBOTTOMRIGHTY FLOAT, ZCROPPINGQUADTOPLEFTX FLOAT,
    ZCROPPINGQUADTOPLEFTY FLOAT, ZCROPPINGQUADTOPRIGHTX FLOAT, ZCROPPINGQUADTOPRIGHTY FLOAT, ZDURATION FLOAT,
    ZMODIFICATIONDATE TIMESTAMP, ZORIGINX FLOAT, ZORIGINY FLOAT, ZPREVIEWUPDATEDATE TIMESTAMP,
    ZSIZEHEIGHT FLOAT, ZSIZEWIDTH FLOAT, ZHEIGHT FLOAT, ZMODIFIEDDATE TIMESTAMP, ZSCALE FLOAT, ZWIDTH FLOAT,
    ZSTATEMODIFICATIONDATE TIMESTAMP, ZCREATIONDATE1 TIMESTAMP, ZCREATIONDATE2 TIMESTAMP,
    ZMODIFICATIONDATEATIMPORT TIMESTAMP, ZCREATIONDATE3 TIMESTAMP, ZFOLDERMODIFICATIONDATE TIMESTAMP,
    ZLASTACTIVITYRECENTUPDATESVIEWEDDATE TIMESTAMP, ZLASTACTIVITYSUMMARYVIEWEDDATE TIMESTAMP,
    ZLASTATTRIBUTIONSVIEWEDDATE TIMESTAMP, ZLASTNOTIFIEDDATE TIMESTAMP, ZLASTOPENEDDATE TIMESTAMP,
    ZLASTVIEWEDMODIFICATIONDATE TIMESTAMP, ZLEGACYMODIFICATIONDATEATIMPORT TIMESTAMP,
    ZMODIFICATIONDATE1 TIMESTAMP, ZCUSTOMNOTESORTTYPEMODIFICATIONDATE TIMESTAMP,
    ZDATEFORLASTTITLEMODIFICATION TIMESTAMP, ZPARENTMODIFICATIONDATE TIMESTAMP, ZIDENTIFIER VARCHAR,
    ZPASSWORDHINT VARCHAR, ZZONEOWNERNAME VARCHAR, ZADDITIONALINDEXABLETEXT VARCHAR,
    ZFALLBACKSUBTITLEIOS VARCHAR, ZFALLBACKSUBTITLEMAC VARCHAR, ZFALLBACKTITLE VARCHAR,
    ZHANDWRITINGSUMMARY VARCHAR, ZIMAGECLASSIFICATIONSUMMARY VARCHAR, ZOCRSUMMARY VARCHAR,
    ZREMOTEFILEURLSTRING VARCHAR, ZSUMMARY VARCHAR, ZTITLE VARCHAR, ZTYPEUTI VARCHAR, ZURLSTRING VARCHAR,
    ZUSERTITLE VARCHAR, ZDEVICEIDENTIFIER VARCHAR, ZDISPLAYTEXT VARCHAR, ZSTANDARDIZEDCONTENT VARCHAR,
    ZALTTEXT VARCHAR, ZTOKENCONTENTIDENTIFIER VARCHAR, ZTYPEUTI1 VARCHAR, ZCONTENTHASHATIMPORT VARCHAR,
    ZFILENAME VARCHAR, ZLEGACYCONTENTHASHATIMPORT VARCHAR, ZLEGACYIMPORTDEVICEIDENTIFIER VARCHAR,
    ZLEGACYMANAGEDOBJECTIDURIREPRESENTATION VARCHAR, ZSELECTEDINKCOLORSTRING VARCHAR,
    ZSELECTEDINKIDENTIFIER VARCHAR, ZSNIPPET VARCHAR, ZTHUMBNAILATTACHMENTIDENTIFIER VARCHAR,
    ZTITLE1 VARCHAR, ZACCOUNTNAMEFORACCOUNTLISTSORTING VARCHAR, ZNESTEDTITLEFORSORTING VARCHAR,
    ZNAME VARCHAR, ZSERVERSIDEUPDATETASKLASTATTEMPTEDBUILD VARCHAR,
    ZSERVERSIDEUPDATETASKLASTATTEMPTEDVERSION VARCHAR, ZSERVERSIDEUPDATETASKLASTCOMPLETEDBUILD VARCHAR,
    ZSERVERSIDEUPDATETASKLASTCOMPLETEDVERSION VARCHAR, ZUSERRECORDNAME VARCHAR,
    ZSMARTFOLDERQUERYJSON VARCHAR, ZTITLE2 VARCHAR, ZREPLICAIDTOBUNDLEIDENTIFIER BLOB,
    ZACTIVITYEVENTSDATA BLOB, ZASSETCRYPTOINITIALIZATIONVECTOR BLOB, ZASSETCRYPTOTAG BLOB,
    ZCRYPTOINITIALIZATIONVECTOR BLOB, ZCRYPTOSALT BLOB, ZCRYPTOTAG BLOB, ZCRYPTOWRAPPEDKEY BLOB,
    ZENCRYPTEDVALUESJSON BLOB, ZREPLICAIDTONOTESVERSIONDATA BLOB, ZSERVERRECORDDATA BLOB,
    ZSERVERSHAREDATA BLOB, ZUNAPPLIEDENCRYPTEDRECORD BLOB, ZUSERSPECIFICSERVERRECORDDATA BLOB,
    ZMERGEABLEDATA BLOB, ZFALLBACKIMAGECRYPTOINITIALIZATIONVECTOR BLOB, ZFALLBACKIMAGECRYPTOTAG BLOB,
    ZLINKPRESENTATIONARCHIVEDMETADATA BLOB, ZMARKUPMODELDATA BLOB, ZMERGEABLEDATA1 BLOB, ZMETADATADATA BLOB,
    ZSYNAPSEDATA BLOB, ZCRYPTOMETADATAINITIALIZATIONVECTOR BLOB, ZCRYPTOMETADATATAG BLOB,
    ZENCRYPTEDMETADATA BLOB, ZMETADATA BLOB, ZLASTNOTIFIEDTIMESTAMPDATA BLOB, ZLASTVIEWEDTIMESTAMPDATA BLOB,
    ZREPLICAIDTOUSERIDDICTDATA BLOB, ZCRYPTOVERIFIER BLOB, ZSERVERSIDEUPDATETASKCONTINUATIONTOKEN BLOB,
    ZMERGEABLEDATA2 BLOB, ZGENERATION VARCHAR, ZLASTSYNCDATE TIMESTAMP, ZPAPERBUNDLEGENERATION VARCHAR,
    ZFALLBACKPDFCRYPTOTAG BLOB, ZGENERATION1 VARCHAR, ZFALLBACKIMAGEGENERATION VARCHAR,
    ZSUPPORTSV1NEO INTEGER, ZWIDGETSNIPPET VARCHAR, ZCRYPTOPASSPHRASEVERIFIER BLOB,
    ZFALLBACKPDFCRYPTOINITIALIZATIONVECTOR BLOB, ZMERGEABLEPREFERREDVIEWSIZE BLOB,
    ZFALLBACKPDFGENERATION VARCHAR );
CREATE TABLE ZICNOTEDATA ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNOTE INTEGER,
    ZCRYPTOINITIALIZATIONVECTOR BLOB, ZCRYPTOTAG BLOB, ZDATA BLOB );
CREATE TABLE ZICINVITATION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNOTECOUNT INTEGER,
    ZNOTECOUNTRECURSIVE INTEGER, ZSNIPPETATTACHMENTCOUNT INTEGER, ZSNIPPETATTACHMENTTYPE INTEGER,
    ZSUBFOLDERCOUNT INTEGER, ZSUBFOLDERCOUNTRECURSIVE INTEGER, ZACCOUNT INTEGER, ZROOTOBJECT INTEGER,
    Z2_ROOTOBJECT INTEGER, ZCREATIONDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP, ZRECEIVEDDATE TIMESTAMP,
    ZROOTOBJECTTYPE VARCHAR, ZSNIPPET VARCHAR, ZTITLE VARCHAR, ZSHAREURL VARCHAR, ZSERVERSHAREDATA BLOB,
    ZTHUMBNAILDATADARK BLOB, ZTHUMBNAILDATALIGHT BLOB );
CREATE TABLE ZICNOTEPARTICIPANT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNOTE INTEGER,
    ZPARTICIPANTID VARCHAR, ZUSERID VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE INDEX ZICCLOUDSYNCINGOBJECT_ZNOTE_INDEX ON ZICCLOUDSYNCINGOBJECT (ZNOTE);
CREATE INDEX ZICCLOUDSYNCINGOBJECT_ZFOLDER_INDEX ON ZICCLOUDSYNCINGOBJECT (ZFOLDER);
CREATE INDEX ZICNOTEDATA_ZNOTE_INDEX ON ZICNOTEDATA (ZNOTE);
"""

#: Core Data entity numbers of an iOS 17 NoteStore.
ENTITIES = [(1, "ICCloudState"), (2, "ICCloudSyncingObject"), (3, "ICAccountData"), (4, "ICAttachment"),
            (5, "ICAttachmentPreviewImage"), (6, "ICDeviceMigrationState"), (7, "ICHashtag"),
            (8, "ICInlineAttachment"), (9, "ICLegacyTombstone"), (10, "ICMedia"), (11, "ICNote"),
            (12, "ICNoteContainer"), (13, "ICAccount"), (14, "ICFolder"), (15, "ICInvitation"), (16, "ICLocation"),
            (17, "ICAttachmentLocation"), (18, "ICNoteData"), (19, "ICNoteParticipant"),
            (20, "ICServerChangeToken")]
E_ATTACHMENT, E_MEDIA, E_NOTE, E_ACCOUNT, E_FOLDER, E_NOTEDATA = 4, 10, 11, 13, 14, 18

STYLES = {"title": 0, "heading": 1, "subheading": 2, "mono": 4, "bullet": 100, "dashed": 101, "numbered": 102,
          "checklist": 103}


def apple(moment: datetime) -> float:
    """Seconds since 2001-01-01 UTC."""
    return (moment - APPLE_EPOCH).total_seconds()


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Body:
    """Builds a note's text and attribute runs, paragraph by paragraph."""

    def __init__(self) -> None:
        self.text = ""
        self.runs: list[bytes] = []

    def _run(self, text: str, *extra: bytes) -> None:
        self.text += text
        self.runs.append(message(field(1, _utf16_len(text)), *extra))

    def para(self, text: str, style: str = "body", *, done: bool | None = None, bold: bool = False,
             link: str | None = None) -> Body:
        extra = []
        if style != "body":
            para = [field(1, STYLES[style])]
            if style == "checklist":
                para.append(field(5, message(field(1, uuid.uuid5(uuid.NAMESPACE_URL, text).bytes),
                                             field(2, int(bool(done))))))
            extra.append(field(2, message(*para)))
        if bold:
            extra.append(field(5, 1))
        if link:
            extra.append(field(9, link))
        self._run(text + "\n", *extra)
        return self

    def inline(self, text: str, *, link: str | None = None, bold: bool = False) -> Body:
        extra = [field(5, 1)] if bold else []
        if link:
            extra.append(field(9, link))
        self._run(text, *extra)
        return self

    def attachment(self, identifier: str, uti: str) -> Body:
        self._run("\ufffc", field(12, message(field(1, identifier), field(2, uti))))
        self._run("\n")
        return self

    def proto(self) -> bytes:
        note = message(field(2, self.text), *(field(5, r) for r in self.runs))
        return gzipped(message(field(1, 0), field(2, message(field(1, 0), field(2, 0), field(3, note)))))


def table_blob(rows: list[list[str]], *, replica_first: bool = True) -> bytes:
    """A ``com.apple.notes.table`` CRDT (``MergableDataProto``) holding ``rows`` of cell text.

    Real tables list the editing device's UUID first; ``replica_first=False`` puts the first
    row's UUID at index 0 instead (an edge case the decoder must handle too).
    """
    keys = ["crRows", "crColumns", "cellColumns", "UUIDIndex"]
    types = ["com.apple.notes.ICTable", "com.apple.CRDT.NSUUID"]
    row_ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"row{i}").bytes for i in range(len(rows))]
    col_ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"col{j}").bytes for j in range(len(rows[0]))]
    replica = uuid.uuid5(uuid.NAMESPACE_URL, "replica").bytes  # the editing device; listed first, as in real tables
    uuids = [replica, *row_ids, *col_ids] if replica_first else [*row_ids, *col_ids]
    base = 1 if replica_first else 0
    entries: list[bytes] = []

    def ref(index: int) -> bytes:
        return message(field(6, index))

    def add(entry: bytes) -> int:
        entries.append(entry)
        return len(entries) - 1

    def uuid_entry(index: int) -> int:
        return add(field(13, message(field(1, 1), field(3, message(field(1, 3), field(2, message(field(2, index))))))))

    def ordered(ids: list[bytes]) -> bytes:
        array = message(*(field(2, message(field(2, u))) for u in ids))
        return field(16, message(field(1, message(field(1, array)))))

    add(b"")  # the root, filled in below
    rows_entry = add(ordered(row_ids))
    cols_entry = add(ordered(col_ids))
    row_uuid_entries = [uuid_entry(base + i) for i in range(len(row_ids))]
    columns = []
    for j in range(len(col_ids)):
        cells = []
        for i, row in enumerate(rows):
            cell = add(field(10, message(field(2, row[j]))))
            cells.append(field(1, message(field(1, ref(row_uuid_entries[i])), field(2, ref(cell)))))
        column = add(field(6, message(*cells)))
        columns.append(field(1, message(field(1, ref(uuid_entry(base + len(row_ids) + j))), field(2, ref(column)))))
    cell_columns = add(field(6, message(*columns)))
    root_map = [field(3, message(field(1, keys.index(k)), field(2, ref(e))))
                for k, e in (("crRows", rows_entry), ("crColumns", cols_entry), ("cellColumns", cell_columns))]
    entries[0] = field(13, message(field(1, 0), *root_map))
    data = message(*(field(3, e) for e in entries), *(field(4, k) for k in keys), *(field(5, t) for t in types),
                   *(field(6, u) for u in uuids))
    return gzipped(message(field(2, message(field(3, data)))))


def sample_jpeg(tint: int = 0) -> bytes:
    """A small real JPEG (a sunset-coloured gradient; ``tint`` shifts the blue), as a photo attachment."""
    from PIL import Image

    img = Image.new("RGB", (64, 48))
    img.putdata([(255, 120 + y * 2, 40 + x + tint) for y in range(48) for x in range(64)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def lock(ctx: SampleContext, data: bytes) -> dict[str, bytes | int]:
    """Encrypt a note body as Notes did on iOS 9–16, with :data:`PASSWORD`."""
    salt = ctx.rng.randbytes(16)
    kek = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, ITERATIONS, 16)
    key = ctx.rng.randbytes(16)
    iv = ctx.rng.randbytes(16)
    sealed = AESGCM(key).encrypt(iv, data, None)
    return {"salt": salt, "iterations": ITERATIONS, "wrapped": aes_key_wrap(kek, key), "iv": iv,
            "tag": sealed[-16:], "data": sealed[:-16]}


def lock_v1_media(media_id: str, filename: str, data: bytes) -> tuple[dict[str, object], bytes]:
    """A locked note's media as iOS 9-16 store it: the media row's columns and the encrypted file.

    The media row has its own salt and wrapped key; its ``ZENCRYPTEDVALUESJSON``
    (AES-GCM with ``ZCRYPTOINITIALIZATIONVECTOR``/``ZCRYPTOTAG``) holds
    ``{"filename": ...}``, and the file, named after the media UUID, is the
    ciphertext whose IV and tag are ``ZASSETCRYPTO*`` (the layout
    apple_cloud_notes_parser reads).
    """
    rng = random.Random("reclaim-notes-v1-media:" + media_id)
    salt, key, values_iv, file_iv = rng.randbytes(16), rng.randbytes(16), rng.randbytes(16), rng.randbytes(16)
    kek = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, ITERATIONS, 16)
    values = AESGCM(key).encrypt(values_iv, json.dumps({"filename": filename}).encode(), None)
    sealed = AESGCM(key).encrypt(file_iv, data, None)
    row = {"ZCRYPTOSALT": salt, "ZCRYPTOITERATIONCOUNT": ITERATIONS, "ZCRYPTOWRAPPEDKEY": aes_key_wrap(kek, key),
           "ZCRYPTOINITIALIZATIONVECTOR": values_iv, "ZCRYPTOTAG": values[-16:], "ZENCRYPTEDVALUESJSON": values[:-16],
           "ZASSETCRYPTOINITIALIZATIONVECTOR": file_iv, "ZASSETCRYPTOTAG": sealed[-16:]}
    return row, sealed[:-16]


def note_identifier(title: str) -> str:
    """The sample note's ``ZIDENTIFIER`` (stable: derived from its title)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "note:" + title)).upper()


def lock_ios17(note_id: str, data: bytes, hint: str) -> dict[str, Any]:
    """Encrypt a note body as iOS 17 does with a custom notes password (:data:`PASSWORD`).

    Returns the ``ICCryptoEncryptionObject`` archive for ``ZDATA`` and the random
    filler iOS writes in the row's old ``ZCRYPTO*`` columns. Uses its own seeded
    generator so the rest of the sample stays byte-identical.
    """
    rng = random.Random("reclaim-notes-ios17-lock")
    return {"salt": rng.randbytes(16), "iterations": 0, "wrapped": rng.randbytes(16), "iv": rng.randbytes(16),
            "tag": rng.randbytes(16), "data": seal_object(note_id, data, hint), "hint": ""}


#: the 32-byte salt of the sample account's iOS 17 notes password (every sealed object copies it).
IOS17_SALT = random.Random("reclaim-notes-ios17-salt").randbytes(32)


def seal_object(object_id: str, data: bytes, hint: str = "") -> bytes:
    """An ``ICCryptoEncryptionObject`` archive sealing ``data`` for ``object_id`` with :data:`PASSWORD`.

    iOS 17+ custom-password scheme: PBKDF2-SHA256 (32-byte salt) → 32-byte main key →
    RFC 3394 wrap of a random 256-bit key → AES-GCM with a 32-byte IV and the
    metadata plist as authenticated data; ``encryptedData`` = ciphertext + IV + tag.
    """
    rng = random.Random("reclaim-notes-ios17-object:" + object_id)
    key, iv = rng.randbytes(32), rng.randbytes(32)
    main_key = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), IOS17_SALT, ITERATIONS, 32)
    authenticated = plistlib.dumps({"cipherVersion": 2, "objectIdentifier": object_id}, fmt=plistlib.FMT_BINARY)
    loose = plistlib.dumps({"passphraseSalt": IOS17_SALT, "passphraseIterationCount": ITERATIONS,
                            "passphraseHint": hint}, fmt=plistlib.FMT_BINARY)
    sealed = AESGCM(key).encrypt(iv, data, authenticated)
    uid = plistlib.UID
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)}, "$objects": [
        "$null",
        {"unauthenticatedMetadata": uid(2), "metadata": uid(3), "wrappedEncryptionKey": uid(4),
         "encryptedData": uid(5), "$class": uid(6)},
        loose, authenticated, aes_key_wrap(main_key, key), sealed[:-16] + iv + sealed[-16:],
        {"$classname": "ICCryptoEncryptionObject", "$classes": ["ICCryptoEncryptionObject", "NSObject"]},
    ]}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


class Builder:
    """Inserts accounts, folders, notes and attachments with consecutive Z_PKs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pk = 0
        self.data_pk = 0

    def obj(self, ent: int, **values: object) -> int:
        self.pk += 1
        names = ["Z_PK", "Z_ENT", "Z_OPT", *values]
        marks = ",".join("?" * len(names))
        self.conn.execute(f"INSERT INTO ZICCLOUDSYNCINGOBJECT ({', '.join(names)}) VALUES ({marks})",
                          (self.pk, ent, 1, *values.values()))
        return self.pk

    def note(self, *, title: str, body: Body, folder: int, created: datetime, modified: datetime,
             locked: dict[str, Any] | Callable[[str, bytes], dict[str, Any]] | None = None,
             **extra: object) -> int:
        data = body.proto()
        if callable(locked):  # sealed with the note's own identifier (iOS 17+ encryption object)
            locked = locked(note_identifier(title), data)
        pk = self.obj(E_NOTE, ZTITLE1=title, ZSNIPPET=None if locked else body.text.split("\n")[1][:80] or None,
                      ZFOLDER=folder, ZACCOUNT7=1, ZCREATIONDATE3=apple(created), ZMODIFICATIONDATE1=apple(modified),
                      ZIDENTIFIER=note_identifier(title),
                      ZISPASSWORDPROTECTED=int(locked is not None), ZMARKEDFORDELETION=0,
                      ZISPINNED=int(bool(extra.pop("pinned", False))),
                      ZHASCHECKLIST=int("checklist" in extra and bool(extra.pop("checklist"))),
                      **({"ZCRYPTOSALT": locked["salt"], "ZCRYPTOITERATIONCOUNT": locked["iterations"],
                          "ZCRYPTOWRAPPEDKEY": locked["wrapped"], "ZPASSWORDHINT": locked.get("hint", PASSWORD_HINT)}
                         if locked else {}),
                      **extra)
        self.data_pk += 1
        if locked:
            self.conn.execute("INSERT INTO ZICNOTEDATA VALUES (?, ?, 1, ?, ?, ?, ?)",
                              (self.data_pk, E_NOTEDATA, pk, locked["iv"], locked["tag"], locked["data"]))
        else:
            self.conn.execute("INSERT INTO ZICNOTEDATA VALUES (?, ?, 1, ?, NULL, NULL, ?)",
                              (self.data_pk, E_NOTEDATA, pk, data))
        self.conn.execute("UPDATE ZICCLOUDSYNCINGOBJECT SET ZNOTEDATA=? WHERE Z_PK=?", (self.data_pk, pk))
        return pk


LOCKED_V1_ATTACHMENT, LOCKED_V1_MEDIA = "3D2C1B0A-9F8E-4D7C-B6A5-948372615041", "6F5E4D3C-2B1A-4098-A7B6-C5D4E3F20110"
LOCKED_IOS17_ATTACHMENT = "8A7B6C5D-4E3F-4A2B-9C1D-0E1F2A3B4C5D"
LOCKED_IOS17_MEDIA = "2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901"
LOCKED_GENERATION = "1_0A1B2C3D-4E5F-4607-8819-2A3B4C5D6E7F"


def locked_attachments(b: Builder, wifi_pk: int, passport_pk: int) -> dict[str, bytes]:
    """A photo in each locked note, encrypted as its scheme does; returns the files to write."""
    router, scan = sample_jpeg(tint=60), sample_jpeg(tint=120)
    media_row, router_sealed = lock_v1_media(LOCKED_V1_MEDIA, "router-label.jpeg", router)
    media_pk = b.obj(E_MEDIA, ZIDENTIFIER=LOCKED_V1_MEDIA, ZGENERATION1=LOCKED_GENERATION, ZISPASSWORDPROTECTED=1,
                     ZFILESIZE=len(router), ZACCOUNT6=1, **media_row)
    b.obj(E_ATTACHMENT, ZIDENTIFIER=LOCKED_V1_ATTACHMENT, ZTYPEUTI="public.jpeg", ZNOTE=wifi_pk, ZMEDIA=media_pk,
          ZISPASSWORDPROTECTED=1)
    values = seal_object(LOCKED_IOS17_MEDIA, json.dumps({"filename": "passport-scan.jpeg"}).encode())
    media_pk = b.obj(E_MEDIA, ZIDENTIFIER=LOCKED_IOS17_MEDIA, ZGENERATION1=LOCKED_GENERATION, ZISPASSWORDPROTECTED=1,
                     ZFILESIZE=len(scan), ZACCOUNT6=1, ZENCRYPTEDVALUESJSON=values)
    b.obj(E_ATTACHMENT, ZIDENTIFIER=LOCKED_IOS17_ATTACHMENT, ZTYPEUTI="public.jpeg", ZNOTE=passport_pk,
          ZMEDIA=media_pk, ZISPASSWORDPROTECTED=1)
    media = f"Accounts/{ACCOUNT_UUID}/Media"
    return {f"{media}/{LOCKED_V1_MEDIA}/{LOCKED_GENERATION}/{LOCKED_V1_MEDIA}": router_sealed,
            f"{media}/{LOCKED_IOS17_MEDIA}/{LOCKED_GENERATION}/passport-scan.jpeg.encrypted":
                seal_object(LOCKED_IOS17_MEDIA, scan)}


def build(ctx: SampleContext, path: str) -> dict[str, bytes]:
    """Write the sample NoteStore at ``path``; returns the media files (path in the group -> bytes)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, 0)", ENTITIES)
    b = Builder(conn)
    media_files: dict[str, bytes] = {}
    day = timedelta(days=1)
    b.obj(E_ACCOUNT, ZNAME="iCloud", ZIDENTIFIER=ACCOUNT_UUID, ZACCOUNTTYPE=1)
    notes_f = b.obj(E_FOLDER, ZTITLE2="Notes", ZFOLDERTYPE=0, ZOWNER=1, ZACCOUNT8=1,
                    ZIDENTIFIER="DefaultFolder-CloudKit")
    trash_f = b.obj(E_FOLDER, ZTITLE2="Recently Deleted", ZFOLDERTYPE=1, ZOWNER=1, ZACCOUNT8=1,
                    ZIDENTIFIER="TrashFolder-CloudKit")
    work_f = b.obj(E_FOLDER, ZTITLE2="Work", ZFOLDERTYPE=0, ZOWNER=1, ZACCOUNT8=1,
                   ZIDENTIFIER="7A1C2E3F-4B5D-4E6F-8A9B-0C1D2E3F4A5B")
    recipes_f = b.obj(E_FOLDER, ZTITLE2="Recipes", ZFOLDERTYPE=0, ZOWNER=1, ZACCOUNT8=1,
                      ZIDENTIFIER="1B2C3D4E-5F6A-4B7C-8D9E-0F1A2B3C4D5E")
    t0 = SAMPLE_NOW - 120 * day

    shopping = (Body().para("Shopping list", "title").para("Milk", "checklist", done=True)
                .para("Eggs", "checklist", done=False).para("Sourdough bread", "checklist", done=True)
                .para("Coffee beans", "checklist", done=False))
    b.note(title="Shopping list", body=shopping, folder=notes_f, created=t0, modified=SAMPLE_NOW - 2 * day,
           pinned=True, checklist=True)

    trip = (Body().para("Trip to New York", "title").para("Things to do", "heading")
            .para("Walk the High Line", "bullet").para("Museum of Modern Art", "bullet")
            .para("Brunch at Jack's Wife Freda", "bullet").inline("City guide: ")
            .inline("nycgo.com", link="https://www.nycgo.com/").para(""))
    b.note(title="Trip to New York", body=trip, folder=notes_f, created=t0 + 3 * day, modified=t0 + 40 * day)

    books = (Body().para("Book recommendations", "title").para("The Overstory, Richard Powers", "numbered")
             .para("Piranesi, Susanna Clarke", "numbered").para("Klara and the Sun, Kazuo Ishiguro", "numbered"))
    b.note(title="Book recommendations", body=books, folder=notes_f, created=t0 + 5 * day, modified=t0 + 6 * day)

    photo_id, media_id = "E1D2C3B4-A596-4877-8899-AABBCCDDEEFF", "0F1E2D3C-4B5A-4697-8877-665544332211"
    generation = "1_5D4C3B2A-1F0E-4D9C-8B7A-695847362514"
    holiday = (Body().para("Holiday photos", "title").para("Sunset from the cottage on the first evening.")
               .attachment(photo_id, "public.jpeg"))
    note = b.note(title="Holiday photos", body=holiday, folder=notes_f, created=t0 + 9 * day, modified=t0 + 9 * day)
    jpeg = sample_jpeg()
    media_pk = b.obj(E_MEDIA, ZIDENTIFIER=media_id, ZFILENAME="IMG_0420.jpeg", ZGENERATION1=generation,
                     ZFILESIZE=len(jpeg), ZACCOUNT6=1)
    b.obj(E_ATTACHMENT, ZIDENTIFIER=photo_id, ZTYPEUTI="public.jpeg", ZNOTE=note, ZMEDIA=media_pk,
          ZCREATIONDATE=apple(t0 + 9 * day), ZMODIFICATIONDATE=apple(t0 + 9 * day), ZFILESIZE=len(jpeg))
    media_files[f"Accounts/{ACCOUNT_UUID}/Media/{media_id}/{generation}/IMG_0420.jpeg"] = jpeg

    table_id = "5A6B7C8D-9E0F-4A1B-8C2D-3E4F5A6B7C8D"
    budget = Body().para("Budget 2024", "title").para("Monthly, in pounds:").attachment(
        table_id, "com.apple.notes.table")
    note = b.note(title="Budget 2024", body=budget, folder=notes_f, created=t0 + 12 * day, modified=t0 + 30 * day)
    b.obj(E_ATTACHMENT, ZIDENTIFIER=table_id, ZTYPEUTI="com.apple.notes.table", ZNOTE=note,
          ZMERGEABLEDATA1=table_blob([["Item", "Budget", "Spent"], ["Rent", "1200", "1200"],
                                      ["Food", "400", "362.50"]]))

    invoice = (Body().para("Invoice for Harper & Co", "title")
               .para("Invoice INV-2024-031 sent on 28 April: £1,250 for the kitchen design, due in 30 days.")
               .para("Bank: Monzo, sort code 04-00-04."))
    b.note(title="Invoice for Harper & Co", body=invoice, folder=work_f, created=SAMPLE_NOW - 4 * day,
           modified=SAMPLE_NOW - 3 * day)

    wifi = (Body().para("Wi-Fi and door codes", "title").para("Home Wi-Fi: BlueFox-5G / correct-horse-battery")
            .para("Side gate code: 4471").attachment(LOCKED_V1_ATTACHMENT, "public.jpeg"))
    wifi_pk = b.note(title="Wi-Fi and door codes", body=wifi, folder=notes_f, created=t0 + 1 * day,
                     modified=t0 + 50 * day, locked=lock(ctx, wifi.proto()))

    meeting = (Body().para("Meeting notes 12 April", "title").para("Attendees: Priya, Tom, Alex", bold=True)
               .para("Ship the beta by the end of May", "dashed").para("Tom to review the API docs", "dashed"))
    b.note(title="Meeting notes 12 April", body=meeting, folder=work_f, created=SAMPLE_NOW - 19 * day,
           modified=SAMPLE_NOW - 19 * day)

    bread = (Body().para("Banana bread", "title").para("Ingredients", "heading").para("3 ripe bananas", "bullet")
             .para("250 g flour", "bullet").para("100 g butter", "bullet").para("Bake 60 minutes at 170 °C."))
    b.note(title="Banana bread", body=bread, folder=recipes_f, created=t0 + 20 * day, modified=t0 + 21 * day)

    gifts = Body().para("Gift ideas", "title").para("Mum: a cashmere scarf").para("Tom: a coffee grinder")
    gift = b.note(title="Gift ideas", body=gifts, folder=trash_f, created=t0 + 30 * day,
                  modified=SAMPLE_NOW - 6 * day)
    conn.execute("UPDATE ZICCLOUDSYNCINGOBJECT SET ZMARKEDFORDELETION=1 WHERE Z_PK=?", (gift,))

    garden = Body().para("Garden plans", "title").para("Raised bed by the fence; tomatoes, courgettes, basil.")
    b.note(title="Garden plans", body=garden, folder=notes_f, created=t0 + 35 * day, modified=t0 + 36 * day)

    quotes = (Body().para("Quotes", "title").para("学而时习之，不亦说乎 — Confucius 📚")
              .para("Stay hungry, stay foolish.", "mono"))
    b.note(title="Quotes", body=quotes, folder=notes_f, created=t0 + 40 * day, modified=t0 + 41 * day)

    link_id = "9C8B7A6F-5E4D-4C3B-A291-807F6E5D4C3B"
    links = Body().para("Useful links", "title").para("Train times:").attachment(link_id, "public.url")
    note = b.note(title="Useful links", body=links, folder=notes_f, created=t0 + 42 * day, modified=t0 + 42 * day)
    b.obj(E_ATTACHMENT, ZIDENTIFIER=link_id, ZTYPEUTI="public.url", ZNOTE=note,
          ZURLSTRING="https://www.nationalrail.co.uk/", ZTITLE="National Rail Enquiries")

    insurance = Body().para("Car insurance renewal", "title").para("Renews 14 June. Quote from Admiral: £412.")
    b.note(title="Car insurance renewal", body=insurance, folder=notes_f, created=t0 + 60 * day,
           modified=t0 + 61 * day)

    podcast = Body().para("Podcasts", "title").para("Hardcore History; The Rest Is History; Reply All")
    b.note(title="Podcasts", body=podcast, folder=notes_f, created=t0 + 70 * day, modified=t0 + 71 * day)

    draft = Body().para("Resignation draft", "title").para("Dear Sam, after five years I have decided to move on.")
    erased = b.note(title="Resignation draft", body=draft, folder=work_f, created=SAMPLE_NOW - 10 * day,
                    modified=SAMPLE_NOW - 9 * day)

    ideas = Body().para("App ideas", "title").para("A recipe scaler that reads the ingredients from a photo.")
    b.note(title="App ideas", body=ideas, folder=notes_f, created=t0 + 80 * day, modified=t0 + 80 * day)

    passport = (Body().para("Passport and PINs", "title").para("Passport 512 889 204, expires 03/2031")
                .para("Debit card PIN: 6021").attachment(LOCKED_IOS17_ATTACHMENT, "public.jpeg"))
    passport_pk = b.note(title="Passport and PINs", body=passport, folder=notes_f, created=t0 + 90 * day,
                         modified=t0 + 95 * day, locked=lambda note_id, data: lock_ios17(note_id, data, IOS17_HINT))
    media_files.update(locked_attachments(b, wifi_pk, passport_pk))
    conn.commit()
    conn.execute("DELETE FROM ZICNOTEDATA WHERE ZNOTE=?", (erased,))
    conn.execute("DELETE FROM ZICCLOUDSYNCINGOBJECT WHERE Z_PK=?", (erased,))
    conn.commit()
    conn.close()
    return media_files


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """The sample NoteStore.sqlite and the photo attachment, in the Notes app group."""
    path = ctx.scratch_path("notes/NoteStore.sqlite")
    media = build(ctx, str(path))
    yield SampleFile(DOMAIN, "NoteStore.sqlite", path.read_bytes(), mtime=SAMPLE_NOW - timedelta(minutes=40))
    for rel, data in media.items():
        yield SampleFile(DOMAIN, rel, data, mtime=SAMPLE_NOW - timedelta(days=111))
