"""The backup commands end to end: info, files, extract, backups, sample — and that PATH is never touched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.cli import main
from reclaim.sample.builder import write_backup
from reclaim.sample.model import SampleFile

IOS9 = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "encrypted-backups-pyiosbackup"
    / "encrypted_mbdb_ios9_0_1"
)
WHEN = datetime(2020, 2, 29, 23, 59, 58, tzinfo=UTC)


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    """Every file's SHA-256 and mtime (and every folder's mtime) under ``root``."""
    state = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        state[str(path.relative_to(root))] = (digest, st.st_mtime_ns)
    state["."] = ("dir", root.stat().st_mtime_ns)
    return state


@pytest.fixture()
def hostile_backup(tmp_path: Path) -> Path:
    """A backup whose manifest holds names that try to escape the output folder."""
    files = [
        SampleFile("HomeDomain", "Library/ok.txt", b"fine", WHEN),
        SampleFile("HomeDomain", "../../etc/x", b"evil1", WHEN),
        SampleFile("HomeDomain", "/abs/path/y", b"evil2", WHEN),
        SampleFile("HomeDomain", "nul\x00name", b"evil3", WHEN),
        SampleFile("HomeDomain", "a" * 300, b"long", WHEN),
        SampleFile("HomeDomain", "Library/\u202eexe.txt", b"rtl", WHEN),
        SampleFile("HomeDomain", "Library/escape", b"../../../../../etc/passwd", WHEN, mode=0o120755),
        SampleFile("../evil", "z", b"evil domain", WHEN),
    ]
    return write_backup(tmp_path / "hostile", files)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_commands_never_touch_the_source(
    sample_backup_encrypted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "enc"
    shutil.copytree(sample_backup_encrypted, src)
    for source in (src, IOS9):
        before = tree_state(source)
        password = "reclaim" if source == src else "0000"
        monkeypatch.setenv("RECLAIM_PASSWORD", password)
        assert run_cli(capsys, "info", str(source), "--json")[0] == 0
        assert run_cli(capsys, "files", str(source), "--json")[0] == 0
        assert run_cli(capsys, "extract", str(source), "-o", str(tmp_path / f"out-{source.name}"))[0] == 0
        monkeypatch.setenv("RECLAIM_PASSWORD", "wrong")
        code, _out, err = run_cli(capsys, "info", str(source))
        assert code == 2 and err == f"reclaim: error: {source}: wrong password for this encrypted backup\n"
        assert "Traceback" not in err
        assert tree_state(source) == before


def test_info_and_files(sample_backup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "info", str(sample_backup), "--json")
    info = json.loads(out)
    assert code == 0 and info["device_name"] == "Alex's iPhone" and info["product_type"] == "iPhone14,5"
    assert info["product_version"] == "17.4.1" and info["udid"] == "00008110-000A1B2C3D4E5F60"
    assert info["serial_number"] == "F2LXK0SAMPLE" and info["backup_date"] == "2024-05-01T09:30:00Z"
    assert info["encrypted"] is False and info["file_count"] >= 150 and "com.tencent.xin" in info["apps"]
    code, out, _ = run_cli(capsys, "info", str(sample_backup))
    assert "Device:      Alex's iPhone" in out and "Encrypted:   no" in out
    assert "Model:       iPhone 13 (iPhone14,5)" in out and info["product_name"] == "iPhone 13"
    code, out, _ = run_cli(capsys, "files", str(sample_backup), "--json", "--domain", "DatabaseDomain")
    rows = [json.loads(line) for line in out.splitlines()]
    link = next(r for r in rows if r["path"] == "timezone/localtime")
    assert link["kind"] == "link" and link["target"] == "/usr/share/zoneinfo/Europe/London"
    assert set(link) >= {"domain", "path", "size", "mtime", "kind", "file_id"}
    code, out, _ = run_cli(
        capsys, "files", str(sample_backup), "--domain", "SystemPreferencesDomain", "--path", "*/com.apple.wifi.plist"
    )
    fields = out.strip().split("\t")
    assert fields[0:2] == ["SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist"]
    assert fields[4] == "file" and len(fields[5]) == 40


def test_extract_layout_mtimes_and_rerun(
    sample_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "extract", str(sample_backup), "-o", str(out), "--domain", "SystemPreferencesDomain")
    assert code == 0 and "0 failed" in err
    wifi = out / "SystemPreferencesDomain" / "SystemConfiguration" / "com.apple.wifi.plist"
    from reclaim.sources import open_source

    with open_source(sample_backup) as src:
        entry = src.get("SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist")
        assert entry is not None
        assert wifi.read_bytes() == src.read_bytes(entry)
        assert int(wifi.stat().st_mtime) == entry.mtime
    first = wifi.stat().st_ino
    code, _, err = run_cli(capsys, "extract", str(sample_backup), "-o", str(out), "--domain", "SystemPreferencesDomain")
    assert code == 0 and "0 files written" in err and "3 already there" in err
    assert wifi.stat().st_ino == first  # skipped, not rewritten
    assert not [p for p in out.rglob(".reclaim-*")]  # no temporary files left


def test_extract_contains_hostile_names(
    hostile_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep" / "out"
    code, _, _err = run_cli(capsys, "extract", str(hostile_backup), "-o", str(out))
    assert code == 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) == 8  # 7 files + 1 link note
    for path in [*written, *out.rglob("*")]:
        assert out.resolve() in path.resolve().parents
        assert not path.is_symlink()
        assert len(path.name.encode()) <= 255
    assert not (tmp_path / "etc").exists() and not (tmp_path / "deep" / "etc").exists()
    contents = {p.read_bytes() for p in written}
    assert {b"fine", b"evil1", b"evil2", b"evil3", b"long", b"rtl", b"evil domain"} <= contents
    note = next(p for p in written if p.name == "escape.symlink")
    assert note.read_text() == "symbolic link to: ../../../../../etc/passwd\n"
    assert (out / "HomeDomain" / "Library" / "ok.txt").read_bytes() == b"fine"
    assert int((out / "HomeDomain" / "Library" / "ok.txt").stat().st_mtime) == int(WHEN.timestamp())


def test_extract_lists_missing_files_and_continues(
    sample_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reclaim.sources.manifest_db import file_id

    copy = tmp_path / "b"
    shutil.copytree(sample_backup, copy)
    fid = file_id("SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist")
    (copy / fid[:2] / fid).unlink()
    code, _, err = run_cli(
        capsys, "extract", str(copy), "-o", str(tmp_path / "o"), "--domain", "SystemPreferencesDomain"
    )
    assert code == 0
    assert f"skipped SystemPreferencesDomain/SystemConfiguration/com.apple.wifi.plist: {copy}: file {fid}" in err
    assert "2 files written" in err and "1 failed" in err
    # only missing files: nothing could be done → non-zero
    code, _, err = run_cli(
        capsys, "extract", str(copy), "-o", str(tmp_path / "o2"), "--path", "SystemConfiguration/com.apple.wifi.plist"
    )
    assert code == 1


@pytest.mark.parametrize("parallel", [False, True], ids=["here", "in-workers"])
def test_extract_stops_when_the_disk_is_full_and_goes_on_when_run_again(
    parallel: bool, sample_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from reclaim.sources import extract

    write_file = extract.write_file

    def full_for_sms(opener: object, entry: object, target: Path, *args: object) -> int:
        if "/SMS/" in target.as_posix():  # the disk fills up on the way
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return write_file(opener, entry, target, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "write_file", full_for_sms)  # (workers are forked: they have it too)
    if parallel:
        monkeypatch.setattr(extract, "PARALLEL_MIN_BATCH", 0)
    out = tmp_path / "out"
    argv = ["extract", str(sample_backup), "-o", str(out), "--domain", "HomeDomain", "--jobs", "2"]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith(f"reclaim: error: {out}: the disk is full (or read-only) after ")
    assert "free some space and run the same command again" in err
    assert not list(out.rglob(".reclaim-*"))
    written = sum(1 for p in out.rglob("*") if p.is_file())
    monkeypatch.setattr(extract, "write_file", write_file)
    code, _, err = run_cli(capsys, *argv)
    assert code == 0 and f"{written} already there" in err and "0 failed" in err
    assert (out / "HomeDomain" / "Library" / "SMS" / "sms.db").is_file()


def test_a_backup_folder_that_may_not_be_read_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS keeps MobileSync from apps without Full Disk Access: "no backups found" would be wrong there."""
    import reclaim.sources.discovery as discovery

    locked = tmp_path / "MobileSync" / "Backup"
    locked.mkdir(parents=True)
    monkeypatch.setenv("RECLAIM_BACKUP_DIRS", str(locked))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    scandir = os.scandir

    def refuse(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(1, "Operation not permitted", str(path))
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery.os, "scandir", refuse)
    code, _, err = run_cli(capsys, "backups")
    assert code == 0
    assert f"reclaim: cannot look inside {locked} (permission denied): on a Mac, allow the app you run reclaim " \
           "from" in err and "Full Disk Access in System Settings > Privacy & Security" in err
    assert "No backups found" not in err
    from reclaim import service
    from reclaim.errors import PERMISSION_HINT

    assert service.unreadable_backup_dirs([locked, tmp_path]) == [
        f"cannot look inside {locked} (permission denied): {PERMISSION_HINT}"]


