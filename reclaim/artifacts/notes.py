"""Apple Notes: NoteStore.sqlite (iOS 9+) and the old notes.sqlite (iOS 8 and earlier).

NoteStore.sqlite is a Core Data store whose single table ``ZICCLOUDSYNCINGOBJECT``
holds accounts, folders, notes, attachments and media, told apart by ``Z_ENT``
(numbers read from ``Z_PRIMARYKEY``). A note's body is a gzipped protobuf in
``ZICNOTEDATA.ZDATA``, decoded by :mod:`reclaim.decoders.notes_proto`. Several
foreign keys were renumbered across iOS versions (the note's account is
``ZACCOUNT2`` on iOS 12-13, ``ZACCOUNT4`` on 14-15, ``ZACCOUNT7`` on 16-17, and
other ``ZACCOUNTn`` columns coexist), so the populated column is discovered per
file rather than guessed from the version.

Password-protected notes are listed with their hint and unlocked with
:mod:`reclaim.decoders.notes_crypto` when the user gives note passwords: the iOS 9-16 scheme
and the iOS 17+ custom-password encryption object, with their attachments; notes locked with
the iPhone passcode say that no password can open them.
Notes in "Recently Deleted" are deleted records from the app (``Provenance(area="app")``);
rows deleted from the database are carved from free space.
"""

from __future__ import annotations

import hashlib
import html
import json
import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar

from reclaim.artifacts.base import (
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    carved_id,
    from_apple_time,
    from_apple_time_safe,
)
from reclaim.decoders.keyed_archive import KeyedArchiveError, unarchive
from reclaim.decoders.notes_crypto import (
    DecryptingReader,
    EncryptionObject,
    KeyCache,
    NoteCryptoError,
    WrongNotePassword,
    encryption_object_key,
    ensure_password_lock,
    is_encryption_object,
    locate_encryption_object,
    note_data_key,
    parse_encryption_object,
    unlock_encryption_object,
    unlock_note,
)
from reclaim.decoders.notes_proto import (
    Attachment,
    NoteBody,
    NoteDecodeError,
    decode_note,
    decode_table,
    table_to_html,
    to_html,
    to_markdown,
)

if TYPE_CHECKING:
    from reclaim.case.context import Database, ScanContext
    from reclaim.vfs import Entry

DOMAIN = "AppDomainGroup-group.com.apple.notes"
TRASH_FOLDER_TYPE = 1
#: CloudKit share enums (CKShareParticipant), as stored in ZSERVERSHAREDATA.
_ROLE = {0: "unknown", 1: "owner", 2: "private user", 3: "private user", 4: "public user"}
_PERMISSION = {1: "none", 2: "read only", 3: "read/write"}
_ACCEPTANCE = {0: "unknown", 1: "pending", 2: "accepted", 3: "removed"}
#: the media row's columns that encrypt a locked note's file (iOS 9-16 scheme).
_MEDIA_CRYPTO = ("ZCRYPTOSALT", "ZCRYPTOITERATIONCOUNT", "ZCRYPTOWRAPPEDKEY", "ZASSETCRYPTOINITIALIZATIONVECTOR",
                 "ZASSETCRYPTOTAG", "ZCRYPTOINITIALIZATIONVECTOR", "ZCRYPTOTAG", "ZENCRYPTEDVALUESJSON")
_IMAGE_UTIS = ("public.jpeg", "public.png", "public.heic", "public.tiff", "com.compuserve.gif", "public.image")


@dataclass(kw_only=True)
class Note(Record):
    """One note. ``html`` is a safe fragment (every value escaped); ``date`` is the last modification."""

    KIND = "notes"

    title: str = ""
    folder: str = ""
    account: str = ""
    text: str = ""
    html: str = ""
    markdown: str = ""
    snippet: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    pinned: bool = False
    locked: bool = False
    unlocked: bool = False
    unlock_error: str = ""
    password_hint: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    checklist: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    participants: list[dict[str, str]] = field(default_factory=list)
    share_url: str = ""
    uid: str = ""

    def search_text(self) -> str:
        cells = [c for t in self.tables for row in t for c in row]
        return "\n".join(p for p in (self.title, self.folder, self.text, *self.links, *cells) if p)


def pick_column(db: Database, prefix: str, note_ent: int) -> str | None:
    """The ``<prefix>N`` column of ZICCLOUDSYNCINGOBJECT that note rows actually fill (newest on a tie)."""
    pattern = re.compile(re.escape(prefix) + r"\d*")
    best, best_count, best_suffix = None, 0, -1
    for column in sorted(db.columns("ZICCLOUDSYNCINGOBJECT")):
        if not pattern.fullmatch(column):
            continue
        count = next(db.rows(f'SELECT count(*) FROM ZICCLOUDSYNCINGOBJECT WHERE Z_ENT=? AND "{column}" IS NOT NULL',
                             (note_ent,)))[0]
        suffix = int(column[len(prefix):] or 0)
        if count > best_count or (count == best_count and count > 0 and suffix > best_suffix):
            best, best_count, best_suffix = column, count, suffix
    return best


