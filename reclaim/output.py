"""Writing into an output folder safely.

Names that come from inside a backup or an archive are untrusted: ``../``,
absolute paths, drive letters, NUL bytes, over-long or odd Unicode names must
never let a write escape the output folder. Every file is written under a
temporary name and renamed into place, so an interrupted run leaves no
half-written output.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from reclaim.errors import OutputNotWritable, UnsafePath

MAX_COMPONENT_BYTES = 200  # below every common file system's 255-byte limit, leaving room for suffixes
_FORBIDDEN = re.compile(r'[\x00-\x1f<>:"\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_component(name: str) -> str:
    """One path component made safe for any file system (never empty, never '.' or '..')."""
    name = unicodedata.normalize("NFC", name)
    name = _FORBIDDEN.sub("_", name).strip().rstrip(".")
    if name in {"", ".", ".."}:
        name = "_"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_COMPONENT_BYTES:
        digest = hashlib.sha1(encoded).hexdigest()[:10]
        _stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        keep = MAX_COMPONENT_BYTES - len(digest) - len(ext) - 3
        head = encoded[:keep].decode("utf-8", "ignore")
        name = f"{head}~{digest}" + (f".{ext}" if ext else "")
    return name


def title_component(title: str, fallback: str) -> str:
    """A file name (one component, no extension) for a title a person gave: a contact, a chat, a note.

    Unlike :func:`safe_component`, a slash stays inside the name ("AC/DC" is one file, not a folder)
    and leading dots go (a contact called "..." must not become a hidden file).
    """
    name = re.sub(r"[/\\]+", "-", unicodedata.normalize("NFC", title)).strip().lstrip(".").strip()
    return safe_component(name or fallback)


def safe_join(root: Path, *parts: str) -> Path:
    """``root`` joined with untrusted relative parts, guaranteed to stay inside ``root``.

    Each part may contain '/' (or '\\') separators; every component is sanitised.
    """
    components: list[str] = []
    for part in parts:
        for piece in re.split(r"[/\\]+", part):
            if piece in {"", "."}:
                continue
            components.append(safe_component(piece))
    target = root.joinpath(*components) if components else root
    resolved_root = root.resolve()
    # Resolve what exists (a symlink planted earlier must not redirect the write).
    resolved = target.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise UnsafePath("path escapes the output folder", "/".join(parts))
    return target


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or inside it (both already resolved)."""
    return path == folder or folder in path.parents


def check_output_folder(folder: Path, source: str | Path | None = None) -> None:
    """Fail early, with one clear line, when ``folder`` cannot become an output folder.

    Checked before any work starts (nothing is created here) so a bad ``-o`` never costs a
    scan nor leaves a partial result: the path, or the nearest part of it that exists,
    must be a folder this process may write into, and never the ``source`` being read or a
    folder inside it (reclaim writes nothing into a backup or an extraction, even beside its files).
    """
    folder = Path(folder)
    if source is not None:
        source_folder = Path(source).resolve()
        target = folder.resolve()
        if source_folder.is_dir() and is_within(target, source_folder):
            where = "the source folder" if target == source_folder else f"inside the source folder {source_folder}"
            raise OutputNotWritable(f"is {where}, which reclaim never writes into; choose an output folder outside it",
                                    folder)
    if folder.exists() and not folder.is_dir():
        raise OutputNotWritable("is a file, not a folder; choose another output folder", folder)
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputNotWritable(f"cannot create the output folder: {existing} is a file, not a folder", folder)
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputNotWritable(f"no permission to write into {existing}", folder)


def _file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


#: Permissions of written files: what a plain ``open()`` gives under the user's umask (read once, at import, when
#: no other thread creates files). Temporary files (``mkstemp``: private, 0600) get them before they take their
#: final name, so that every file of an output folder has the same.
FILE_MODE = _file_mode()


@contextlib.contextmanager
def atomic_writer(target: Path, mode: str = "wb") -> Iterator[BinaryIO]:
    """A file object that becomes ``target`` only when the block ends without error."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".reclaim-", suffix=".part", dir=target.parent)
    with contextlib.suppress(AttributeError, OSError):  # (no fchmod on Windows: nothing to mend there)
        os.fchmod(fd, FILE_MODE)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle  # type: ignore[misc]
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temporary name."""
    with atomic_writer(target) as handle:
        handle.write(data)


def atomic_write_text(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` via a temporary name."""
    atomic_write_bytes(target, text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(root: Path, name: str = "manifest.sha256") -> Path:
    """List every file under ``root`` with its SHA-256 (``sha256sum -c`` format)."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != name):
        rel = path.relative_to(root).as_posix()
        lines.append(f"{sha256_file(path)}  {rel}\n")
    target = root / name
    atomic_write_text(target, "".join(lines))
    return target
