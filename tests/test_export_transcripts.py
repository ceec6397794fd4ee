"""TXT transcripts: the sample conversations scanned into a case and written one file per chat."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reclaim.case.context import ScanOptions
from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.export import transcripts
from reclaim.sample.content import contacts as sample_contacts
from reclaim.sample.content import messages as sample
from reclaim.sample.model import SampleContext
from reclaim.sources.memory import MemoryFS

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("txt")
    ctx = SampleContext()
    scan(MemoryFS([*sample_contacts.files(ctx), *sample.files(ctx)]), root / "case", kinds=["messages"],
         options=ScanOptions(recover_deleted=False))
    with CaseReader(root / "case") as case:
        files = transcripts.export(case, "messages", root / "out", tz=LONDON)
        assert len(files) == len(case.chats("messages")) == 10
    return root / "out"


def test_one_file_per_chat_in_local_time(out: Path) -> None:
    text = (out / "Sam Carter.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "Sam Carter"
    assert lines[2] == "Times are local time (UTC+00:00 / UTC+01:00)."  # GMT, then BST from 31 March
    # message 17: 2024-03-03 14:56 UTC is 14:56 in London (GMT)
    assert "[2024-03-03 14:56] Sam Carter: Are we still on for climbing on Saturday?" in lines
    assert any(line.endswith("Sam Carter: <attachment: IMG_4821.HEIC>") for line in lines)
    assert any(line.endswith("Alex Morgan: (unsent)") for line in lines)
    assert any(line.endswith("Meet at 7:30 at the climbing wall? (edited)") for line in lines)
    assert "    reactions: ❤️ Alex Morgan, 😂 Sam Carter" in lines
    assert "    ↪ replying to Sam Carter: “Should I bring a rope tomorrow?”" in lines


def test_group_chat_and_scripts(out: Path) -> None:
    group = (out / "Climbing Crew 🧗.txt").read_text(encoding="utf-8")
    assert "— Sam Carter named the conversation “Climbing Crew 🧗”" in group
    # after the clocks went forward: 2024-05-01 04:30 UTC is 05:30 BST
    assert "[2024-05-01 05:30] Jamie Lee: Last one in the WAL: see you all at 8" in group
    assert "你好！周末有空吗？" in (out / "王小明.txt").read_text(encoding="utf-8")
    invoice = (out / "Bristol Dental Care.txt").read_text(encoding="utf-8")
    assert f"Bristol Dental Care: {sample.SCRIPT['invoice']}" in invoice
    link = (out / "Priya Patel.txt").read_text(encoding="utf-8")
    assert "<link: Bristol climbing guide>" in link
    assert "<attachment: IMG_0007.MOV (missing)>" in link
    chloe = (out / "Chloé Dubois.txt").read_text(encoding="utf-8")
    assert "(deleted) Bonjour Alex ! Ton colis est arrivé" in chloe


def test_line_format_for_other_kinds() -> None:
    record = {"date": "2024-01-02T03:04:05Z", "sender": "李秀英", "direction": "incoming", "text": "第一行\n第二行",
              "attachments": [{"name": "voice.silk", "missing": False}]}
    assert transcripts.line(record, ZoneInfo("Asia/Shanghai")) == (
        "[2024-01-02 11:04] 李秀英: 第一行\n    第二行 <attachment: voice.silk>\n")


def test_a_selection_s_header_counts_only_the_chosen_messages(out: Path, tmp_path: Path) -> None:
    """The header's UTC offsets come from the dates alone (no record read), and from a selection's records only."""
    from reclaim.export import SelectedCase, Selection

    with CaseReader(out.parent / "case") as case:
        sam = next(c for c in case.chats("messages") if c["chat"] == "Sam Carter")
        assert Counter(case.chat_dates("messages", sam["chat_id"])) == Counter(
            r["date"] for r in case.records("messages", chat_id=sam["chat_id"]))
        march = [r["_rid"] for r in case.records("messages", chat_id=sam["chat_id"])
                 if r["date"] and r["date"] < "2024-03-20"]
        chosen = SelectedCase(case, Selection(rids={"messages": set(march)}))
        transcripts.export(chosen, "messages", tmp_path, tz=LONDON)
    lines = (tmp_path / "Sam Carter.txt").read_text(encoding="utf-8").splitlines()
    assert lines[2] == "Times are local time (UTC+00:00)." and len(lines) > 20  # GMT only: no BST message chosen
