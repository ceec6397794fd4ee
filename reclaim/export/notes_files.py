"""Notes as files people can open: ``<folder>/<title>.html``, ``.md`` and ``.txt`` for every note.

Attachments are copied beside the note (``<folder>/<title> files/<name>``) and the
HTML and Markdown point at those copies, so a folder can be zipped and read
anywhere. Recovered deleted notes go under ``Recovered (deleted)/``; locked notes
that could not be opened get a page that says so, with the password hint.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

from reclaim.case.store import CaseReader
from reclaim.output import atomic_write_text, atomic_writer, safe_join, title_component

FORMAT = "notes"
KINDS = ("notes",)
DELETED_FOLDER = "Recovered (deleted)"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d1d1f; }}
.meta {{ color: #6e6e73; font-size: 0.85rem; border-bottom: 1px solid #d2d2d7; padding-bottom: .5rem; }}
table {{ border-collapse: collapse; }} td {{ border: 1px solid #d2d2d7; padding: .25rem .5rem; }}
img {{ max-width: 100%; }} .locked {{ background: #fff4e5; padding: 1rem; border-radius: .5rem; }}
</style></head><body>
<p class="meta">{meta}</p>
{body}
</body></html>
"""

_SPAN = re.compile(r'<span class="attachment" data-kind="(image|file)" data-sha256="([0-9a-f]*)">\[[^<]*\]</span>')
_MD_LINK = re.compile(r"\]\(#sha256-([0-9a-f]{64}|missing)\)")


def _unique(folder: Path, stem: str, used: set[str]) -> str:
    """A file stem not used yet in ``folder`` ("Title", "Title (2)", ...)."""
    base = title_component(stem or "", "Untitled")[:120]
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base} ({n})"
    used.add(name.lower())
    return name


def _meta(note: dict[str, Any]) -> str:
    parts = [f"Folder: {note.get('folder') or '—'}"]
    if note.get("account"):
        parts.append(f"Account: {note['account']}")
    if note.get("created"):
        parts.append(f"Created: {note['created']}")
    if note.get("modified"):
        parts.append(f"Modified: {note['modified']}")
    if note.get("deleted"):
        parts.append("Deleted (recovered)")
    return " · ".join(parts)


def _locked_text(note: dict[str, Any]) -> str:
    hint = f" Password hint: “{note['password_hint']}”." if note.get("password_hint") else ""
    reason = note.get("unlock_error") or "locked"
    return f"This note is password-protected and could not be opened ({reason}).{hint}"


def _copy_media(case: CaseReader, note: dict[str, Any], target_dir: Path, rel_dir: str) -> dict[str, str]:
    """Copy the note's stored attachments; returns sha256 -> relative path from the note's folder."""
    links: dict[str, str] = {}
    used: set[str] = set()
    for ref in note.get("attachments") or []:
        sha = ref.get("sha256")
        source = case.media_path(sha) if sha else None
        if source is None or sha in links:
            continue
        name = _unique(target_dir, ref.get("name") or sha[:12], used)
        target = safe_join(target_dir, name)
        with open(source, "rb") as src, atomic_writer(target) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        links[sha] = f"{rel_dir}/{name}"
    return links


def _html_body(note: dict[str, Any], links: dict[str, str]) -> str:
    if note.get("locked") and not note.get("unlocked"):
        return f'<p class="locked">{html.escape(_locked_text(note))}</p>'
    body = note.get("html") or "".join(f"<p>{html.escape(line)}</p>" for line in (note.get("text") or "").split("\n"))

    def swap(match: re.Match[str]) -> str:
        kind, sha = match.group(1), match.group(2)
        path = links.get(sha)
        if path is None:
            return match.group(0)
        href = html.escape(path.replace(" ", "%20"), quote=True)
        if kind == "image":
            return f'<img src="{href}" alt="">'
        return f'<a href="{href}">{html.escape(path.rsplit("/", 1)[-1])}</a>'

    return _SPAN.sub(swap, body)


def _markdown(note: dict[str, Any], links: dict[str, str]) -> str:
    if note.get("locked") and not note.get("unlocked"):
        return f"# {note.get('title') or 'Locked note'}\n\n{_locked_text(note)}\n"
    text = note.get("markdown") or note.get("text") or ""
    return _MD_LINK.sub(lambda m: f"](<{links.get(m.group(1), '#missing')}>)", text).rstrip("\n") + "\n"


def _plain(note: dict[str, Any]) -> str:
    if note.get("locked") and not note.get("unlocked"):
        return f"{note.get('title') or 'Locked note'}\n\n{_locked_text(note)}\n"
    text = note.get("text") or ""
    checks = note.get("checklist") or []
    if checks:  # plain text has no check boxes: show the state after the note
        text = text.rstrip("\n") + "\n\n" + "\n".join(f"[{'x' if c['done'] else ' '}] {c['text']}" for c in checks)
    return text.rstrip("\n") + "\n"


def export(case: CaseReader, kind: str, out: Path) -> list[Path]:
    """Write every note of the case as HTML, Markdown and plain text, grouped by folder."""
    written: list[Path] = []
    used: dict[str, set[str]] = {}
    for note in case.records(kind, order="rid"):
        folder = DELETED_FOLDER if note.get("deleted") and note.get("provenance", {}).get("area") != "app" else (
            note.get("folder") or "Notes")
        folder_dir = safe_join(out, folder)
        stem = _unique(folder_dir, note.get("title") or "Untitled", used.setdefault(folder.lower(), set()))
        links = {}
        if note.get("attachments"):
            links = _copy_media(case, note, safe_join(folder_dir, f"{stem} files"), f"{stem} files")
        title = html.escape(note.get("title") or "Untitled")
        page = _PAGE.format(title=title, meta=html.escape(_meta(note)), body=_html_body(note, links))
        for suffix, content in ((".html", page), (".md", _markdown(note, links)), (".txt", _plain(note))):
            target = safe_join(folder_dir, stem + suffix)
            atomic_write_text(target, content)
            written.append(target)
    return written