def _entities_from_rows(db: Database) -> dict[str, int]:
    """The Core Data entity numbers of notes, folders and accounts told from the rows when ``Z_PRIMARYKEY``, which
    names them, is lost: notes are the objects note data belongs to, folders and accounts the objects notes point
    to (each the most common number among them)."""
    obj = "ZICCLOUDSYNCINGOBJECT"
    if not db.has("ZICNOTEDATA", "ZNOTE") or not db.has(obj, "Z_ENT"):
        return {}
    found: dict[str, int] = {}
    row = next(db.rows(f"SELECT o.Z_ENT FROM ZICNOTEDATA d JOIN {obj} o ON o.Z_PK = d.ZNOTE"
                       " GROUP BY o.Z_ENT ORDER BY count(*) DESC LIMIT 1"), None)
    if row is None or row[0] is None:
        return found
    found["ICNote"] = note = row[0]
    pointers = [("ICFolder", "ZFOLDER" if db.has(obj, "ZFOLDER") else None),
                ("ICAccount", pick_column(db, "ZACCOUNT", note))]
    for name, column in pointers:
        if column is None:
            continue
        row = next(db.rows(f'SELECT o.Z_ENT FROM {obj} o WHERE o.Z_PK IN (SELECT "{column}" FROM {obj}'
                           " WHERE Z_ENT = ?) GROUP BY o.Z_ENT ORDER BY count(*) DESC LIMIT 1", (note,)), None)
        if row is not None and row[0] is not None:
            found[name] = row[0]
    return found


def share_participants(blob: bytes | None) -> list[dict[str, str]]:
    """People a note is shared with, from a CloudKit share archive (``ZSERVERSHAREDATA``)."""
    if not blob:
        return []
    try:
        share = unarchive(blob)
    except KeyedArchiveError:
        return []
    if isinstance(share, list):  # some archives hold the share's fields as a list of one-key dicts
        merged: dict[str, Any] = {}
        for item in share:
            if isinstance(item, dict):
                merged.update(item)
        share = merged
    if not isinstance(share, dict):
        return []
    people = []
    for item in share.get("LastFetchedParticipants") or share.get("Participants") or []:
        if not isinstance(item, dict):
            continue
        identity = item.get("UserIdentity") if isinstance(item.get("UserIdentity"), dict) else {}
        lookup = identity.get("LookupInfo") if isinstance(identity.get("LookupInfo"), dict) else {}
        names = identity.get("NameComponents") if isinstance(identity.get("NameComponents"), dict) else {}
        private = names.get("NS.nameComponentsPrivate") if isinstance(names.get("NS.nameComponentsPrivate"),
                                                                     dict) else names
        name = " ".join(p for p in (private.get("NS.givenName"), private.get("NS.familyName")) if p)
        people.append({
            "name": name,
            "email": lookup.get("EmailAddress") or "",
            "phone": lookup.get("PhoneNumber") or "",
            "role": _ROLE.get(item.get("Type"), str(item.get("Type", ""))),
            "permission": _PERMISSION.get(item.get("Permission"), str(item.get("Permission", ""))),
            "status": _ACCEPTANCE.get(item.get("AcceptanceStatus"), str(item.get("AcceptanceStatus", ""))),
            "id": str(item.get("ParticipantID") or ""),
            "is_me": bool(item.get("IsCurrentUser")),
        })
    return people


