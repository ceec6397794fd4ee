"""Every command that takes a PATH, FILE or CASE meets bad input with one clear line.

Table-driven: each command runs through :func:`reclaim.cli.main` against inputs a person
could really pass by mistake (a missing path, an empty or random file, a truncated
database, a folder of nothing, a backup with a damaged Manifest.db, a wrong password, a
``.zip`` that is not one, a folder that is not a case, a damaged case, an output folder
that is a file or lies under one). Each must end with exit status 2 and exactly one line
on stderr naming the path and the problem, no traceback, nothing half-written in the
output folder, and the input byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from reclaim.cli import main

REAL_DB = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sqlite-corpus" / "corpus" / "03-02.db"
)
LEFTOVERS = ("*.part", "*.staging", "*.tmp", ".reclaim-*")

# --- inputs: each builds one bad input under a folder and returns its path --------------------


def _missing(base: Path, _samples: dict[str, Path]) -> Path:
    return base / "no-such-backup"


def _empty(base: Path, _samples: dict[str, Path]) -> Path:
    path = base / "empty.db"
    path.write_bytes(b"")
    return path


def _random(base: Path, _samples: dict[str, Path]) -> Path:
    path = base / "random.bin"
    path.write_bytes(hashlib.sha512(b"reclaim").digest() * 64)  # 4 KiB of noise, same every run
    return path


def _truncated_db(base: Path, _samples: dict[str, Path]) -> Path:
    path = base / "truncated.db"
    with open(REAL_DB, "rb") as handle:
        path.write_bytes(handle.read(1000))
    return path


def _junk_folder(base: Path, _samples: dict[str, Path]) -> Path:
    folder = base / "holiday-notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("nothing from a phone here\n")
    return folder


def _truncated_manifest(base: Path, samples: dict[str, Path]) -> Path:
    folder = base / "damaged-backup"
    folder.mkdir()
    for name in ("Info.plist", "Manifest.plist", "Status.plist"):
        shutil.copyfile(samples["plain"] / name, folder / name)
    (folder / "Manifest.db").write_bytes((samples["plain"] / "Manifest.db").read_bytes()[:1000])
    return folder


def _wrong_password(_base: Path, samples: dict[str, Path]) -> Path:
    return samples["encrypted"]  # RECLAIM_PASSWORD is set to a wrong one for every row


def _not_a_zip(base: Path, _samples: dict[str, Path]) -> Path:
    path = base / "extraction.zip"
    path.write_bytes(b"PK\x03\x04" + b"this was never a zip archive " * 20)
    return path


SOURCE_INPUTS: dict[str, tuple[Callable[[Path, dict[str, Path]], Path], str]] = {
    # name: (builder, words the error line must contain, as a regex)
    "missing": (_missing, r"no such file or folder"),
    "empty": (_empty, r"not a backup, an extraction archive or a database"),
    "random": (_random, r"not a backup, an extraction archive or a database"),
    "truncated-db": (_truncated_db, r"truncated SQLite database \(1,000 bytes, shorter than its first"),
    "junk-folder": (_junk_folder, r"not a backup, a file-system extraction or an app folder"),
    "truncated-manifest": (_truncated_manifest, r"Manifest\.db: not a readable Manifest\.db \(cut short: 1,000 of"),
    "wrong-password": (_wrong_password, r"wrong password for this encrypted backup"),
    # (it starts like a zip: read as one from its start, where no whole member is found)
    "not-a-zip": (_not_a_zip, r"extraction\.zip: not a readable zip archive \(File is not a zip file\)"),
}

# Commands that read a source; OUT is replaced by an output folder that does not exist yet.
SOURCE_COMMANDS: dict[str, list[str]] = {
    "info": ["info", "PATH"],
    "files": ["files", "PATH"],
    "extract": ["extract", "PATH", "-o", "OUT"],
    "scan": ["scan", "PATH", "-o", "OUT"],
    "recover": ["recover", "PATH", "-o", "OUT"],
    "links": ["links", "PATH", "-o", "OUT"],
    "wechat chats": ["wechat", "chats", "PATH"],
    "wechat export": ["wechat", "export", "PATH", "-o", "OUT"],
    "wechat photos": ["wechat", "photos", "PATH", "-o", "OUT"],
}

CARVE_INPUTS: dict[str, tuple[Callable[[Path, dict[str, Path]], Path], str]] = {
    "missing": (_missing, r"cannot open database: No such file"),
    "empty": (_empty, r"empty file, not an SQLite database"),
    "random": (_random, r"not an SQLite 3 database \(bad magic\)"),
    "truncated-db": (_truncated_db, r"truncated: shorter than one page"),
    "junk-folder": (_junk_folder, r"not a readable SQLite database: .*Is a directory"),
    "not-a-zip": (_not_a_zip, r"not an SQLite 3 database \(bad magic\)"),
}


@pytest.fixture(scope="module")
def samples(sample_backup: Path, sample_backup_encrypted: Path) -> dict[str, Path]:
    """The shared sample backups (read-only): plain and encrypted."""
    return {"plain": sample_backup, "encrypted": sample_backup_encrypted}


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> Path:
    """A small sound case (contacts and messages of the plain sample)."""
    folder = tmp_path_factory.mktemp("case") / "case"
    assert main(["scan", str(samples["plain"]), "-o", str(folder), "--kinds", "contacts,messages"]) == 0
    return folder


@pytest.fixture(autouse=True)
def _wrong_password_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECLAIM_PASSWORD", "not-the-password")
    monkeypatch.delenv("RECLAIM_NOTE_PASSWORDS", raising=False)


def tree_digest(path: Path) -> dict[str, str]:
    """SHA-256 of every file under ``path`` (or of ``path`` itself), keyed by relative name."""
    if not path.exists():
        return {}
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def run_bad(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run one command, assert exit status 2 with one clean line on stderr, return that line."""
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert code == 2, (argv, code, err)
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith("reclaim: error: ")
    return lines[0]


