"""Edit history, unsent parts, link previews and app messages from real iMessage plists."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.decoders.imessage_payload import (
    PayloadError,
    app_payload,
    edit_history,
    is_unsent,
    unsent_parts,
    url_preview,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAYLOADS = CORPUS / "imessage-bodies" / "imessage-exporter"


def read(relative: str) -> bytes:
    return (PAYLOADS / relative).read_bytes()


def test_edited_message_versions() -> None:
    parts = edit_history(read("edited_message/Edited.plist"))
    assert len(parts) == 1
    part = parts[0]
    assert (part.index, part.status) == (0, "edited")
    assert [v.text for v in part.versions] == ["First message  ", "Edit 1", "Edit 2", "Edited message"]
    assert part.text == "Edited message"
    assert part.versions[0].date == datetime(2022, 11, 19, 1, 17, 54, 272551, tzinfo=UTC)
    assert all(v.date is not None and v.date.tzinfo is UTC for v in part.versions)
    assert not is_unsent(read("edited_message/Edited.plist"))


def test_unsent_message() -> None:
    data = read("edited_message/Deleted.plist")
    assert is_unsent(data)
    assert is_unsent(data, part=0)
    assert not is_unsent(data, part=1)
    assert unsent_parts(data) == [0]
    parts = edit_history(data)
    assert [(p.index, p.status, p.text) for p in parts] == [(0, "unsent", None)]


def test_edit_of_second_part_keeps_first_part_original() -> None:
    parts = edit_history(read("edited_message/EditedToLink.plist"))
    assert [(p.index, p.status) for p in parts] == [(0, "original"), (1, "edited")]
    assert [v.text for v in parts[1].versions] == [
        "here we go!",
        "https://github.com/ReagentX/imessage-exporter/issues/10",
    ]
    assert parts[1].versions[1].compatibility_guid == "292BF9C6-C9B8-4827-BE65-6EA1C9B5B384"


def test_url_preview() -> None:
    preview = url_preview(read("url_message/URL.plist"))
    assert preview is not None
    assert preview.title == "Christopher Sardegna"
    assert preview.url == "https://chrissardegna.com/"
    assert app_payload(read("url_message/URL.plist")) is None


def test_url_preview_with_summary_and_site_name() -> None:
    preview = url_preview(read("url_message/Twitter.plist"))
    assert preview is not None
    assert preview.url == "https://twitter.com/rxcs/status/1175874352946077696"
    assert preview.title == "Christopher Sardegna on Twitter"
    assert preview.summary == "“Hello Twitter, meet Bella”"
    assert preview.site_name == "Twitter"
    wrapped = url_preview(read("url_message/MetadataURL.plist"))
    assert wrapped is not None
    assert (wrapped.summary, wrapped.site_name) == ("Sample page description", "Christopher Sardegna")


def test_app_message_payloads() -> None:
    pay = app_payload(read("app_message/Sent265.plist"))
    assert pay is not None
    assert pay.app_name == "Apple\xa0Pay"
    assert pay.ldtext == "Sent $265 with Apple\xa0Pay."
    assert pay.caption == "Apple\xa0Cash"
    assert pay.subcaption == "$265\xa0Payment"
    game = app_payload(read("app_message/Game.plist"))
    assert game is not None
    assert (game.app_name, game.caption, game.ldtext) == ("GamePigeon", "Your move.", "Dots & Boxes")
    table = app_payload(read("app_message/OpenTableInvited.plist"))
    assert table is not None
    assert table.image_title == "Rusty Grill - Boise"
    assert table.url is not None and table.url.startswith("https://www.opentable.com/book/view")
    assert url_preview(read("app_message/Game.plist")) is None


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x04\x0bstreamtyped"])
def test_garbage_raises_payload_error(data: bytes) -> None:
    with pytest.raises(PayloadError):
        edit_history(data)
    with pytest.raises(PayloadError):
        url_preview(data)
    assert issubclass(PayloadError, ValueError)


def test_mutated_payloads_only_raise_payload_error() -> None:
    rng = random.Random(11)
    for path in sorted(PAYLOADS.glob("*/*.plist")):
        data = path.read_bytes()
        for _ in range(30):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 5)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            if rng.random() < 0.3:
                mutated = mutated[: rng.randrange(len(mutated))]
            for decoder in (edit_history, url_preview, app_payload, is_unsent):
                try:
                    decoder(bytes(mutated))
                except PayloadError:
                    pass
