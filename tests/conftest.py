"""Shared fixtures: the public corpus and the sample backups (built once per test session)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only public test corpus (../shared/corpus)."""
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _shared_sample(tmp_path_factory: pytest.TempPathFactory, name: str, encrypted: bool) -> Path:
    """Build a sample once per test run, shared by every pytest-xdist worker (under a file lock)."""
    from reclaim.sample import build_sample

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = root / name / "backup"
    try:
        import fcntl
    except ImportError:  # no flock (Windows): one build per worker
        return build_sample(tmp_path_factory.mktemp(name) / "backup", encrypted=encrypted)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "Status.plist").exists():  # written last by the builder
            shutil.rmtree(target, ignore_errors=True)
            build_sample(target, encrypted=encrypted)
    return target


@pytest.fixture(scope="session")
def sample_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain sample backup folder (reclaim.sample.build_sample); treat it as read-only."""
    return _shared_sample(tmp_path_factory, "sample-plain", encrypted=False)


@pytest.fixture(scope="session")
def sample_backup_encrypted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An encrypted sample backup folder, password ``reclaim`` (SAMPLE_PASSWORD); read-only."""
    return _shared_sample(tmp_path_factory, "sample-enc", encrypted=True)