def assert_refused(capsys: pytest.CaptureFixture[str], argv: list[str], target: Path, problem: str) -> None:
    """The command refuses ``target`` in one line naming it and the problem, and leaves it as it was."""
    before = tree_digest(target)
    line = run_bad(capsys, argv)
    assert str(target) in line
    assert re.search(problem, line), line
    assert tree_digest(target) == before


def assert_nothing_written(out: Path) -> None:
    """The output folder holds no file at all after a failed run (no partial result, no temporary)."""
    if out.exists():
        assert out.is_dir()
        for pattern in LEFTOVERS:
            assert not list(out.rglob(pattern)), pattern
        assert not [p for p in out.rglob("*") if p.is_file()]


@pytest.mark.parametrize("input_name", list(SOURCE_INPUTS))
@pytest.mark.parametrize("command", list(SOURCE_COMMANDS))
def test_source_commands_reject_bad_input_in_one_line(
    command: str, input_name: str, tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    build, problem = SOURCE_INPUTS[input_name]
    source = build(tmp_path, samples)
    out = tmp_path / "out"
    argv = [str(source) if a == "PATH" else str(out) if a == "OUT" else a for a in SOURCE_COMMANDS[command]]
    assert_refused(capsys, argv, source, problem)
    assert_nothing_written(out)


@pytest.mark.parametrize("input_name", list(CARVE_INPUTS))
def test_carve_rejects_bad_input_in_one_line(
    input_name: str, tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    build, problem = CARVE_INPUTS[input_name]
    source = build(tmp_path, samples)
    assert_refused(capsys, ["carve", str(source)], source, problem)


def _damage_case(case: Path, folder: Path, how: str) -> Path:
    """A copy of ``case`` whose case.db is cut short or has pages of noise in its middle."""
    shutil.copytree(case, folder)
    db = folder / "case.db"
    data = bytearray(db.read_bytes())
    if how == "truncated":
        db.write_bytes(bytes(data[:1000]))
    elif how == "noise":
        page = int.from_bytes(data[16:18], "big")
        assert len(data) >= page * 8, "the test case is too small to damage its middle"
        noise = hashlib.sha512(b"damage").digest() * (page // 64)
        for n in range(2, len(data) // page - 1):  # keep page 1 (schema) sound, damage all others
            data[n * page : (n + 1) * page] = noise
        db.write_bytes(bytes(data))
    elif how == "kinds-page":  # the case opens (records are sound); the first query of its kinds fails
        page = int.from_bytes(data[16:18], "big")
        uri = f"{db.resolve().as_uri()}?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='kinds'").fetchone()
        data[(root - 1) * page : root * page] = hashlib.sha512(b"damage").digest() * (page // 64)
        db.write_bytes(bytes(data))
    elif how == "random":
        db.write_bytes(hashlib.sha512(b"not a case").digest() * 50)
    return folder


CASE_INPUTS = {
    "missing": (lambda base, case: base / "no-such-case", r"no such case folder"),
    "not-a-case": (lambda base, case: _junk_folder(base, {}), r"not a reclaim case \(no case\.db"),
    "file-not-a-case": (lambda base, case: _random(base, {}), r"not a reclaim case \(no case\.db"),
    "truncated-case-db": (lambda base, case: _damage_case(case, base / "c", "truncated"),
                          r"case\.db: damaged case database \(.*malformed"),
    "noise-in-case-db": (lambda base, case: _damage_case(case, base / "c", "noise"),
                         r"case\.db: damaged case database \(.*malformed"),
    "damaged-kinds-page": (lambda base, case: _damage_case(case, base / "c", "kinds-page"),
                           r"case\.db: damaged case database \(.*malformed\); run 'reclaim scan' again"),
    "random-case-db": (lambda base, case: _damage_case(case, base / "c", "random"),
                       r"case\.db: damaged case database \(file is not a database"),
}
CASE_COMMANDS = {
    "export": ["export", "CASE", "-o", "OUT"],
    "links": ["links", "CASE", "-o", "OUT"],
    "show": ["show", "CASE"],
    "show messages": ["show", "CASE", "messages"],
}


CASE_ROWS = [
    (command, name)
    for command in CASE_COMMANDS
    for name in CASE_INPUTS
    # links reads a path that is not a case as a source: the source rows cover those
    if command != "links" or "case-db" in name or "kinds" in name
]


@pytest.mark.parametrize(("command", "input_name"), CASE_ROWS)
def test_case_commands_reject_bad_cases_in_one_line(
    command: str, input_name: str, tmp_path: Path, case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, problem = CASE_INPUTS[input_name]
    folder = build(tmp_path, case)
    out = tmp_path / "out"
    argv = [str(folder) if a == "CASE" else str(out) if a == "OUT" else a for a in CASE_COMMANDS[command]]
    assert_refused(capsys, argv, folder, problem)
    assert_nothing_written(out)


# Commands that write an output folder, run on sound input (the sample backup or a case).
OUTPUT_COMMANDS: dict[str, list[str]] = {
    "extract": ["extract", "SAMPLE", "-o", "OUT"],
    "scan": ["scan", "SAMPLE", "-o", "OUT"],
    "recover": ["recover", "SAMPLE", "-o", "OUT"],
    "links": ["links", "SAMPLE", "-o", "OUT"],
    "wechat export": ["wechat", "export", "SAMPLE", "-o", "OUT"],
    "wechat photos": ["wechat", "photos", "SAMPLE", "-o", "OUT"],
    "wechat --case": ["wechat", "chats", "SAMPLE", "--case", "OUT"],
    "export": ["export", "CASE", "-o", "OUT"],
}
OUTPUT_PROBLEMS = {
    "output-is-a-file": r"is a file, not a folder; choose another output folder",
    "output-under-a-file": r"cannot create the output folder: .*blocker is a file, not a folder",
}
if os.geteuid() != 0:  # root may write anywhere: there the path-under-a-file row covers a folder it cannot make
    OUTPUT_PROBLEMS["output-not-writable"] = r"no permission to write into"


@pytest.mark.parametrize("problem", list(OUTPUT_PROBLEMS))
@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_bad_output_folder_is_one_line_before_any_work(
    command: str,
    problem: str,
    tmp_path: Path,
    samples: dict[str, Path],
    case: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be\n")
    if problem == "output-is-a-file":
        out = blocker
    elif problem == "output-under-a-file":
        out = blocker / "report"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "report"
    source = samples["plain"] if "SAMPLE" in OUTPUT_COMMANDS[command] else case
    before_source, before_blocker = tree_digest(source), tree_digest(blocker)
    argv = [str(source) if a in ("SAMPLE", "CASE") else str(out) if a == "OUT" else a
            for a in OUTPUT_COMMANDS[command]]
    line = run_bad(capsys, argv)
    assert str(out) in line
    assert re.search(OUTPUT_PROBLEMS[problem], line), line
    assert tree_digest(source) == before_source
    assert tree_digest(blocker) == before_blocker
    assert not out.exists() or out == blocker


@pytest.fixture(scope="module")
def writable_backup(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> Path:
    """A copy of the plain sample backup that a wrongly accepted output folder could not spoil for other tests."""
    copy = tmp_path_factory.mktemp("source") / "backup"
    shutil.copytree(samples["plain"], copy)
    return copy


@pytest.mark.parametrize("where", ["itself", "inside"])
@pytest.mark.parametrize("command", [c for c, argv in OUTPUT_COMMANDS.items() if "SAMPLE" in argv])
def test_an_output_folder_in_the_source_is_refused(
    command: str, where: str, writable_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = writable_backup if where == "itself" else writable_backup / "report"
    before = tree_digest(writable_backup)
    argv = [str(writable_backup) if a == "SAMPLE" else str(out) if a == "OUT" else a
            for a in OUTPUT_COMMANDS[command]]
    line = run_bad(capsys, argv)
    assert line.startswith(f"reclaim: error: {out}: is ")
    assert "which reclaim never writes into; choose an output folder outside it" in line
    assert tree_digest(writable_backup) == before
    assert not (writable_backup / "report").exists()


def test_a_system_error_while_writing_is_one_line_naming_the_file(
    tmp_path: Path, case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    import reclaim.output

    def disk_full(source: str, target: str) -> None:  # as os.replace says it (both names)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), source, None, target)

    monkeypatch.setattr(reclaim.output.os, "replace", disk_full)
    line = run_bad(capsys, ["export", str(case), "-o", str(tmp_path / "out")])
    named = re.fullmatch(r"reclaim: error: (.+\.part): No space left on device \(to (.+)\)", line)
    assert named, line
    assert Path(named[2]).parent.is_relative_to(tmp_path / "out")
    assert not list((tmp_path / "out").rglob(".reclaim-*"))  # its temporary file removed


def test_a_folder_macos_keeps_from_the_terminal_says_what_to_do(
    tmp_path: Path, samples: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import sys

    from reclaim.sources import itunes

    opened = open

    def refused(path: object, *args: object, **kwargs: object) -> object:
        if Path(str(path)).name == "Info.plist":  # as macOS answers an app without Full Disk Access
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(path))
        return opened(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(itunes, "open", refused, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    line = run_bad(capsys, ["info", str(samples["plain"])])
    assert line.startswith(f"reclaim: error: {samples['plain'] / 'Info.plist'}: Operation not permitted; on a Mac, "
                           "allow the app you run reclaim from")
    assert line.endswith("Full Disk Access in System Settings > Privacy & Security, then try again")


def test_a_full_disk_stops_the_scan_in_one_line_and_leaves_no_half_written_case(
    tmp_path: Path, samples: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from reclaim.case.store import MediaStore

    stored: list[str] = []
    add_bytes = MediaStore.add_bytes

    def fill_up(self: MediaStore, data: bytes, name: str, mime: str) -> tuple[str, int]:
        if len(stored) == 3:  # a few media in: the disk is full from now on
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.root / "media" / "x.part"))
        stored.append(name)
        return add_bytes(self, data, name, mime)

    monkeypatch.setattr(MediaStore, "add_bytes", fill_up)
    before = tree_digest(samples["plain"])
    out = tmp_path / "report"
    line = run_bad(capsys, ["recover", str(samples["plain"]), "-o", str(out)])
    assert line == (f"reclaim: error: {out / 'case'}: the disk is full (or read-only): nothing more could be saved "
                    "here; free some space or choose an output folder on another disk")
    assert len(stored) == 3
    assert not (out / "case").exists()  # made by this scan: removed with the media it had copied
    assert tree_digest(samples["plain"]) == before


def test_sqlite_saying_the_disk_is_full_is_recognised_even_from_another_process() -> None:
    import errno
    import pickle
    import sqlite3

    from reclaim.errors import is_disk_full

    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA max_page_count = 2")
    conn.execute("CREATE TABLE t(x)")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
    assert is_disk_full(raised.value)
    assert is_disk_full(pickle.loads(pickle.dumps(raised.value)))  # as the staging process hands it over
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(OSError(errno.ENOENT, "No such file or directory"))
    assert not is_disk_full(sqlite3.OperationalError("no such column: ZTEXT"))


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["wechat", "chats", "SAMPLE", "--zstd-dict", "MISSING"], r"no such zstd dictionary file or folder"),
        (["wechat", "chats", "SAMPLE", "--zstd-dict", "RANDOM"], r"not a zstd dictionary"),
        (["links", "SAMPLE", "--iocs", "MISSING"], r"cannot read indicator file"),
        (["links", "SAMPLE", "--iocs", "RANDOM"], r"indicator file is not UTF-8 text"),
        (["scan", "SAMPLE", "-o", "OUT", "--note-password-file", "MISSING"], r"cannot read note passwords"),
        (["scan", "SAMPLE", "-o", "OUT", "--note-password-file", "RANDOM"], r"note password file is not UTF-8"),
        (["info", "ENCRYPTED", "--password-file", "MISSING"], r"cannot read the password file"),
        (["info", "ENCRYPTED", "--password-file", "RANDOM"], r"password file is not UTF-8 text"),
    ],
    ids=["zstd-missing", "zstd-random", "iocs-missing", "iocs-random", "notepw-missing", "notepw-random",
         "pwfile-missing", "pwfile-random"],
)
def test_bad_option_files_are_one_line(
    argv: list[str], problem: str, tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    random_file = tmp_path / "random.bin"
    random_file.write_bytes(b"\xff\xfe\x00\x9c" * 256)
    named = {"SAMPLE": samples["plain"], "ENCRYPTED": samples["encrypted"], "MISSING": tmp_path / "missing.txt",
             "RANDOM": random_file, "OUT": tmp_path / "out"}
    option_file = named[argv[-1]]
    line = run_bad(capsys, [str(named.get(a, a)) for a in argv])
    assert str(option_file) in line
    assert re.search(problem, line), line
    assert_nothing_written(tmp_path / "out")


def test_backup_missing_its_data_files_still_scans_every_kind(
    tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Manifest.db lists files the folder lost: each kind says which file is missing, none aborts the scan."""
    folder = tmp_path / "backup-without-files"
    folder.mkdir()
    for name in ("Manifest.db", "Info.plist", "Manifest.plist", "Status.plist"):
        shutil.copyfile(samples["plain"] / name, folder / name)
    before = tree_digest(folder)
    capsys.readouterr()
    assert main(["scan", str(folder), "-o", str(tmp_path / "case"), "--kinds", "wechat,contacts"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    text = "".join(err.splitlines())  # the console wraps long lines
    assert re.search(r"WeChat: 0 \(none of the 5 message databases of the account in "
                     r"AppDomain-com\.tencent\.xin/Documents/\w+ can be read", text), err
    assert re.search(r"Contacts: 0 \([^)]*HomeDomain/Library/AddressBook/[^)]* is missing\)", text), err
    assert (tmp_path / "case" / "case.db").is_file()
    assert tree_digest(folder) == before


def test_a_backup_whose_manifest_db_was_cut_short_is_recovered_with_a_warning(
    tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Half of Manifest.db is gone (a copy that stopped): the entries left in it and the files found by their
    stored names still give the messages, contacts and calls, and the user is told, in the terminal and the report."""
    folder = tmp_path / "backup"
    shutil.copytree(samples["plain"], folder)
    os.truncate(folder / "Manifest.db", (folder / "Manifest.db").stat().st_size // 2)
    before = tree_digest(folder)
    capsys.readouterr()
    out = tmp_path / "report"
    assert main(["recover", str(folder), "-o", str(out), "--kinds", "messages,contacts,calls"]) == 0
    printed, err = capsys.readouterr()
    text = " ".join((printed + err).split())  # the console wraps long lines
    assert "Traceback" not in text
    assert re.search(r"Warning: Manifest\.db is damaged \(cut short: [\d,]+ of its [\d,]+ bytes\): [\d,]+ file "
                     r"entries were read from it", text), text
    assert "Messages: 246 + " in text and "Contacts: 41 + " in text and "Call history: 47 + " in text
    assert "Manifest.db is damaged (cut short" in (out / "index.html").read_text(encoding="utf-8")
    assert tree_digest(folder) == before


def test_extract_skips_a_damaged_zip_member_and_writes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A member failing its CRC is one 'skipped' line and no file; the sound member is written (exit 0:
    something was extracted, as docs/sources.md says)."""
    archive = tmp_path / "extraction.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("private/var/mobile/Library/SMS/sms.db", b"SQLite format 3\x00" + b"x" * 5000)
        zf.writestr("private/var/mobile/Library/Notes/readme.txt", b"sound member")
    data = bytearray(archive.read_bytes())
    at = data.find(b"xxxx")
    data[at : at + 4] = b"yyyy"  # stored, so the damage only shows as a bad CRC when read
    archive.write_bytes(bytes(data))
    before = tree_digest(archive)
    out = tmp_path / "out"
    capsys.readouterr()
    code = main(["extract", str(archive), "-o", str(out)])
    _out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    skipped = (r"^reclaim: skipped HomeDomain/Library/SMS/sms\.db: extraction\.zip: private/var/mobile/Library/SMS/"
               r"sms\.db: this member is cut short or damaged in the archive \(Bad CRC-32")
    assert re.search(skipped, err, re.M), err
    assert (out / "HomeDomain" / "Library" / "Notes" / "readme.txt").read_bytes() == b"sound member"
    assert not (out / "HomeDomain" / "Library" / "SMS" / "sms.db").exists()
    for pattern in LEFTOVERS:
        assert not list(out.rglob(pattern))
    assert tree_digest(archive) == before


@pytest.mark.parametrize(
    ("argv", "named", "problem"),
    [
        (["serve", "MISSING", "--no-browser"], "MISSING", r"no such file or folder"),
        (["serve", "--case", "BLOCKER", "--no-browser"], "BLOCKER", r"is a file, not a folder"),
        (["serve", "--case", "UNDER", "--no-browser"], "UNDER", r"cannot create the output folder"),
    ],
    ids=["missing-path", "case-is-a-file", "case-under-a-file"],
)
def test_serve_rejects_bad_paths_before_starting(
    argv: list[str], named: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import reclaim.web.server

    def never(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("the server must not start on a bad path")

    monkeypatch.setattr(reclaim.web.server, "serve", never)
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    paths = {"MISSING": tmp_path / "no-such-backup", "BLOCKER": blocker, "UNDER": blocker / "case"}
    line = run_bad(capsys, [str(paths.get(a, a)) for a in argv])
    assert str(paths[named]) in line
    assert re.search(problem, line), line
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--since", "last tuesday"], r"^reclaim: error: --since: not a date: 'last tuesday' \(use YYYY-MM-DD\)$"),
        (["--until", "2024-13-45"], r"^reclaim: error: --until: not a date: '2024-13-45' \(use YYYY-MM-DD\)$"),
        (["--limit", "0"], r"^reclaim: error: --limit: must be 1 or more, not 0$"),
    ],
    ids=["since", "until", "limit"],
)
def test_show_rejects_filters_that_would_silently_match_nothing(
    options: list[str], problem: str, case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = run_bad(capsys, ["show", str(case), "messages", *options])
    assert re.search(problem, line), line
