"""Artifact extractors: one module per kind of data.

Every module here that defines a subclass of :class:`~reclaim.artifacts.base.Artifact`
is picked up automatically, so adding a kind touches one file (and its test).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from reclaim.artifacts.base import Artifact


@cache
def all_artifacts() -> tuple[type[Artifact], ...]:
    """Every artifact class, in a stable order (modules alphabetically)."""
    found: list[type[Artifact]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Artifact)
                and value is not Artifact
                and value.__module__ == module.__name__
                and getattr(value, "kind", None)
            ):
                found.append(value)
    return tuple(found)


def artifact_for(kind: str) -> type[Artifact]:
    """The artifact class of a kind name (``KeyError`` when unknown)."""
    for cls in all_artifacts():
        if cls.kind == kind:
            return cls
    raise KeyError(kind)


def select(kinds: list[str] | None) -> list[type[Artifact]]:
    """The artifacts to run: those named (by artifact or record kind), or every default one."""
    if not kinds:
        return [cls for cls in all_artifacts() if cls.default]
    names = {cls.kind for cls in all_artifacts()} | {cls.record.KIND for cls in all_artifacts()}
    unknown = [k for k in kinds if k not in names]
    if unknown:
        from reclaim.errors import ReclaimError

        raise ReclaimError(f"unknown kind(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    return [cls for cls in all_artifacts() if cls.kind in kinds or cls.record.KIND in kinds]
