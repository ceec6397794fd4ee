"""Contacts as vCard 3.0 (Apple Contacts, Google Contacts, Outlook) and as a spreadsheet-friendly CSV.

Writes ``contacts.vcf`` (every card, the recovered deleted ones included and marked
in their NOTE), one ``cards/<name>.vcf`` per contact for importing a single person,
and ``contacts.csv``. vCard text is escaped (``\\``, ``,``, ``;``, newlines) and folded at
75 octets without splitting a UTF-8 character, lines end in CRLF, photos are embedded
as ``PHOTO;ENCODING=b;TYPE=JPEG`` (RFC 2426).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from reclaim.case.store import CaseReader
from reclaim.output import atomic_writer, safe_component, safe_join, title_component

FORMAT = "vcard"
KINDS = ("contacts",)

#: Contacts labels → vCard TYPE values (others become an Apple ``X-ABLabel``).
PHONE_TYPES = {"mobile": "CELL", "iphone": "IPHONE", "home": "HOME", "work": "WORK", "main": "MAIN",
               "homefax": "HOME,FAX", "workfax": "WORK,FAX", "otherfax": "FAX", "pager": "PAGER", "other": "OTHER"}
EMAIL_TYPES = {"home": "HOME", "work": "WORK", "other": "OTHER"}
CSV_COLUMNS = ("name", "first", "last", "organization", "job_title", "phones", "emails", "addresses", "urls",
               "birthday", "groups", "note", "created", "modified", "deleted", "recovered_from", "photo_sha256")


_SPECIAL = re.compile(r"[\\;,\r\n]")


def escape(value: str) -> str:
    """Escape a vCard 3.0 text value."""
    if _SPECIAL.search(value) is None:
        return value  # most names and numbers: nothing to escape
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with a space), CRLF-terminated."""
    if line.isascii():  # one octet per character: cut the text itself (base64 photos are long and ASCII)
        if len(line) <= 75:
            return line + "\r\n"
        return "\r\n ".join([line[:75], *(line[i : i + 74] for i in range(75, len(line), 74))]) + "\r\n"
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # the leading space counts
    return "\r\n ".join(parts) + "\r\n"


def _typed(prop: str, item: dict[str, Any], types: dict[str, str], n: int, base: str = "") -> list[str]:
    """A TEL/EMAIL/ADR line; a custom label goes in an Apple ``itemN.X-ABLabel`` beside it."""
    label = str(item.get("label") or "")
    kind = types.get(label.lower().replace(" ", ""))
    value = item.get("_raw") or escape(str(item.get("value") or ""))
    if kind or not label:
        return [f"{prop}{base}{f';TYPE={kind}' if kind else ''}:{value}"]
    return [f"item{n}.{prop}{base}:{value}", f"item{n}.X-ABLabel:{escape(label)}"]


