"""The sample backup: a real modern backup built from the content modules."""

from __future__ import annotations

import plistlib
import sqlite3
from pathlib import Path

from reclaim.sample import build_sample, collect_files
from reclaim.sample.model import SampleContext
from reclaim.sources import open_source
from reclaim.sources.mbfile import decode_mbfile
from reclaim.vfs import EntryKind


def test_sample_is_a_real_backup(sample_backup: Path) -> None:
    for name in ("Info.plist", "Manifest.plist", "Status.plist", "Manifest.db"):
        assert (sample_backup / name).is_file()
    manifest = plistlib.loads((sample_backup / "Manifest.plist").read_bytes())
    assert manifest["IsEncrypted"] is False and manifest["Version"] == "10.0"
    assert {"Lockdown", "Applications", "Date", "SystemDomainsVersion", "WasPasscodeSet"} <= set(manifest)
    info = plistlib.loads((sample_backup / "Info.plist").read_bytes())
    assert "com.tencent.xin" in info["Installed Applications"]
    conn = sqlite3.connect(f"{(sample_backup / 'Manifest.db').as_uri()}?mode=ro&immutable=1", uri=True)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"Files", "Properties"}
    blob = conn.execute(
        "SELECT file FROM Files WHERE domain = 'HomeDomain' AND relativePath = ?",
        ("Library/Preferences/com.apple.springboard.plist",),
    ).fetchone()[0]
    archive = plistlib.loads(blob)
    assert archive["$archiver"] == "NSKeyedArchiver" and archive["$version"] == 100000
    assert decode_mbfile(blob).relative_path == "Library/Preferences/com.apple.springboard.plist"
    conn.close()


def test_sample_contents(sample_backup: Path) -> None:
    with open_source(sample_backup) as src:
        info = src.info
        assert info.device_name == "Alex's iPhone" and info.product_version == "17.4.1"
        assert info.backup_date == "2024-05-01T09:30:00Z"
        files = list(src.files())
        assert len(files) >= 150
        link = src.get("DatabaseDomain", "timezone/localtime")
        assert link is not None and link.kind is EntryKind.LINK
        assert link.target == "/usr/share/zoneinfo/Europe/London"
        wifi = src.get("SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist")
        assert wifi is not None
        names = [n["SSID_STR"] for n in plistlib.loads(src.read_bytes(wifi))["List of known networks"]]
        assert "HomeNet-5G" in names
        assert src.get("HomeDomain", "") is not None  # domain roots are listed, as in real backups
        assert src.get("KeychainDomain", "keychain-backup.plist") is None  # encrypted samples only


def test_base_content_is_deterministic() -> None:
    from reclaim.sample.content import base

    a = [(f.domain, f.path, f.data, f.mtime) for f in base.files(SampleContext(seed=3))]
    b = [(f.domain, f.path, f.data, f.mtime) for f in base.files(SampleContext(seed=3))]
    assert a == b and len(a) > 200


def test_broken_content_module_is_left_out(tmp_path: Path, monkeypatch, caplog) -> None:
    import reclaim.sample.content as content

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "zz_broken_import.py").write_text("raise RuntimeError('boom')\n")
    (pkg / "zz_broken_files.py").write_text("def files(ctx):\n    yield from ()\n    raise KeyError('bug')\n")
    (pkg / "zz_good.py").write_text(
        "from reclaim.sample.model import SampleFile\n"
        "def files(ctx):\n    yield SampleFile('HomeDomain', 'Library/good.txt', b'good')\n"
    )
    monkeypatch.setattr(content, "__path__", [str(pkg)])
    monkeypatch.delenv("RECLAIM_SAMPLE_STRICT", raising=False)
    with caplog.at_level("WARNING"):
        target = build_sample(tmp_path / "b")
    assert "zz_broken_import failed to import" in caplog.text and "boom" in caplog.text
    assert "zz_broken_files failed" in caplog.text and "bug" in caplog.text
    with open_source(target) as src:
        assert src.read_bytes(src.get("HomeDomain", "Library/good.txt")) == b"good"  # type: ignore[arg-type]
    monkeypatch.setenv("RECLAIM_SAMPLE_STRICT", "1")
    import pytest

    with pytest.raises(RuntimeError):
        collect_files(SampleContext())


def test_a_generators_scratch_folder_goes_with_its_context() -> None:
    """Every SampleContext made a temporary folder that stayed (thousands of them after a day of tests)."""
    import gc

    from reclaim.sample.model import SampleContext

    ctx = SampleContext()
    built = ctx.scratch_path("messages/sms.db")
    built.write_bytes(b"SQLite format 3\x00")
    folder = ctx.scratch
    assert folder.is_dir()
    del ctx
    gc.collect()
    assert not folder.exists()
