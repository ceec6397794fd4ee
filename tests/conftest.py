"""Shared fixtures: the public corpus and the sample backups (built once per test session)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only public test corpus (../shared/corpus)."""
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="session")
def sample_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain sample backup folder (reclaim.sample.build_sample); treat it as read-only."""
    from reclaim.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("sample") / "backup")


@pytest.fixture(scope="session")
def sample_backup_encrypted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An encrypted sample backup folder, password ``reclaim`` (SAMPLE_PASSWORD); read-only."""
    from reclaim.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("sample-enc") / "backup", encrypted=True)