def card(contact: dict[str, Any], photo: bytes | None = None, photo_mime: str = "") -> str:
    """One contact record (its JSON form) as a vCard 3.0 text."""
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    n_fields = [contact.get(k) or "" for k in ("last", "first", "middle", "prefix", "suffix")]
    lines.append("N:" + ";".join(escape(str(v)) for v in n_fields))
    name = contact.get("name") or contact.get("organization") or "(no name)"
    lines.append(f"FN:{escape(str(name))}")
    if contact.get("nickname"):
        lines.append(f"NICKNAME:{escape(contact['nickname'])}")
    if contact.get("organization") or contact.get("department"):
        department = f";{escape(contact['department'])}" if contact.get("department") else ""
        lines.append(f"ORG:{escape(contact.get('organization') or '')}{department}")
    if not (contact.get("first") or contact.get("last")) and contact.get("organization"):
        lines.append("X-ABShowAs:COMPANY")
    if contact.get("job_title"):
        lines.append(f"TITLE:{escape(contact['job_title'])}")
    group = 0
    for phone in contact.get("phones") or []:
        group += 1
        lines += _typed("TEL", phone, PHONE_TYPES, group)
    for email in contact.get("emails") or []:
        group += 1
        lines += _typed("EMAIL", email, EMAIL_TYPES, group, ";TYPE=INTERNET")
    for address in contact.get("addresses") or []:
        group += 1
        parts = [address.get(k) or "" for k in ("street", "city", "state", "zip", "country")]
        raw = ";;" + ";".join(escape(str(p)) for p in parts)
        lines += _typed("ADR", {**address, "_raw": raw}, EMAIL_TYPES, group)
    for url in contact.get("urls") or []:
        lines.append(f"URL:{escape(str(url.get('value') or ''))}")
    birthday = contact.get("birthday")
    if birthday:
        if str(birthday).startswith("--"):
            lines.append(f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-{birthday[2:]}")
        else:
            lines.append(f"BDAY:{birthday}")
    note = contact.get("note") or ""
    if contact.get("deleted"):
        note = (note + "\n" if note else "") + "Recovered by reclaim: this contact had been deleted."
    if note:
        lines.append(f"NOTE:{escape(note)}")
    if contact.get("groups"):
        lines.append("CATEGORIES:" + ",".join(escape(g) for g in contact["groups"]))
    if contact.get("guid"):
        lines.append(f"UID:{escape(contact['guid'])}")
    if contact.get("modified"):
        lines.append(f"REV:{contact['modified']}")
    if photo:
        kind = {"image/png": "PNG", "image/gif": "GIF"}.get(photo_mime, "JPEG")
        lines.append(f"PHOTO;ENCODING=b;TYPE={kind}:" + base64.b64encode(photo).decode("ascii"))
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def _photo(case: CaseReader, contact: dict[str, Any]) -> tuple[bytes | None, str]:
    ref = contact.get("photo") or {}
    path = case.media_path(ref.get("sha256") or "") if ref else None
    if path is None:
        return None, ""
    return path.read_bytes(), str(ref.get("mime") or "")


def _joined(items: list[dict[str, Any]] | None) -> str:
    if not items:
        return ""
    return "; ".join(f"{i.get('label')}: {i.get('value')}" if i.get("label") else str(i.get("value") or "")
                     for i in items or [])


def export(case: CaseReader, kind: str, out: Path) -> list[Path]:
    """Write contacts.vcf, cards/<name>.vcf per contact and contacts.csv under ``out``."""
    with _CardFolder(out) as cards:
        return _export(case, kind, out, cards)


_SEPARATORS = re.compile(r"[/\\]+")  # as safe_join splits a name


class _CardFolder:
    """``out/cards``, written as a hidden folder that takes its place when every card is in it.

    One file per contact: writing each through its own temporary name (and checking each
    path against symbolic links) cost more than making the card. Here the names are made
    safe as :func:`safe_join` makes them, inside a new private folder no link can be in, and
    the folder is renamed into place at the end (or its files moved, when ``cards`` is
    already there from an earlier export). An interrupted export leaves no ``cards`` folder
    behind and an earlier one untouched.
    """

    def __init__(self, out: Path) -> None:
        self.target = safe_join(out, "cards")
        self.files: list[tuple[str, ...]] = []
        self.temp: Path | None = None
        self.made: set[Path] = set()
        self.prefix = ""

    def __enter__(self) -> _CardFolder:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        while self.temp is None:  # not mkdtemp: the folder keeps the permissions cards/ always had
            temp = self.target.parent / f".reclaim-cards-{secrets.token_hex(6)}"
            with contextlib.suppress(FileExistsError):
                temp.mkdir()
                self.temp = temp
        self.made.add(self.temp)
        self.prefix = f"{self.temp}/"
        return self

    def write(self, name: str, data: bytes) -> Path:
        """Write one card; returns where it will be once the folder is in place."""
        assert self.temp is not None
        parts = tuple(safe_component(piece) for piece in _SEPARATORS.split(name) if piece not in {"", "."})
        if len(parts) > 1:
            folder = self.temp.joinpath(*parts[:-1])
            if folder not in self.made:
                folder.mkdir(parents=True, exist_ok=True)
                self.made.add(folder)
        fd = os.open(self.prefix + "/".join(parts), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # umask applies
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.files.append(parts)
        return self.target.joinpath(*parts)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        assert self.temp is not None
        try:
            if kind is None:
                self._install()
        finally:
            shutil.rmtree(self.temp, ignore_errors=True)

    def _install(self) -> None:
        assert self.temp is not None
        if not self.files:
            return  # no contact, no cards folder (as before)
        if not self.target.exists() and not self.target.is_symlink():
            os.rename(self.temp, self.target)
            return
        for parts in self.files:  # an earlier export's folder: replace file by file
            if (self.temp.joinpath(*parts)).exists():
                safe_join(self.target, *parts).parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.temp.joinpath(*parts), safe_join(self.target, *parts))


def _export(case: CaseReader, kind: str, out: Path, cards: _CardFolder) -> list[Path]:
    written: list[Path] = []
    all_path = safe_join(out, "contacts.vcf")
    csv_path = safe_join(out, "contacts.csv")
    used: set[str] = set()
    with atomic_writer(all_path) as vcf, atomic_writer(csv_path, "w") as table:
        writer = csv.writer(table)
        writer.writerow(CSV_COLUMNS)
        for contact in case.records(kind, order="rid"):
            photo, mime = _photo(case, contact)
            text = card(contact, photo, mime)
            data = text.encode("utf-8")
            vcf.write(data)
            base = title_component(str(contact.get("name") or contact.get("organization") or ""), "contact")
            if contact.get("deleted"):
                base += " (deleted)"
            name, n = base, 1
            while name.lower() in used:
                n += 1
                name = f"{base} ({n})"
            used.add(name.lower())
            written.append(cards.write(f"{name}.vcf", data))
            prov = contact.get("provenance") or {}
            writer.writerow([
                contact.get("name") or "", contact.get("first") or "", contact.get("last") or "",
                contact.get("organization") or "", contact.get("job_title") or "", _joined(contact.get("phones")),
                _joined(contact.get("emails")), _joined(contact.get("addresses")), _joined(contact.get("urls")),
                contact.get("birthday") or "", "; ".join(contact.get("groups") or []), contact.get("note") or "",
                contact.get("created") or "", contact.get("modified") or "", "yes" if contact.get("deleted") else "",
                prov.get("area") or "", (contact.get("photo") or {}).get("sha256") or "",
            ])
    return [all_path, csv_path, *written]

