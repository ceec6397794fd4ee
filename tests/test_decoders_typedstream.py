"""iMessage attributedBody (typedstream) decoding against real message bodies."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reclaim.decoders.typedstream import (
    AttributedBody,
    TypedStreamError,
    attributed_body_text,
    decode_attributed_body,
    decode_typedstream,
    plain_body_text,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BODIES = CORPUS / "imessage-bodies"
STREAMTYPED = BODIES / "imessage-exporter" / "streamtyped"
CRABSTEP = BODIES / "crabstep"
FOUNDATION = CRABSTEP / "foundation"

EXPECTED = json.loads((CRABSTEP / "typedstream_expected_text.json").read_text(encoding="utf-8"))["cases"]
REAL_CASES = [case for case in EXPECTED if not case.get("placeholder")]


def expected_text(case: dict) -> str:
    """The case's text; the file abbreviates a repeated character as ``"19 x ￼"``."""
    match = re.fullmatch(r"(\d+) x (.)", case["text"])
    return match.group(2) * int(match.group(1)) if match else case["text"]


def body(path: Path) -> AttributedBody:
    return decode_attributed_body(path.read_bytes())


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("AttributedBodyTextOnly", "Noter test"),
        ("AttributedBodyTextOnly2", "Test 3"),
        ("URL", "https://github.com/ReagentX/Logria"),
        ("WeirdText", "𝖍𝖊𝖑𝖑𝖔 𝖜𝖔𝖗𝖑𝖉"),
    ],
)
def test_imessage_exporter_bodies(name: str, text: str) -> None:
    assert body(STREAMTYPED / name).text == text
    assert attributed_body_text((STREAMTYPED / name).read_bytes()) == text


@pytest.mark.parametrize("case", REAL_CASES, ids=[Path(c["file"]).name for c in REAL_CASES])
def test_crabstep_expected_text(case: dict) -> None:
    decoded = body(CRABSTEP / Path(case["file"]).name)
    if "text" in case:
        assert decoded.text == expected_text(case)
    else:
        assert decoded.text.startswith(case["text_prefix"])


def test_expected_text_file_covers_the_real_cases() -> None:
    assert len(REAL_CASES) >= 26


@pytest.mark.parametrize("folder", [STREAMTYPED, CRABSTEP])
def test_blank_body_fails_cleanly(folder: Path) -> None:
    blob = (folder / "Blank").read_bytes()
    with pytest.raises(TypedStreamError, match="blank"):
        decode_attributed_body(blob)
    assert attributed_body_text(blob) is None


def test_damaged_length_is_salvaged_and_flagged() -> None:
    decoded = body(STREAMTYPED / "ExtraData")
    assert decoded.text == "This is parsing  "
    assert decoded.damaged
    assert not body(STREAMTYPED / "AttributedBodyTextOnly").damaged


def test_url_body_has_link_run() -> None:
    decoded = body(CRABSTEP / "URLMessage")
    assert decoded.links == ["https://twitter.com/xxxxxxxxx/status/0000223300009216128"]
    assert decoded.ranges[0].start == 0
    assert decoded.ranges[0].length == len(decoded.text)


def test_phone_number_and_email_links() -> None:
    phone = body(CRABSTEP / "PhoneNumber")
    link_run = next(r for r in phone.ranges if r.link)
    assert phone.run_text(link_run) == "0000000000"
    assert link_run.link == "tel:0000000000"
    email = body(CRABSTEP / "Email")
    assert email.links == ["mailto:asdfghjklq@gmail.com"]
    assert email.run_text(email.ranges[0]) == "asdfghjklq@gmail.com"


def test_mention() -> None:
    decoded = body(CRABSTEP / "Mention")
    mentions = [(decoded.run_text(r), r.mention) for r in decoded.ranges if r.mention]
    assert mentions == [("Dad", "+15558675309")]


