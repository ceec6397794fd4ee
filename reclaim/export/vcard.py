"""Contacts as vCard 3.0 (Apple Contacts, Google Contacts, Outlook) and as a spreadsheet-friendly CSV.

Writes ``contacts.vcf`` (every card, the recovered deleted ones included and marked
in their NOTE), one ``cards/<name>.vcf`` per contact for importing a single person,
and ``contacts.csv``. vCard text is escaped (``\\``, ``,``, ``;``, newlines) and folded at
75 octets without splitting a UTF-8 character, lines end in CRLF, photos are embedded
as ``PHOTO;ENCODING=b;TYPE=JPEG`` (RFC 2426).
"""

from __future__ import annotations

import base64
import csv
from pathlib import Path
from typing import Any

from reclaim.case.store import CaseReader
from reclaim.output import atomic_writer, safe_join

FORMAT = "vcard"
KINDS = ("contacts",)

#: Contacts labels → vCard TYPE values (others become an Apple ``X-ABLabel``).
PHONE_TYPES = {"mobile": "CELL", "iphone": "IPHONE", "home": "HOME", "work": "WORK", "main": "MAIN",
               "homefax": "HOME,FAX", "workfax": "WORK,FAX", "otherfax": "FAX", "pager": "PAGER", "other": "OTHER"}
EMAIL_TYPES = {"home": "HOME", "work": "WORK", "other": "OTHER"}
CSV_COLUMNS = ("name", "first", "last", "organization", "job_title", "phones", "emails", "addresses", "urls",
               "birthday", "groups", "note", "created", "modified", "deleted", "recovered_from", "photo_sha256")


def escape(value: str) -> str:
    """Escape a vCard 3.0 text value."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with a space), CRLF-terminated."""
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
    return "; ".join(f"{i.get('label')}: {i.get('value')}" if i.get("label") else str(i.get("value") or "")
                     for i in items or [])


def export(case: CaseReader, kind: str, out: Path) -> list[Path]:
    """Write contacts.vcf, cards/<name>.vcf per contact and contacts.csv under ``out``."""
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
            vcf.write(text.encode("utf-8"))
            base = str(contact.get("name") or contact.get("organization") or "contact")
            if contact.get("deleted"):
                base += " (deleted)"
            name, n = base, 1
            while name.lower() in used:
                n += 1
                name = f"{base} ({n})"
            used.add(name.lower())
            single = safe_join(out, "cards", f"{name}.vcf")
            with atomic_writer(single) as handle:
                handle.write(text.encode("utf-8"))
            written.append(single)
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

