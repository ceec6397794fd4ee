"""A kind that a problem stops after some of its records keeps them and says it stopped (it was silent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reclaim.artifacts.calls import CallsArtifact
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.errors import CorruptFile
from reclaim.sample.content import calls as sample_calls
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS


def test_a_kind_stopped_midway_by_a_damaged_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = list(sample_calls.files(SampleContext()))
    original = CallsArtifact.extract

    def stops_after_two(self: CallsArtifact, ctx: Any) -> Iterator[Any]:
        for number, record in enumerate(original(self, ctx)):
            if number == 2:
                raise CorruptFile("cannot be read past here", "HomeDomain/Library/CallHistoryDB/x")
            yield record

    monkeypatch.setattr(CallsArtifact, "extract", stops_after_two)
    result = scan(MemoryFS(files), tmp_path / "case", kinds=["calls"])
    status = next(k for k in result.kinds if k.kind == "calls")
    assert status.live + status.deleted == 2
    assert status.reason.startswith("stopped early: ") and "cannot be read past here" in status.reason
    with CaseReader(tmp_path / "case") as case:
        assert case.kind("calls")["reason"] == status.reason and case.count("calls") == 2
