"""Errors specific to opening sources (all one-line :class:`~reclaim.errors.ReclaimError` s)."""

from __future__ import annotations

from pathlib import Path

from reclaim.errors import CorruptFile, NotASource


class MissingFile(CorruptFile, FileNotFoundError):
    """A file listed in the manifest is absent from the backup folder.

    Also a :class:`FileNotFoundError`, so callers that skip missing files keep working.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        CorruptFile.__init__(self, message, path)


class MultipleBackups(NotASource):
    """The folder holds several backups; the caller must choose one (see :attr:`candidates`)."""

    def __init__(self, folder: Path, candidates: list[Path]) -> None:
        self.candidates = candidates
        names = ", ".join(c.name for c in candidates)
        super().__init__(f"holds {len(candidates)} backups, choose one: {names}", folder)