class _Renderer:
    """Turns a decoded body into text, safe HTML and Markdown, resolving its attachments."""

    def __init__(self, notes: NotesArtifact, ctx: ScanContext, db: Database, note_pk: int, account_uuid: str,
                 password: str | None = None) -> None:
        self.notes, self.ctx, self.db = notes, ctx, db
        self.note_pk, self.account_uuid = note_pk, account_uuid
        self.password = password  # the one that opened this locked note: its attachments are encrypted too
        self.media: list[MediaRef] = []
        self.links: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._rows: dict[str, dict[str, Any]] = {}
        self._done: dict[str, tuple[str, str]] = {}

    def render(self, body: NoteBody) -> tuple[str, str]:
        self._rows = self.notes.attachment_rows(self.db, [a.identifier for a in body.attachments if a.identifier])
        return to_html(body, self._html), to_markdown(body, self._markdown)

    def _resolve(self, attachment: Attachment) -> tuple[str, str]:
        key = attachment.identifier or ""
        if key in self._done:
            return self._done[key]
        row = self._rows.get(key, {})
        uti = row.get("ZTYPEUTI") or attachment.uti or ""
        result = ("", "")
        if uti == "com.apple.notes.table" or attachment.is_table:
            result = self._table(row)
        elif uti.startswith("com.apple.notes.inlinetextattachment"):
            alt = row.get("ZALTTEXT") or row.get("ZTOKENCONTENTIDENTIFIER") or ""
            result = (html.escape(alt), alt)
        elif uti == "public.url" or (row.get("ZURLSTRING") and not row.get("ZMEDIA")):
            url = row.get("ZURLSTRING") or ""
            if url and url not in self.links:
                self.links.append(url)
            title = row.get("ZTITLE") or url
            safe = url if url.lower().startswith(("http://", "https://", "mailto:", "tel:")) else ""
            result = ((f'<a href="{html.escape(safe, quote=True)}">{html.escape(title)}</a>' if safe
                       else html.escape(title)), f"[{title}]({url})" if safe else title)
        else:
            ref = self.notes.attachment_media(self.ctx, self.db, row, key, self.account_uuid, self.password)
            if ref is not None:
                self.media.append(ref)
                kind = "image" if ref.mime.startswith("image/") or uti in _IMAGE_UTIS else "file"
                token = html.escape(ref.sha256 or "", quote=True)
                name = html.escape(ref.name)
                result = (f'<span class="attachment" data-kind="{kind}" data-sha256="{token}">[{kind}: {name}]</span>',
                          f"[{kind}: {ref.name}](#sha256-{ref.sha256 or 'missing'})")
        self._done[key] = result
        return result

    def _table(self, row: dict[str, Any]) -> tuple[str, str]:
        blob = row.get("ZMERGEABLEDATA1") or row.get("ZMERGEABLEDATA")
        if not blob:
            return "", ""
        try:
            rows = decode_table(blob)
        except NoteDecodeError as exc:
            self.ctx.warn(f"{self.db.source}: a table of note {self.note_pk} cannot be read ({exc})")
            return "", ""
        self.tables.append(rows)
        return table_to_html(rows), _markdown_table(rows)

    def _html(self, attachment: Attachment) -> str | None:
        return self._resolve(attachment)[0] or None

    def _markdown(self, attachment: Attachment) -> str | None:
        return self._resolve(attachment)[1] or None


def _first_line(data: bytes) -> str | None:
    """The title line of a carved note body (``None`` when it does not decode)."""
    try:
        return decode_note(data).title
    except NoteDecodeError:
        return None


def _markdown_table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    width = max(len(r) for r in rows)

    def line(cells: list[str]) -> str:
        cells = [*cells, *[""] * (width - len(cells))]
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(rows[0]), "| " + " | ".join(["---"] * width) + " |", *(line(r) for r in rows[1:])])