def test_backups_command_and_choice(
    sample_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "MobileSync"
    shutil.copytree(sample_backup, root / "00008110-AAAA")
    shutil.copytree(sample_backup, root / "00008110-BBBB")
    monkeypatch.setenv("RECLAIM_BACKUP_DIRS", os.pathsep.join([str(root), str(tmp_path / "nowhere")]))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, out, _ = run_cli(capsys, "backups", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [Path(r["path"]).name for r in rows] == ["00008110-AAAA", "00008110-BBBB"]
    assert rows[0]["device_name"] == "Alex's iPhone" and rows[0]["encrypted"] is False
    assert (rows[0]["product_name"], rows[0]["product_type"]) == ("iPhone 13", "iPhone14,5")
    code, out, err = run_cli(capsys, "info", str(root))
    assert code == 2 and "holds 2 backups, choose one: 00008110-AAAA, 00008110-BBBB" in err


def test_password_file_and_sample_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reclaim.sample.content import base

    monkeypatch.delenv("RECLAIM_PASSWORD", raising=False)
    monkeypatch.setattr("reclaim.sample.collect_files", lambda ctx: list(base.files(ctx)))  # keep it quick
    target = tmp_path / "enc"
    code, _, err = run_cli(capsys, "sample", str(target), "--encrypted")
    assert code == 0 and "the sample's password is 'reclaim'" in err
    code, _, err = run_cli(capsys, "info", str(target))
    assert code == 2 and "is encrypted: give its password with --password-file FILE or RECLAIM_PASSWORD" in err
    pw = tmp_path / "pw.txt"
    pw.write_text("reclaim\n")
    code, out, _ = run_cli(capsys, "info", str(target), "--password-file", str(pw), "--json")
    assert code == 0 and json.loads(out)["encrypted"] is True
    code, _, err = run_cli(capsys, "sample", str(target))
    assert code == 2 and "already exists" in err


def test_filesystem_zip_through_the_cli(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zpath = corpus / "ileapp/cases/addressBook/testdata.addressBook.addressBook.josh_ios15_ffs.zip"
    code, out, _ = run_cli(capsys, "files", str(zpath), "--json")
    paths = {(r["domain"], r["path"]) for r in map(json.loads, out.splitlines())}
    assert ("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb-wal") in paths
    code, _, _ = run_cli(capsys, "extract", str(zpath), "-o", str(tmp_path / "o"))
    wal = tmp_path / "o/HomeDomain/Library/AddressBook/AddressBook.sqlitedb-wal"
    assert code == 0 and wal.stat().st_size == 2463792
