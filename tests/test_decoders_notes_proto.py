"""Apple Notes bodies and tables decoded from real exported ZDATA / ZMERGEABLEDATA blobs."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from reclaim.decoders.notes_proto import (
    Attachment,
    NoteDecodeError,
    decode_note,
    decode_table,
    table_to_html,
    to_html,
    to_markdown,
)
from reclaim.decoders.protobuf import ProtobufError, parse_message, read_varint

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BLOBS = CORPUS / "notes-protobuf" / "exported_blobs"


def note(name: str):
    return decode_note((BLOBS / name).read_bytes())


def test_simple_note_gzipped_and_raw() -> None:
    for name in ("simple_note_protobuf_gzipped.bin", "simple_note_protobuf.bin"):
        body = note(name)
        assert body.text == "Title"
        assert body.title == "Title"
        assert [r.paragraph.kind for r in body.runs] == ["title"]


def test_wide_characters_and_attachment_placeholder() -> None:
    body = note("wide_characters_gzipped.bin")
    assert body.text.startswith("但他還是希望\n體驗看法覺得很大\n")
    assert body.title == "但他還是希望"
    assert body.attachments == [Attachment(body.attachments[0].identifier, body.attachments[0].uti)]
    assert body.attachments[0].identifier
    assert "\ufffc" not in body.plain_text


def test_url_note_links() -> None:
    body = note("url_gzipped.bin")
    assert body.title == "Link test"
    assert body.links[0] == "https://en.m.wikipedia.org/wiki/Jim_Nettles"
    linked = [(body.text[r.start : r.end], r.link) for r in body.runs if r.link]
    assert linked[0] == ("Jim Nettles", "https://en.m.wikipedia.org/wiki/Jim_Nettles")
    assert ("San Diego State University", "https://en.m.wikipedia.org/wiki/San_Diego_State_University") in linked
    html = to_html(body)
    assert '<a href="https://en.m.wikipedia.org/wiki/Jim_Nettles"><b>Jim Nettles</b></a>' in html
    assert "[**Jim Nettles**](<https://en.m.wikipedia.org/wiki/Jim_Nettles>)" in to_markdown(body)


def test_checklist_state() -> None:
    body = note("color_formatting_gzipped.bin")
    assert body.checklist == [
        ("Checklist, unchecked, red in the middle", False),
        ("Checklist, checked, red at the end", True),
    ]
    md = to_markdown(body)
    assert "- [ ] Checklist, unchecked, red" in md
    assert "- [x] Checklist, checked, red" in md
    assert '<input type="checkbox" disabled checked> Checklist, checked' in to_html(body)


def test_colors() -> None:
    body = note("color_formatting_gzipped.bin")
    red = next(r for r in body.runs if body.text[r.start : r.end] == "Red")
    assert red.color is not None and red.color.hex == "#ff0000"
    assert '<span style="color: #ff0000">Red</span>' in to_html(body)


def test_list_kinds_and_indents() -> None:
    body = note("list_indents_gzipped.bin")
    shapes = [(p.text, p.style.kind, p.style.indent) for p in body.paragraphs() if p.text]
    assert shapes == [
        ("Indents in lists", "title", 0),
        ("Checklist", "checklist", 0),
        ("Indented checklist 1", "checklist", 1),
        ("Indented checklist 2 checked", "checklist", 2),
        ("Indented 1", "checklist", 1),
        ("Dotted list", "bullet", 0),
        ("Dotted list second indent", "bullet", 1),
        ("Dotted list", "bullet", 0),
        ("Dashed list indent 2", "dashed", 1),
        ("Dashed list", "dashed", 0),
        ("Numbered list", "numbered", 0),
        ("Numbers list indent 2", "numbered", 1),
    ]
    md = to_markdown(body)
    assert "- Dotted list\n  - Dotted list second indent\n- Dotted list" in md
    assert "1. Numbered list\n  1. Numbers list indent 2" in md
    assert "<ol><li>Numbered list<ol><li>Numbers list indent 2</li></ol></li></ol>" in to_html(body)


def test_text_decorations() -> None:
    body = note("text_decorations_gzipped.bin")
    styled = {body.text[r.start : r.end].strip(): (r.bold, r.italic, r.underline, r.strikethrough) for r in body.runs}
    assert styled["Bold body"] == (True, False, False, False)
    assert styled["Italic body"] == (False, True, False, False)
    assert styled["Bold italic body"] == (True, True, False, False)
    assert styled["Underlined body"] == (False, False, True, False)
    assert styled["Strikethrough body"] == (False, False, False, True)
    assert styled["Underline strikethrough body"] == (False, False, True, True)
    html = to_html(body)
    assert "<p><s>Strikethrough body</s></p>" in html
    assert "~~Strikethrough body~~" in to_markdown(body)


def test_block_quote_and_monospaced() -> None:
    body = note("block_quotes_gzipped.bin")
    styles = {p.text: (p.style.kind, p.style.block_quote) for p in body.paragraphs() if p.text}
    assert styles["This is a block quote"] == ("body", True)
    assert styles["This is monostyled"] == ("monospaced", False)
    assert styles["This is a monostyled block quote"] == ("monospaced", True)
    assert "<blockquote><p>This is a block quote</p></blockquote>" in to_html(body)
    assert "> This is a block quote" in to_markdown(body)


def test_emoji_offsets_are_python_indices() -> None:
    # Runs count UTF-16 units; 🚀 is two of them. Bold must land on the digits, not shift.
    body = note("emoji_formatting_1_gzipped.bin")
    bold = [body.text[r.start : r.end] for r in body.runs if r.bold]
    assert bold == ["3💻4🖥️5🧑\u200d💻6👩\u200d💻7", "體驗"]
    # After many astral emoji, the CJK line still splits on word boundaries.
    assert [body.text[r.start : r.end] for r in body.runs[-7:-3]] == ["體驗", "看法", "覺得很大", "\n"]
    assert sum(r.length for r in body.runs) == len(body.text)


def test_html_in_note_is_escaped() -> None:
    body = note("html_gzipped.bin")
    rendered = to_html(body)
    assert "<script" not in rendered
    assert "&lt;script src=‘evil.js’&gt;&lt;/script&gt;" in rendered
    assert "<title>" not in rendered


def test_attachment_resolver_and_placeholder() -> None:
    body = note("wide_characters_gzipped.bin")
    assert 'class="attachment"' in to_html(body)
    resolved = to_html(body, attachments_resolver=lambda a: f"<img alt='{a.uti}'>")
    assert f"<img alt='{body.attachments[0].uti}'>" in resolved


def test_unsafe_link_scheme_is_dropped() -> None:
    body = note("url_gzipped.bin")
    evil = body.runs[3].__class__(start=0, length=4, link="javascript:alert(1)")
    rendered = to_html(body.__class__(text="Link", runs=[evil]))
    assert rendered == "<p>Link</p>"


def test_table() -> None:
    rows = decode_table((BLOBS / "table_gzipped.bin").read_bytes())
    assert rows == [[f"Row {r} Column {c}" for c in (1, 2)] for r in (1, 2)]
    assert table_to_html(rows).startswith("<table><tr><td>Row 1 Column 1</td>")


def test_right_to_left_table() -> None:
    rows = decode_table((BLOBS / "right_to_left_table_gzipped.bin").read_bytes())
    assert rows[0][1] == "اول"
    assert rows == [["", "اول"], ["نهاية", ""]]


def test_formatted_table_cells() -> None:
    rows = decode_table((BLOBS / "table_formats_gzipped.bin").read_bytes())
    assert rows == [["Bold", "Italics"], ["Bold italics", "Underline"], ["Mixed bold italics underline", ""]]


@pytest.mark.parametrize(
    "data",
    [b"", b"\x1f\x8b\x08garbage", b"not protobuf at all \xff\xff", gzip.compress(b"\x12\x00", mtime=0)],
)
def test_garbage_raises_note_decode_error(data: bytes) -> None:
    with pytest.raises(NoteDecodeError):
        decode_note(data)
    with pytest.raises(NoteDecodeError):
        decode_table(data)


def test_table_blob_is_not_a_note_and_note_is_not_a_table() -> None:
    with pytest.raises(NoteDecodeError):
        decode_note((BLOBS / "table_gzipped.bin").read_bytes())
    with pytest.raises(NoteDecodeError):
        decode_table((BLOBS / "simple_note_protobuf_gzipped.bin").read_bytes())


def test_protobuf_reader_primitives() -> None:
    assert read_varint(b"\xac\x02", 0) == (300, 2)
    msg = parse_message(b"\x08\x96\x01\x12\x03abc\x1d\x00\x00\x80\x3f\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
    assert msg.int(1) == -1  # last value wins; negative int32 is a 10-byte varint
    assert msg.all(1)[0] == 150
    assert msg.string(2) == "abc"
    assert msg.float(3) == 1.0
    with pytest.raises(ProtobufError):
        parse_message(b"\x12\x05ab")
    with pytest.raises(ProtobufError):
        parse_message(b"\x0b")  # start-group wire type


def test_mutated_bodies_only_raise_note_decode_error() -> None:
    rng = random.Random(3)
    for path in sorted(BLOBS.glob("*gzipped.bin")):
        raw = gzip.decompress(path.read_bytes())
        for _ in range(40):
            mutated = bytearray(raw)
            for _ in range(rng.randint(1, 5)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            if rng.random() < 0.3:
                mutated = mutated[: rng.randrange(len(mutated))]
            try:
                body = decode_note(bytes(mutated))
                to_html(body)
                to_markdown(body)
            except NoteDecodeError:
                pass
            try:
                decode_table(bytes(mutated))
            except NoteDecodeError:
                pass


def test_table_whose_first_row_uuid_has_index_zero() -> None:
    """UUID index 0 is a real index: the first row must not be dropped when no replica UUID comes first."""
    from reclaim.sample.content.notes import table_blob

    rows = [["Name", "Age"], ["Ada", "36"], ["Alan", "41"]]
    assert decode_table(table_blob(rows, replica_first=False)) == rows
    assert decode_table(table_blob(rows)) == rows
