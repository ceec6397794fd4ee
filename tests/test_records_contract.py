"""Every kind keeps the record contract: the JSON schema stays unambiguous and documented."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from reclaim.artifacts import all_artifacts
from reclaim.artifacts.base import Record

ROOT = Path(__file__).resolve().parents[1]
RESERVED = {"kind", "record_label", "search_text", "chat_key", "to_json", "to_json_bytes", "_rid"}


@pytest.mark.parametrize("artifact", all_artifacts(), ids=lambda a: a.kind)
def test_artifact_declares_what_it_yields(artifact: type) -> None:
    assert artifact.kind and artifact.title and artifact.record.KIND
    assert issubclass(artifact.record, Record) and dataclasses.is_dataclass(artifact.record)
    assert artifact.view in {"chat", "cards", "table", "gallery"}
    clashes = {f.name for f in dataclasses.fields(artifact.record)} & RESERVED
    assert not clashes, f"{artifact.record.__name__} has fields that clash with the record contract: {clashes}"


def test_formats_doc_lists_every_field() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_formats.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