def test_attachments_in_order_with_message_parts() -> None:
    decoded = body(STREAMTYPED / "MultiPart")
    assert decoded.attachment_guids == [
        "at_0_F0668F79-20C2-49C9-A87F-1B007ABB0CED",
        "at_2_F0668F79-20C2-49C9-A87F-1B007ABB0CED",
        "at_4_F0668F79-20C2-49C9-A87F-1B007ABB0CED",
    ]
    assert [decoded.run_text(r) for r in decoded.ranges] == ["￼", "test 1", "￼", "test 2 ", "￼", "test 3"]
    assert [r.message_part for r in decoded.ranges] == [0, 1, 2, 3, 4, 5]


def test_attachment_metadata() -> None:
    decoded = body(CRABSTEP / "Attachment")
    first = decoded.ranges[0]
    assert first.attachment_guid == "at_0_2E5F12C3-E649-48AA-954D-3EA67C016BCC"
    assert first.attributes["__kIMFilenameAttributeName"] == "Messages Image(785748029).png"
    assert first.attributes["__kIMInlineMediaHeightAttributeName"] == 1139
    assert first.attributes["__kIMInlineMediaWidthAttributeName"] == 952


def test_audio_transcription() -> None:
    decoded = body(CRABSTEP / "Transcription")
    assert decoded.ranges[0].attachment_guid == "4C339597-EBBB-4978-9B87-521C0471A848"
    assert decoded.ranges[0].attributes["IMAudioTranscription"] == "This is a test"


def test_text_styles() -> None:
    decoded = body(CRABSTEP / "TextStyles")
    styled = [(decoded.run_text(r), sorted(r.styles)) for r in decoded.ranges if r.styles]
    assert styled == [
        ("Bold", ["bold"]),
        ("underline", ["underline"]),
        ("italic", ["italic"]),
        ("strikethrough", ["strikethrough"]),
        ("four", ["bold", "italic", "strikethrough", "underline"]),
    ]


def test_style_ranges_are_python_indices_after_emoji() -> None:
    # 🅱️ is two UTF-16 units plus a variation selector: offsets must be converted.
    decoded = body(CRABSTEP / "EmojiBoldUnderline")
    styled = {decoded.run_text(r): sorted(r.styles) for r in decoded.ranges if r.styles}
    assert styled == {"Bold": ["bold"], "Underline": ["underline"]}


def test_text_effects() -> None:
    decoded = body(CRABSTEP / "TextEffects")
    effects = [(decoded.run_text(r).strip(), r.effect) for r in decoded.ranges if decoded.run_text(r).strip()]
    assert effects == [
        ("Big", "big"),
        ("small", "small"),
        ("shake", "shake"),
        ("nod", "nod"),
        ("explode", "explode"),
        ("ripple", "ripple"),
        ("bloom", "bloom"),
        ("jitter", "jitter"),
    ]


def test_one_time_code() -> None:
    decoded = body(CRABSTEP / "Code")
    code_run = decoded.ranges[0]
    assert decoded.run_text(code_run) == "000123"
    assert code_run.attributes["__kIMOneTimeCodeAttributeName"]["code"] == "000123"


def test_foundation_values() -> None:
    assert decode_typedstream((FOUNDATION / "NSArrayWithNull").read_bytes()) == ["x", None, "y"]
    assert decode_typedstream((FOUNDATION / "NSDictionaryNested").read_bytes()) == {
        "arr": [1, 2],
        "data": b"\x01\x02",
        "num": 7,
    }
    assert decode_typedstream((FOUNDATION / "NSDate").read_bytes()) == datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
    assert decode_typedstream((FOUNDATION / "NSURLRelative").read_bytes()) == "https://example.com/dir/page.html"
    assert decode_typedstream((FOUNDATION / "NumberInt64").read_bytes()) == -9000000000
    assert decode_typedstream((FOUNDATION / "NumberFloat").read_bytes()) == 3.5


def test_many_back_references() -> None:
    # 67 KB archive with more than 110 shared entries: needs multi-byte references.
    value = decode_typedstream((CRABSTEP / "HugeWithRefs").read_bytes())
    assert isinstance(value, list)


@pytest.mark.parametrize("blob", [b"", b"\x00", b"streamtyped", b"\x04\x0bstreamtyped\x81\xe8\x03", b"bplist00"])
def test_garbage_raises_typed_stream_error(blob: bytes) -> None:
    with pytest.raises(TypedStreamError):
        decode_attributed_body(blob)
    assert issubclass(TypedStreamError, ValueError)


