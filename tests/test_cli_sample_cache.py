"""``reclaim recover`` without a backup: the sample is built once per generator version, atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

import reclaim.sample
from reclaim.commands import recover


def test_sample_is_rebuilt_when_its_generator_changes_and_never_half_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "reclaim"
    stale = cache / "sample-backup-0.1.0"  # what the previous release left behind
    stale.mkdir(parents=True)
    (stale / "Manifest.db").write_bytes(b"old")
    builds: list[Path] = []

    def fake_build(target: Path) -> Path:
        builds.append(target)
        target.mkdir(parents=True)
        (target / "Manifest.db").write_bytes(b"new")
        return target

    monkeypatch.setattr(reclaim.sample, "build_sample", fake_build)
    first = recover.sample_backup()
    assert first.name == f"sample-backup-{reclaim.__version__}-{recover.sample_fingerprint()}"
    assert (first / "Manifest.db").read_bytes() == b"new"
    assert sorted(p.name for p in cache.iterdir()) == [first.name]  # the stale copy and the scratch are gone
    assert recover.sample_backup() == first and len(builds) == 1  # reused, not rebuilt

    def interrupted(target: Path) -> Path:
        target.mkdir(parents=True)
        (target / "Manifest.db").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(reclaim.sample, "build_sample", interrupted)
    monkeypatch.setattr(recover, "sample_fingerprint", lambda: "0123456789ab")
    with pytest.raises(KeyboardInterrupt):
        recover.sample_backup()
    assert sorted(p.name for p in cache.iterdir()) == [first.name]  # nothing half-built looks complete


def test_fingerprint_follows_the_generator_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "content").mkdir()
    module = tmp_path / "content" / "notes.py"
    module.write_text("NOTES = 15\n")
    monkeypatch.setattr(reclaim.sample, "__file__", str(tmp_path / "__init__.py"))
    before = recover.sample_fingerprint()
    assert recover.sample_fingerprint() == before
    module.write_text("NOTES = 16\n")  # one more note in the sample: a new cache folder
    assert recover.sample_fingerprint() != before