class NotesArtifact(Artifact):
    kind = "notes"
    title = "Notes"
    record = Note
    files = (
        FileSpec(DOMAIN, "NoteStore.sqlite"),
        FileSpec("HomeDomain", "Library/Notes/notes.sqlite"),
    )
    view = "cards"
    formats = ("notes",)

    def extract(self, ctx: ScanContext) -> Iterator[Note]:
        self._keys = KeyCache()  # password-derived keys, shared by the notes of this scan only
        try:
            for entry in self.inputs(ctx):
                with ctx.database(entry) as db:
                    if db.has("ZICCLOUDSYNCINGOBJECT", "Z_ENT"):
                        yield from self._notestore(ctx, db, entry.domain)
                    elif db.has("ZNOTE") and db.has("ZNOTEBODY"):
                        yield from self._legacy(ctx, db)
        finally:
            self._keys = KeyCache()

    # -- NoteStore.sqlite -------------------------------------------------------------------

    def _notestore(self, ctx: ScanContext, db: Database, domain: str) -> Iterator[Note]:
        self.domain = domain
        ents = {r[1]: r[0] for r in db.rows("SELECT Z_ENT, Z_NAME FROM Z_PRIMARYKEY")} if db.has(
            "Z_PRIMARYKEY") else {}
        if "ICNote" not in ents:
            ents = {**_entities_from_rows(db), **ents}
            ctx.warn(f"{db.source}: Z_PRIMARYKEY does not name the notes' entity (damaged?)"
                     + (": told from the rows (notes hold note data and point to their folder and account)"
                        if "ICNote" in ents else ""))
        note_ent = ents.get("ICNote")
        if note_ent is None:
            return
        accounts = self._accounts(db, ents.get("ICAccount"))
        folders = self._folders(db, ents.get("ICFolder"))
        invitations = self._invitations(db)
        account_col = pick_column(db, "ZACCOUNT", note_ent)
        created_col = pick_column(db, "ZCREATIONDATE", note_ent)
        obj = "ZICCLOUDSYNCINGOBJECT"
        cols = [db.col(obj, c) for c in (
            "ZTITLE1", "ZSNIPPET", "ZFOLDER", "ZMODIFICATIONDATE1", "ZISPINNED", "ZISPASSWORDPROTECTED",
            "ZPASSWORDHINT", "ZMARKEDFORDELETION", "ZIDENTIFIER", "ZCRYPTOSALT", "ZCRYPTOITERATIONCOUNT",
            "ZCRYPTOWRAPPEDKEY", "ZCRYPTOINITIALIZATIONVECTOR", "ZCRYPTOTAG", "ZSERVERSHAREDATA")]
        cols.append(f'{obj}."{account_col}" AS account' if account_col else "NULL AS account")
        cols.append(f'{obj}."{created_col}" AS created' if created_col else "NULL AS created")
        data_cols = ", ".join(db.col("ZICNOTEDATA", c, alias=f"nd_{c}") for c in (
            "ZDATA", "ZCRYPTOINITIALIZATIONVECTOR", "ZCRYPTOTAG"))
        join = "LEFT JOIN ZICNOTEDATA ON ZICNOTEDATA.ZNOTE = ZICCLOUDSYNCINGOBJECT.Z_PK" if db.has(
            "ZICNOTEDATA", "ZNOTE") else ""
        if not join:
            data_cols = "NULL AS nd_ZDATA, NULL AS nd_ZCRYPTOINITIALIZATIONVECTOR, NULL AS nd_ZCRYPTOTAG"
        sql = (f"SELECT {obj}.Z_PK AS pk, {', '.join(cols)}, {data_cols} FROM {obj} {join}"
               f" WHERE {obj}.Z_ENT = ? ORDER BY {obj}.Z_PK")
        live_pks: set[int] = set()
        live_ids: set[str] = set()
        live_data: set[str] = set()
        for row in db.rows(sql, (note_ent,)):
            row = dict(row)
            live_pks.add(row["pk"])
            if row["ZIDENTIFIER"]:
                live_ids.add(row["ZIDENTIFIER"])
            if row["nd_ZDATA"]:
                live_data.add(hashlib.sha1(row["nd_ZDATA"]).hexdigest())
            yield self._note(ctx, db, row, accounts, folders, invitations)
        if ctx.options.recover_deleted:
            yield from self._carved(ctx, db, live_pks, live_ids, live_data, accounts, folders, account_col,
                                    created_col)

    def _accounts(self, db: Database, ent: int | None) -> dict[int, dict[str, Any]]:
        if ent is None:
            return {}
        cols = ", ".join(db.col("ZICCLOUDSYNCINGOBJECT", c) for c in ("ZNAME", "ZIDENTIFIER", "ZPASSWORDHINT"))
        return {r["Z_PK"]: dict(r) for r in db.rows(
            f"SELECT Z_PK, {cols} FROM ZICCLOUDSYNCINGOBJECT WHERE Z_ENT=?", (ent,))}

    def _folders(self, db: Database, ent: int | None) -> dict[int, dict[str, Any]]:
        if ent is None:
            return {}
        cols = ", ".join(db.col("ZICCLOUDSYNCINGOBJECT", c) for c in ("ZTITLE2", "ZFOLDERTYPE", "ZIDENTIFIER",
                                                                      "ZOWNER", "ZPARENT"))
        return {r["Z_PK"]: dict(r) for r in db.rows(
            f"SELECT Z_PK, {cols} FROM ZICCLOUDSYNCINGOBJECT WHERE Z_ENT=?", (ent,))}

    def _invitations(self, db: Database) -> dict[int, dict[str, Any]]:
        if not db.has("ZICINVITATION", "ZROOTOBJECT"):
            return {}
        cols = ", ".join(db.col("ZICINVITATION", c) for c in ("ZROOTOBJECT", "ZSHAREURL", "ZSERVERSHAREDATA"))
        return {r["ZROOTOBJECT"]: dict(r) for r in db.rows(f"SELECT {cols} FROM ZICINVITATION")}

    def _note(self, ctx: ScanContext, db: Database, row: dict[str, Any], accounts: dict[int, dict[str, Any]],
              folders: dict[int, dict[str, Any]], invitations: dict[int, dict[str, Any]]) -> Note:
        folder = folders.get(row["ZFOLDER"] or -1, {})
        account = accounts.get(row["account"] or -1) or accounts.get(folder.get("ZOWNER") or -1) or {}
        in_trash = folder.get("ZFOLDERTYPE") == TRASH_FOLDER_TYPE or folder.get("ZTITLE2") == "Recently Deleted"
        deleted = bool(in_trash or row["ZMARKEDFORDELETION"])
        note = Note(
            id=f"notes:{row['pk']}",
            date=from_apple_time(row["ZMODIFICATIONDATE1"]) or from_apple_time(row["created"]),
            source=db.source,
            deleted=deleted,
            provenance=Provenance(area="app") if deleted else None,
            title=row["ZTITLE1"] or "",
            folder=folder.get("ZTITLE2") or "",
            account=account.get("ZNAME") or "",
            snippet=row["ZSNIPPET"] or "",
            created=from_apple_time(row["created"]),
            modified=from_apple_time(row["ZMODIFICATIONDATE1"]),
            pinned=bool(row["ZISPINNED"]),
            locked=bool(row["ZISPASSWORDPROTECTED"]),
            uid=row["ZIDENTIFIER"] or "",
        )
        data, password = row["nd_ZDATA"], None
        if note.locked:
            note.password_hint = row["ZPASSWORDHINT"] or account.get("ZPASSWORDHINT") or ""
            data, password = self._unlock(ctx, note, row) or (None, None)
        if data:
            self._fill_body(ctx, db, note, data, row["pk"], account.get("ZIDENTIFIER") or "", password)
        invitation = invitations.get(row["pk"], {})
        note.participants = share_participants(invitation.get("ZSERVERSHAREDATA") or row["ZSERVERSHAREDATA"])
        note.share_url = invitation.get("ZSHAREURL") or ""
        return note

    def _unlock(self, ctx: ScanContext, note: Note, row: dict[str, Any]) -> tuple[bytes, str] | None:
        """The decrypted body and the password that opened it, or ``None`` with ``unlock_error`` set."""
        data = row["nd_ZDATA"]
        sealed = None
        if is_encryption_object(data):  # iOS 17+: the row's ZCRYPTO* columns are filler
            try:
                sealed = parse_encryption_object(data)
            except NoteCryptoError as exc:
                note.unlock_error = str(exc)
                return None
            note.password_hint = note.password_hint or sealed.hint
            try:  # an iPhone-passcode lock: no password can open it, say so even when none was given
                ensure_password_lock(sealed)
            except NoteCryptoError as exc:
                note.unlock_error = str(exc)
                return None
        passwords = ctx.options.note_passwords
        if not passwords:
            note.unlock_error = "locked: give the note password to read it"
            return None
        return self._try_passwords(note, row, sealed, passwords)

    def _try_passwords(self, note: Note, row: dict[str, Any], sealed: EncryptionObject | None,
                       passwords: list[str]) -> tuple[bytes, str] | None:
        for password in passwords:
            try:
                if sealed is not None:
                    data = unlock_encryption_object(password, sealed, row["ZIDENTIFIER"], self._keys)
                else:
                    data = unlock_note(
                        password, row["ZCRYPTOSALT"], row["ZCRYPTOITERATIONCOUNT"], row["ZCRYPTOWRAPPEDKEY"],
                        row["nd_ZCRYPTOINITIALIZATIONVECTOR"] or row["ZCRYPTOINITIALIZATIONVECTOR"],
                        row["nd_ZCRYPTOTAG"] or row["ZCRYPTOTAG"], row["nd_ZDATA"], keys=self._keys)
            except WrongNotePassword:
                continue
            except NoteCryptoError as exc:
                note.unlock_error = str(exc)
                return None
            note.unlocked = True
            return data, password
        note.unlock_error = "wrong password: none of the given note passwords unlocks this note"
        return None

    def _fill_body(self, ctx: ScanContext, db: Database, note: Note, data: bytes, pk: int, account_uuid: str,
                   password: str | None = None) -> None:
        try:
            body = decode_note(data)
        except NoteDecodeError as exc:
            ctx.warn(f"{db.source}: note {pk} body cannot be read ({exc})")
            return
        renderer = _Renderer(self, ctx, db, pk, account_uuid, password)
        note.html, note.markdown = renderer.render(body)
        note.text = body.plain_text
        note.title = note.title or body.title
        note.checklist = [{"text": text, "done": done} for text, done in body.checklist]
        note.links = [*body.links, *(u for u in renderer.links if u not in body.links)]
        note.attachments = renderer.media
        note.tables = renderer.tables

    def attachment_rows(self, db: Database, identifiers: list[str]) -> dict[str, dict[str, Any]]:
        """Attachment rows by ``ZIDENTIFIER`` (with their media's identifier, file name and generation)."""
        if not identifiers:
            return {}
        obj = "ZICCLOUDSYNCINGOBJECT"
        cols = ", ".join(f"a.{c}" if db.has(obj, c) else f"NULL AS {c}" for c in (
            "ZIDENTIFIER", "ZTYPEUTI", "ZMEDIA", "ZTITLE", "ZURLSTRING", "ZMERGEABLEDATA1", "ZMERGEABLEDATA",
            "ZALTTEXT", "ZTOKENCONTENTIDENTIFIER", "ZFILENAME"))
        names = ("ZIDENTIFIER", "ZFILENAME", "ZGENERATION1", "ZGENERATION", *_MEDIA_CRYPTO)
        join = "LEFT JOIN ZICCLOUDSYNCINGOBJECT m ON m.Z_PK = a.ZMEDIA" if db.has(obj, "ZMEDIA") else ""
        media_cols = ", ".join(f"m.{c} AS media_{c}" if join and db.has(obj, c) else f"NULL AS media_{c}"
                               for c in names)
        marks = ",".join("?" * len(identifiers))
        sql = f"SELECT {cols}, {media_cols} FROM {obj} a {join} WHERE a.ZIDENTIFIER IN ({marks})"
        return {r["ZIDENTIFIER"]: dict(r) for r in db.rows(sql, identifiers)}

    def attachment_media(self, ctx: ScanContext, db: Database, row: dict[str, Any], identifier: str,
                         account_uuid: str, password: str | None = None) -> MediaRef | None:
        """The stored file of an image/file attachment (``missing`` when the phone no longer has it).

        A locked note's media file is encrypted: with the ``password`` that opened
        the note it is found (:meth:`_locked_media`), decrypted and stored in clear.
        """
        media_id = row.get("media_ZIDENTIFIER")
        name = row.get("media_ZFILENAME") or row.get("ZFILENAME") or ""
        roots = [f"Accounts/{account_uuid}"] if account_uuid else []
        roots += ["Accounts/LocalAccount", "Accounts/*"]
        generation = row.get("media_ZGENERATION1") or row.get("media_ZGENERATION")
        if password is not None and media_id:
            ref = self._locked_media(ctx, row, media_id, name, generation, roots, password)
            if ref is not None:
                return ref
        if media_id and name:
            for root in roots:
                candidates = [f"{root}/Media/{media_id}/{generation}/{name}"] if generation else []
                candidates += [f"{root}/Media/{media_id}/{name}", f"{root}/Media/{media_id}/*/{name}"]
                for pattern in candidates:
                    entry = next(ctx.fs.files(self.domain, pattern), None)
                    if entry is not None:
                        return ctx.media(entry, name=name, role="attachment")
        for root in roots:  # drawings, scans and PDFs keep a rendered copy
            for pattern in (f"{root}/FallbackImages/{identifier}.*", f"{root}/FallbackPDFs/{identifier}*"):
                entry = next(ctx.fs.files(self.domain, pattern), None)
                if entry is not None:
                    return ctx.media(entry, name=name or entry.name, role="attachment")
        if not (media_id or name):
            return None
        origin = f"{self.domain}/Accounts/{account_uuid}/Media/{media_id}/{name}"
        return ctx.media(None, name=name or str(media_id), role="attachment", origin=origin)

    def _locked_media(self, ctx: ScanContext, row: dict[str, Any], media_id: str, name: str,
                      generation: str | None, roots: list[str], password: str) -> MediaRef | None:
        """A locked note's media file, decrypted; ``None`` when no encrypted file is there.

        iOS 9-16 name the file after the media UUID and hide the real file name in
        the media row's ``ZENCRYPTEDVALUESJSON`` (as apple_cloud_notes_parser reads
        them); iOS 17+ custom-password files are encryption objects written beside
        the plain name with ``.encrypted`` appended.
        """
        name = name or self._sealed_filename(ctx, row, password) or media_id
        for root in roots:
            folders = [f"{root}/Media/{media_id}/{generation}"] if generation else []
            folders += [f"{root}/Media/{media_id}", f"{root}/Media/{media_id}/*"]
            for folder in folders:
                for leaf in (media_id, f"{name}.encrypted", f"{media_id}.encrypted"):
                    entry = next(ctx.fs.files(self.domain, f"{folder}/{leaf}"), None)
                    if entry is not None:
                        return self._sealed_media(ctx, entry, row, name, password)
        return None

    def _sealed_filename(self, ctx: ScanContext, row: dict[str, Any], password: str) -> str | None:
        """The real file name of a locked note's media, from its encrypted values (JSON ``filename``)."""
        sealed = row.get("media_ZENCRYPTEDVALUESJSON")
        if not sealed:
            return None
        try:
            plain = self._open_sealed(bytes(sealed), row, password, "ZCRYPTO")
            values = json.loads(plain)
        except (WrongNotePassword, NoteCryptoError, ValueError) as exc:
            ctx.warn(f"{self.domain}: a locked attachment's name cannot be read ({exc})")
            return None
        name = values.get("filename") if isinstance(values, dict) else None
        return name if isinstance(name, str) and name else None

    def _open_sealed(self, data: bytes, row: dict[str, Any], password: str, prefix: str) -> bytes:
        """Decrypt a locked note's media data: an iOS 17+ encryption object, or v1 keyed by the media row."""
        if is_encryption_object(data):
            return unlock_encryption_object(password, data, keys=self._keys)
        return unlock_note(password, row.get("media_ZCRYPTOSALT") or b"", row.get("media_ZCRYPTOITERATIONCOUNT") or 0,
                           row.get("media_ZCRYPTOWRAPPEDKEY") or b"",
                           row.get(f"media_{prefix}INITIALIZATIONVECTOR") or b"", row.get(f"media_{prefix}TAG") or b"",
                           data, keys=self._keys)

    def _sealed_media(self, ctx: ScanContext, entry: Entry, row: dict[str, Any], name: str,
                      password: str) -> MediaRef:
        """Decrypt a locked note's media file, an iOS 17+ encryption object or v1 AES-GCM keyed by the media
        row, as it is stored: a big video never sits in memory."""
        origin = f"{entry.domain}/{entry.path}"
        head = ctx.head(entry, 8)
        if head is None:
            return MediaRef(name=name, origin=origin, missing=True, role="attachment")
        try:
            if is_encryption_object(head):
                return self._sealed_archive(ctx, entry, row, name, password, origin)
            key = note_data_key(password, row.get("media_ZCRYPTOSALT") or b"",
                                row.get("media_ZCRYPTOITERATIONCOUNT") or 0, row.get("media_ZCRYPTOWRAPPEDKEY") or b"",
                                keys=self._keys)
            with ctx.fs.open(entry) as stream:
                reader = DecryptingReader(stream, key, row.get("media_ZASSETCRYPTOINITIALIZATIONVECTOR") or b"",
                                          row.get("media_ZASSETCRYPTOTAG") or b"")
                return ctx.media_stream(reader, name=name, role="attachment", origin=origin)
        except (WrongNotePassword, NoteCryptoError) as exc:
            ctx.warn(f"{origin}: encrypted attachment cannot be opened ({exc})")
            return MediaRef(name=name, origin=origin, missing=True, role="attachment")

    def _sealed_archive(self, ctx: ScanContext, entry: Entry, row: dict[str, Any], name: str, password: str,
                        origin: str) -> MediaRef:
        """An iOS 17+ ``.encrypted`` attachment: its archive is read from the file (the source's own, or a local
        copy) mapped in memory (only its structure is touched), then its data decrypted from it in chunks."""
        with ctx.fs.local_file(entry) as path, open(path, "rb") as file:
            try:
                with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as blob:
                    sealed = locate_encryption_object(blob)
            except NoteCryptoError:  # a shape the strict reader does not know: read it whole
                file.seek(0)
                plain = self._open_sealed(file.read(), row, password, "ZASSETCRYPTO")
                return ctx.media_bytes(plain, name=name, role="attachment", origin=origin)
            key = encryption_object_key(password, sealed.obj, self._keys)
            file.seek(sealed.start)
            reader = DecryptingReader(file, key, sealed.iv, sealed.tag, associated=sealed.obj.authenticated_data,
                                      length=sealed.stop - sealed.start)
            return ctx.media_stream(reader, name=name, role="attachment", origin=origin)

    # -- deleted rows -------------------------------------------------------------------------

    def _carved(self, ctx: ScanContext, db: Database, live_pks: set[int], live_ids: set[str], live_data: set[str],
                accounts: dict[int, dict[str, Any]], folders: dict[int, dict[str, Any]], account_col: str | None,
                created_col: str | None) -> Iterator[Note]:
        objects: dict[int, Any] = {}
        bodies = []
        for rec in db.carve(tables=["ZICCLOUDSYNCINGOBJECT", "ZICNOTEDATA"]):
            values = rec.values
            if rec.table == "ZICNOTEDATA":
                data = values.get("ZDATA")
                if (isinstance(data, bytes) and data and values.get("ZNOTE") not in live_pks
                        and hashlib.sha1(data).hexdigest() not in live_data):
                    bodies.append(rec)
            elif isinstance(values.get("ZTITLE1"), str) and values.get("ZIDENTIFIER") not in live_ids:
                if rec.rowid is not None and rec.rowid in live_pks:
                    continue
                objects[rec.rowid if rec.rowid is not None else -id(rec)] = rec
        used: set[int] = set()
        for rec in bodies:
            key = rec.values.get("ZNOTE")
            if key not in objects or key in used:  # the note row lost its key: pair by title
                key = next((k for k, o in objects.items() if k not in used and _first_line(rec.values["ZDATA"])
                            == o.values.get("ZTITLE1")), None)
            if key is not None:
                used.add(key)
            yield self._carved_note(ctx, db, rec, objects.get(key), accounts, folders, account_col, created_col)
        for key, rec in objects.items():
            if key not in used:
                yield self._carved_note(ctx, db, None, rec, accounts, folders, account_col, created_col)

    def _carved_note(self, ctx: ScanContext, db: Database, body_rec: Any, obj_rec: Any,
                     accounts: dict[int, dict[str, Any]], folders: dict[int, dict[str, Any]],
                     account_col: str | None, created_col: str | None) -> Note:
        values = obj_rec.values if obj_rec is not None else {}
        main = body_rec or obj_rec
        folder = folders.get(values.get("ZFOLDER") or -1, {})
        account = accounts.get(values.get(account_col or "") or -1) or accounts.get(folder.get("ZOWNER") or -1) or {}
        modified = from_apple_time_safe(values.get("ZMODIFICATIONDATE1"))
        created = from_apple_time_safe(values.get(created_col or ""))
        note = Note(
            id=carved_id("notes", main),
            date=modified or created,
            source=db.source,
            deleted=True,
            provenance=Provenance.of(main),
            title=values.get("ZTITLE1") or "",
            folder=folder.get("ZTITLE2") or "",
            account=account.get("ZNAME") or "",
            snippet=values.get("ZSNIPPET") if isinstance(values.get("ZSNIPPET"), str) else "",
            created=created,
            modified=modified,
            locked=bool(values.get("ZISPASSWORDPROTECTED")),
            uid=values.get("ZIDENTIFIER") if isinstance(values.get("ZIDENTIFIER"), str) else "",
        )
        data = body_rec.values["ZDATA"] if body_rec is not None else None
        note.locked = note.locked or is_encryption_object(data)  # an iOS 17+ sealed body outlives its row
        password = None
        if data and note.locked:
            note.password_hint = (values.get("ZPASSWORDHINT") if isinstance(values.get("ZPASSWORDHINT"), str)
                                  else "") or account.get("ZPASSWORDHINT") or ""
            body = body_rec.values
            row = {"ZIDENTIFIER": note.uid or None, "nd_ZDATA": data,
                   "nd_ZCRYPTOINITIALIZATIONVECTOR": body.get("ZCRYPTOINITIALIZATIONVECTOR"),
                   "nd_ZCRYPTOTAG": body.get("ZCRYPTOTAG"),
                   **{c: values.get(c) for c in ("ZCRYPTOSALT", "ZCRYPTOITERATIONCOUNT", "ZCRYPTOWRAPPEDKEY",
                                                 "ZCRYPTOINITIALIZATIONVECTOR", "ZCRYPTOTAG")}}
            data, password = self._unlock(ctx, note, row) or (None, None)
        if data:
            self._fill_body(ctx, db, note, data, -1, account.get("ZIDENTIFIER") or "", password)
        return note

    # -- notes.sqlite (iOS 8 and earlier) -----------------------------------------------------------

    def _legacy(self, ctx: ScanContext, db: Database) -> Iterator[Note]:
        stores: dict[int, tuple[str, str]] = {}
        if db.has("ZSTORE", "ZNAME"):
            account_join = "LEFT JOIN ZACCOUNT ON ZACCOUNT.Z_PK = ZSTORE.ZACCOUNT" if db.has(
                "ZACCOUNT", "ZNAME") and db.has("ZSTORE", "ZACCOUNT") else ""
            account_name = "ZACCOUNT.ZNAME" if account_join else "NULL"
            for r in db.rows(f"SELECT ZSTORE.Z_PK, ZSTORE.ZNAME, {account_name} FROM ZSTORE {account_join}"):
                stores[r[0]] = (r[1] or "", r[2] or "")
        cols = ", ".join(db.col("ZNOTE", c) for c in ("ZTITLE", "ZSUMMARY", "ZCREATIONDATE", "ZMODIFICATIONDATE",
                                                      "ZSTORE", "ZDELETEDFLAG", "ZGUID"))
        body_key = "ZNOTEBODY.ZOWNER = ZNOTE.Z_PK" if db.has("ZNOTEBODY", "ZOWNER") else "ZNOTEBODY.Z_PK = ZNOTE.ZBODY"
        content = db.col("ZNOTEBODY", "ZCONTENT")
        for row in db.rows(f"SELECT ZNOTE.Z_PK AS pk, {cols}, {content} FROM ZNOTE LEFT JOIN ZNOTEBODY ON {body_key}"):
            folder, account = stores.get(row["ZSTORE"] or -1, ("", ""))
            text = html_to_text(row["ZCONTENT"] or "")
            deleted = bool(row["ZDELETEDFLAG"])
            yield Note(
                id=f"notes:legacy:{row['pk']}",
                date=from_apple_time(row["ZMODIFICATIONDATE"]) or from_apple_time(row["ZCREATIONDATE"]),
                source=db.source,
                deleted=deleted,
                provenance=Provenance(area="app") if deleted else None,
                title=row["ZTITLE"] or text.split("\n", 1)[0],
                folder=folder,
                account=account,
                text=text,
                html="".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n")),
                markdown=text,
                snippet=row["ZSUMMARY"] or "",
                created=from_apple_time(row["ZCREATIONDATE"]),
                modified=from_apple_time(row["ZMODIFICATIONDATE"]),
                uid=row["ZGUID"] or "",
            )


class _TextOf(HTMLParser):
    _BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"div", "p", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside <script>/<style>: not text a user wrote

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in self._BLOCKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The plain text of an old note's HTML body (block tags become line breaks)."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts).replace("\xa0", " ")).strip()