def test_fuzz_truncated_and_mutated_bodies_only_raise_typed_stream_error() -> None:
    rng = random.Random(20240601)
    samples = [p for p in sorted(CRABSTEP.iterdir()) if p.is_file() and p.suffix != ".json" and p.stat().st_size < 4000]
    for path in samples:
        blob = path.read_bytes()
        cases = [blob[:cut] for cut in range(0, len(blob), max(1, len(blob) // 25))]
        for _ in range(25):
            mutated = bytearray(blob)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            cases.append(bytes(mutated))
        cases.append(blob[:16] + rng.randbytes(120))
        for case in cases:
            try:
                result = decode_attributed_body(case)
            except TypedStreamError:
                continue
            assert isinstance(result.text, str)


# -- the plain-text fast path gives the full decoder's text ----------------------------------------


def full_decoder_text(blob: bytes) -> str | None:
    """What attributed_body_text returned before the fast path: the full decoder's text, or None."""
    try:
        return decode_attributed_body(blob).text
    except TypedStreamError:
        return None


def corpus_bodies() -> list[Path]:
    return [p for folder in (STREAMTYPED, CRABSTEP) for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix != ".json"]


def test_fast_path_reads_the_plain_real_bodies() -> None:
    expected = {"AttributedBodyTextOnly": "Noter test", "AttributedBodyTextOnly2": "Test 3",
                "WeirdText": "𝖍𝖊𝖑𝖑𝖔 𝖜𝖔𝖗𝖑𝖉", "Arabic": "أهلاً بالعالم",
                "Currency": "Money: $1234.56, £20, 100 USD"}
    for name, text in expected.items():
        for folder in (STREAMTYPED, CRABSTEP):
            if (folder / name).exists():
                assert plain_body_text((folder / name).read_bytes()) == text
    # Bodies with links, mentions, attachments or styles are left to the full decoder.
    for name in ("URL", "Mention", "Attachment", "TextStyles", "MultiPart", "ExtraData", "Blank"):
        assert plain_body_text((CRABSTEP / name).read_bytes()) is None


def test_fast_path_equals_full_decoder_on_every_corpus_body() -> None:
    hits = 0
    for path in corpus_bodies():
        blob = path.read_bytes()
        fast = plain_body_text(blob)
        if fast is not None:
            hits += 1
            assert fast == (full_decoder_text(blob) or ""), path.name
        assert attributed_body_text(blob) == full_decoder_text(blob), path.name
    assert hits >= 9


@pytest.mark.parametrize("mutable", [True, False])
def test_fast_path_equals_full_decoder_on_generated_bodies(mutable: bool) -> None:
    from reclaim.sample.content.messages import attributed_body

    rng = random.Random(7)
    alphabet = "abc XYZ 019 ,.!?\n\t\u00e9\u00df\u4eca\u5929\U0001f600\U0001f9d7\u200d\ufffc\u0627"
    texts = ["", " ", "x", "a" * 127, "a" * 128, "é" * 64, "😀" * 40, "a" * 40000, "今天" * 9000]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300))) for _ in range(200)]
    for text in texts:
        blob = attributed_body(text, mutable)
        assert plain_body_text(blob) == text, text[:20]
        assert attributed_body_text(blob) == full_decoder_text(blob) == (text or None)


def test_fast_path_equals_full_decoder_on_damaged_bodies() -> None:
    from reclaim.sample.content.messages import attributed_body

    rng = random.Random(11)
    blobs = [attributed_body("Dinner tonight? 今天 😀", True), attributed_body("ok " * 60, False),
             (STREAMTYPED / "AttributedBodyTextOnly2").read_bytes()]
    for blob in blobs:
        cases = [blob[:cut] for cut in range(len(blob))] + [blob + b"\x00", blob + b"\x86"]
        for _ in range(400):
            mutated = bytearray(blob)
            for _ in range(rng.randint(1, 3)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            cases.append(bytes(mutated))
        for case in cases:
            assert attributed_body_text(case) == full_decoder_text(case), case
