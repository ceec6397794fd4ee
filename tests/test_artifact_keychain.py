"""Keychain: Wi-Fi and website passwords from the encrypted sample backup; nothing from a plain one."""

from __future__ import annotations

import logging
import os
import plistlib
from pathlib import Path

import pytest

from reclaim.artifacts import select
from reclaim.artifacts.base import KindStatus, NothingFound
from reclaim.artifacts.keychain import KeychainArtifact
from reclaim.case.context import ScanContext
from reclaim.case.scan import _run_artifact, scan
from reclaim.case.store import CaseReader, CaseWriter
from reclaim.crypto.keychain import encrypt_item
from reclaim.sample import SAMPLE_PASSWORD
from reclaim.sample.model import SampleFile
from reclaim.sources import open_source
from reclaim.sources.memory import MemoryFS
from reclaim.vfs import SourceInfo


def test_wifi_and_website_passwords_from_the_encrypted_sample(sample_backup_encrypted: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with open_source(sample_backup_encrypted, password=SAMPLE_PASSWORD) as fs:
        result = scan(fs, tmp_path / "case", kinds=["keychain"])
    assert [k.kind for k in result.kinds] == ["keychain"] and result.kinds[0].reason == ""
    with CaseReader(tmp_path / "case") as case:
        items = list(case.records("keychain", order="rid"))
        wifi = {i["service"]: i for i in items if i["type"] == "wifi"}
        assert wifi["HomeNet-5G"]["password"] == "correct-horse-battery"
        assert wifi["Office Guest"]["password"] == "Welcome2024!"
        web = next(i for i in items if i["type"] == "password")
        assert (web["server"], web["account"], web["password"], web["port"]) == (
            "accounts.example.com", "alex@example.com", "s3cret-example-pw", 443)
        assert web["modified"] == "2023-11-04T18:12:05Z"
        other = next(i for i in items if i["type"] == "other")
        assert (other["service"], other["account"]) == ("com.tencent.xin.login", "wxid_sample")
        # Secrets are not searchable and never logged.
        assert list(case.search("correct-horse")) == [] and [r["id"] for r in case.search("HomeNet")]
    logged = caplog.text + repr(result.kinds)
    assert "correct-horse-battery" not in logged and "s3cret-example-pw" not in logged


def test_plain_backup_says_why(sample_backup: Path) -> None:
    with open_source(sample_backup) as fs, pytest.raises(NothingFound, match="only readable from encrypted backups"):
        KeychainArtifact().check(ScanContext(fs, None))


def test_opt_in_only() -> None:
    assert "keychain" not in [cls.kind for cls in select(None)]
    assert [cls.kind for cls in select(["keychain"])] == ["keychain"]


class UnlockedFS(MemoryFS):
    def __init__(self, files: list[SampleFile], class_keys: dict[int, bytes]) -> None:
        super().__init__(files, info=SourceInfo(kind="itunes-backup", encrypted=True))
        self.keybag = type("Keybag", (), {"class_keys": class_keys})()


def test_device_only_items_are_counted_not_fatal(tmp_path: Path) -> None:
    keys = {6: os.urandom(32), 7: os.urandom(32)}
    readable = encrypt_item({"svce": "AirPort", "acct": "Cafe", "v_Data": b"espresso"}, 6, keys)
    bound = encrypt_item({"svce": "AirPort", "acct": "Hidden", "v_Data": b"nope"}, 7, keys)
    binary = encrypt_item({"svce": "com.example.token", "acct": "me", "v_Data": b"\x00\x01\xff"}, 6, keys)
    plist = plistlib.dumps({"genp": [{"v_Data": readable}, {"v_Data": bound}, {"v_Data": binary}], "inet": []})
    fs = UnlockedFS([SampleFile("KeychainDomain", "keychain-backup.plist", plist)], {6: keys[6]})
    writer = CaseWriter(tmp_path / "case")
    status = KindStatus("keychain", "Keychain")
    ctx = ScanContext(fs, writer.media, kind="keychain")
    _run_artifact(KeychainArtifact(), ctx, writer, status)
    writer.close()
    assert (status.live, status.reason) == (2, "")
    assert ctx.warnings == ['1 keychain item(s) are bound to the phone ("this device only") and cannot be read '
                               "from a backup"]
    with CaseReader(tmp_path / "case") as case:
        items = {i["service"]: i for i in case.records("keychain")}
    assert items["Cafe"]["password"] == "espresso" and items["Cafe"]["type"] == "wifi"
    assert items["com.example.token"]["password"] == "" and items["com.example.token"]["secret_base64"] == "AAH/"
