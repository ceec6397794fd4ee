"""The sample backup: a realistic synthetic iPhone backup for people (and tests) without one.

:func:`build_sample` imports every module of :mod:`reclaim.sample.content` and collects
``files(ctx)`` from each; :func:`reclaim.sample.builder.write_backup` writes them as a
real backup. A content module that fails (to import or to generate) is logged as a
warning and left out, so one broken module never breaks the others; set
``RECLAIM_SAMPLE_STRICT=1`` to make such failures raise instead (useful while developing).

Encrypted samples use :data:`SAMPLE_PASSWORD` ("reclaim") unless told otherwise.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import shutil
from pathlib import Path
from types import ModuleType

from reclaim.sample.model import SampleContext, SampleFile

log = logging.getLogger(__name__)

#: The password of an encrypted sample when none is given.
SAMPLE_PASSWORD = "reclaim"
STRICT_ENV = "RECLAIM_SAMPLE_STRICT"


def content_modules() -> list[ModuleType]:
    """Every importable module of :mod:`reclaim.sample.content`, by name (failures logged)."""
    import reclaim.sample.content as package

    modules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        name = f"{package.__name__}.{info.name}"
        try:
            modules.append(importlib.import_module(name))
        except Exception as exc:
            if os.environ.get(STRICT_ENV):
                raise
            log.warning("sample content module %s failed to import and is left out: %r", name, exc)
    return modules


def collect_files(ctx: SampleContext) -> list[SampleFile]:
    """All sample files from every content module (a module that raises is left out, with a warning)."""
    files: list[SampleFile] = []
    for module in content_modules():
        generate = getattr(module, "files", None)
        if generate is None:
            continue
        try:
            files.extend(generate(ctx))
        except Exception as exc:
            if os.environ.get(STRICT_ENV):
                raise
            log.warning("sample content module %s failed and is left out: %r", module.__name__, exc)
    return files


def build_sample(target: Path, *, encrypted: bool = False, password: str | None = None, seed: int = 1) -> Path:
    """Write the sample backup into ``target`` (a new or empty folder) and return it.

    Encrypted samples use ``password`` or :data:`SAMPLE_PASSWORD`.
    """
    from reclaim.sample.builder import write_backup
    from reclaim.sample.content import base

    ctx = SampleContext(seed=seed)
    try:
        files = collect_files(ctx)
        return write_backup(
            Path(target),
            files,
            encrypted=encrypted,
            password=(password or SAMPLE_PASSWORD) if encrypted else None,
            keychain=base.keychain_items() if encrypted else None,
        )
    finally:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
