"""Apple Notes note bodies (``ZICNOTEDATA.ZDATA``) and embedded tables (``ZMERGEABLEDATA1``).

A note body is a gzipped protobuf. The parts used here (field numbers as
documented by apple_cloud_notes_parser's ``notestore.proto``; the reader is our
own and needs no generated code)::

    NoteStoreProto { 2: Document { 2: version, 3: Note } }
    Note           { 2: note_text, 5: repeated AttributeRun }
    AttributeRun   { 1: length, 2: ParagraphStyle, 3: Font, 5: font_weight,
                     6: underlined, 7: strikethrough, 8: superscript, 9: link,
                     10: Color, 12: AttachmentInfo, 14: emphasis_style }
    ParagraphStyle { 1: style_type, 2: alignment, 4: indent_amount,
                     5: Checklist { 1: uuid, 2: done }, 8: block_quote }

Run lengths count UTF-16 units (NSString); :class:`NoteRun` offsets are
converted to Python string indices. Each attachment occupies one U+FFFC
character in :attr:`NoteBody.text`; its run carries the attachment's
``ZIDENTIFIER`` and UTI so callers can look the object up.

Tables are CRDT documents (``MergableDataProto``); :func:`decode_table` follows
the row/column ordering UUID indirections and honours right-to-left tables.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from reclaim.decoders._utf16 import to_code_point, utf16_offsets
from reclaim.decoders.protobuf import Message, ProtobufError, parse_message

__all__ = [
    "Attachment",
    "Checklist",
    "Color",
    "NoteBody",
    "NoteDecodeError",
    "NoteRun",
    "Paragraph",
    "ParagraphStyle",
    "decode_note",
    "decode_table",
    "table_to_html",
    "to_html",
    "to_markdown",
]

MAX_INFLATED = 256 * 1024 * 1024

ParagraphKind = Literal[
    "body", "title", "heading", "subheading", "monospaced", "bullet", "dashed", "numbered", "checklist"
]
_STYLE_TYPES: dict[int, ParagraphKind] = {
    -1: "body",
    0: "title",
    1: "heading",
    2: "subheading",
    4: "monospaced",
    100: "bullet",
    101: "dashed",
    102: "numbered",
    103: "checklist",
}
_LIST_KINDS = {"bullet", "dashed", "numbered", "checklist"}
#: iOS 18 highlight colours (``emphasis_style``).
EMPHASIS_COLORS = {1: "purple", 2: "pink", 3: "orange", 4: "mint", 5: "blue"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:", "sms:", "facetime:", "maps:", "applenotes:")


class NoteDecodeError(ValueError):
    """A note body or table blob cannot be decoded (not gzip/protobuf, or the wrong message)."""


@dataclass(frozen=True)
class Checklist:
    """A checklist item's identity and state."""

    uuid: bytes
    done: bool


@dataclass(frozen=True)
class ParagraphStyle:
    """Paragraph-level formatting of a run."""

    kind: ParagraphKind = "body"
    style_type: int = -1
    alignment: int = 0
    indent: int = 0
    checklist: Checklist | None = None
    block_quote: bool = False


@dataclass(frozen=True)
class Color:
    """An RGBA colour with components from 0 to 1."""

    red: float
    green: float
    blue: float
    alpha: float = 1.0

    @property
    def hex(self) -> str:
        """``#rrggbb`` form."""
        parts = (max(0, min(255, round(c * 255))) for c in (self.red, self.green, self.blue))
        return "#" + "".join(f"{p:02x}" for p in parts)


@dataclass(frozen=True)
class Attachment:
    """An embedded object: ``ZICCLOUDSYNCINGOBJECT.ZIDENTIFIER`` and its UTI."""

    identifier: str | None
    uti: str | None

    @property
    def is_table(self) -> bool:
        """True for ``com.apple.notes.table`` objects (decode with :func:`decode_table`)."""
        return self.uti == "com.apple.notes.table"


@dataclass(frozen=True)
class NoteRun:
    """A run of characters sharing the same formatting; ``start``/``length`` index :attr:`NoteBody.text`."""

    start: int
    length: int
    paragraph: ParagraphStyle = field(default_factory=ParagraphStyle)
    font_name: str | None = None
    font_size: float | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    strikethrough: bool = False
    superscript: int = 0
    link: str | None = None
    color: Color | None = None
    attachment: Attachment | None = None
    emphasis: str | None = None

    @property
    def end(self) -> int:
        """Index one past the run's last character."""
        return self.start + self.length


@dataclass(frozen=True)
class Paragraph:
    """One line of the note (without its newline) with its style and inline runs."""

    text: str
    style: ParagraphStyle
    spans: list[tuple[str, NoteRun]]


@dataclass(frozen=True)
class NoteBody:
    """A decoded note: the raw text (attachments as U+FFFC) and its formatting runs."""

    text: str
    runs: list[NoteRun]
    version: int | None = None

    @property
    def title(self) -> str:
        """The first line, as Notes shows it in the note list."""
        return self.text.split("\n", 1)[0].replace("\ufffc", "").strip()

    @property
    def plain_text(self) -> str:
        """The text with attachment placeholders removed."""
        return self.text.replace("\ufffc", "")

    @property
    def attachments(self) -> list[Attachment]:
        """Embedded objects in order of appearance."""
        return [run.attachment for run in self.runs if run.attachment is not None]

    @property
    def links(self) -> list[str]:
        """Distinct link targets in order of appearance."""
        out: list[str] = []
        for run in self.runs:
            if run.link and run.link not in out:
                out.append(run.link)
        return out

    @property
    def checklist(self) -> list[tuple[str, bool]]:
        """Checklist items as ``(text, done)`` in order."""
        return [(p.text, p.style.checklist.done) for p in self.paragraphs() if p.style.checklist is not None]

    def paragraphs(self) -> list[Paragraph]:
        """Split the note into lines, each with its paragraph style and inline spans."""
        result: list[Paragraph] = []
        start = 0
        lines = self.text.split("\n")
        for i, line in enumerate(lines):
            end = start + len(line)
            if i == len(lines) - 1 and not line:
                break  # trailing newline: no extra empty paragraph
            style_at = start if line else min(end, max(len(self.text) - 1, 0))
            style = self._run_at(style_at).paragraph if self.runs else ParagraphStyle()
            spans = []
            for run in self.runs:
                lo, hi = max(run.start, start), min(run.end, end)
                if lo < hi:
                    spans.append((self.text[lo:hi], run))
            if not self.runs and line:
                spans.append((line, NoteRun(start, len(line))))
            result.append(Paragraph(line, style, spans))
            start = end + 1
        return result

    def _run_at(self, index: int) -> NoteRun:
        for run in self.runs:
            if run.start <= index < run.end:
                return run
        return self.runs[-1]


# -- decoding -------------------------------------------------------------------------


def _inflate(data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise NoteDecodeError(f"notes: gzip data is damaged ({exc})") from exc
    if inflater.unconsumed_tail:
        raise NoteDecodeError("notes: inflated body is larger than 256 MiB")
    return out


def _paragraph(msg: Message | None) -> ParagraphStyle:
    if msg is None:
        return ParagraphStyle()
    style_type = msg.int(1, -1)
    assert style_type is not None
    checklist_msg = msg.message(5)
    checklist = None
    if checklist_msg is not None:
        checklist = Checklist(uuid=checklist_msg.bytes(1) or b"", done=bool(checklist_msg.int(2, 0)))
    return ParagraphStyle(
        kind=_STYLE_TYPES.get(style_type, "body"),
        style_type=style_type,
        alignment=msg.int(2, 0) or 0,
        indent=msg.int(4, 0) or 0,
        checklist=checklist,
        block_quote=bool(msg.int(8, 0)),
    )


def _runs(note: Message, text: str) -> list[NoteRun]:
    offsets = utf16_offsets(text)
    runs: list[NoteRun] = []
    position = 0  # UTF-16 units
    for raw in note.messages(5):
        length = max(raw.int(1, 0) or 0, 0)
        start = to_code_point(offsets, position)
        position += length
        end = to_code_point(offsets, position)
        font = raw.message(3)
        color_msg = raw.message(10)
        attachment_msg = raw.message(12)
        weight = raw.int(5, 0) or 0
        emphasis = raw.int(14)
        runs.append(
            NoteRun(
                start=start,
                length=end - start,
                paragraph=_paragraph(raw.message(2)),
                font_name=font.string(1) if font else None,
                font_size=(font.float(2) or None) if font else None,
                bold=weight in (1, 3),
                italic=weight in (2, 3),
                underline=bool(raw.int(6, 0)),
                strikethrough=bool(raw.int(7, 0)),
                superscript=raw.int(8, 0) or 0,
                link=raw.string(9) or None,
                color=Color(
                    color_msg.float(1, 0.0) or 0.0,
                    color_msg.float(2, 0.0) or 0.0,
                    color_msg.float(3, 0.0) or 0.0,
                    color_msg.float(4, 1.0) or 0.0,
                )
                if color_msg is not None
                else None,
                attachment=Attachment(attachment_msg.string(1), attachment_msg.string(2))
                if attachment_msg is not None
                else None,
                emphasis=EMPHASIS_COLORS.get(emphasis, f"style-{emphasis}") if emphasis else None,
            )
        )
    return runs


def _note_body(note: Message, version: int | None = None) -> NoteBody:
    text = note.string(2)
    if text is None:
        raise NoteDecodeError("notes: protobuf has no note text (field 2)")
    return NoteBody(text=text, runs=_runs(note, text), version=version)


def decode_note(gz_or_raw: bytes) -> NoteBody:
    """Decode a ``ZICNOTEDATA.ZDATA`` value (gzipped or already inflated) into text and runs.

    Raises:
        NoteDecodeError: the data is not a gzipped/raw ``NoteStoreProto``
            (for instance a locked note's ciphertext, or damaged bytes).
    """
    if not gz_or_raw:
        raise NoteDecodeError("notes: note data is empty")
    data = _inflate(bytes(gz_or_raw))
    try:
        document = parse_message(data).message(2)
        note = document.message(3) if document else None
        if document is None or note is None:
            raise NoteDecodeError("notes: not a NoteStoreProto (no document/note message)")
        return _note_body(note, document.int(2))
    except ProtobufError as exc:
        raise NoteDecodeError(f"notes: not a note protobuf ({exc})") from exc


# -- tables ----------------------------------------------------------------------------


class _Table:
    """Reconstructs an ``com.apple.notes.ICTable`` CRDT into rows of cell text."""

    def __init__(self, data: Message) -> None:
        self.entries = data.messages(3)
        self.keys = data.strings(4)
        self.types = data.strings(5)
        self.uuids = [u for u in data.all(6) if isinstance(u, bytes)]

    def entry(self, object_id: Message | None) -> Message | None:
        if object_id is None:
            return None
        index = object_id.int(6)
        if index is None or not 0 <= index < len(self.entries):
            return None
        return self.entries[index]

    def map_values(self, entry: Message | None) -> dict[str, Message]:
        """``key name -> ObjectID`` of an entry's custom map."""
        custom = entry.message(13) if entry else None
        out: dict[str, Message] = {}
        for item in custom.messages(3) if custom else []:
            key = item.int(1)
            value = item.message(2)
            if key is not None and 0 <= key < len(self.keys) and value is not None:
                out[self.keys[key]] = value
        return out

    def uuid_index(self, object_id: Message | None) -> int | None:
        """The UUID-table index an NSUUID entry (``UUIDIndex``) points to."""
        value = self.map_values(self.entry(object_id)).get("UUIDIndex")
        return value.uint(2) if value is not None else None

    def ordering(self, object_id: Message | None) -> dict[int, int]:
        """``uuid index -> position`` for the crRows / crColumns ordered set."""
        entry = self.entry(object_id)
        ordered = entry.message(16) if entry else None
        ordering = ordered.message(1) if ordered else None
        if ordering is None:
            return {}
        positions: dict[int, int] = {}
        array = ordering.message(1)
        for attachment in array.messages(2) if array else []:
            uuid = attachment.bytes(2)
            if uuid in self.uuids:
                positions[self.uuids.index(uuid)] = len(positions)
        contents = ordering.message(2)
        for element in contents.messages(1) if contents else []:
            key, value = self.uuid_index(element.message(1)), self.uuid_index(element.message(2))
            if key in positions and value is not None:
                positions[value] = positions[key]
        return positions

    def direction(self, object_id: Message | None) -> str | None:
        entry = self.entry(object_id)
        register = entry.message(1) if entry else None
        target = self.entry(register.message(2)) if register else entry
        value = self.map_values(target).get("self")
        return value.string(4) if value is not None else None

    def rows(self) -> list[list[str]]:
        root = next(
            (
                e
                for e in self.entries
                if (m := e.message(13)) is not None
                and (t := m.int(1)) is not None
                and 0 <= t < len(self.types)
                and self.types[t] == "com.apple.notes.ICTable"
            ),
            None,
        )
        if root is None:
            raise NoteDecodeError("notes: mergeable data holds no com.apple.notes.ICTable")
        fields = self.map_values(root)
        row_pos = self.ordering(fields.get("crRows"))
        col_pos = self.ordering(fields.get("crColumns"))
        n_rows = len(set(row_pos.values()))
        n_cols = len(set(col_pos.values()))
        table = [["" for _ in range(n_cols)] for _ in range(n_rows)]
        columns = self.entry(fields.get("cellColumns"))
        column_dict = columns.message(6) if columns else None
        for column in column_dict.messages(1) if column_dict else []:
            col = col_pos.get(_or_missing(self.uuid_index(column.message(1))))
            cells = self.entry(column.message(2))
            cell_dict = cells.message(6) if cells else None
            for cell in cell_dict.messages(1) if cell_dict else []:
                row = row_pos.get(_or_missing(self.uuid_index(cell.message(1))))
                note_entry = self.entry(cell.message(2))
                note = note_entry.message(10) if note_entry else None
                if row is None or col is None or note is None:
                    continue
                table[row][col] = note.string(2) or ""
        if self.direction(fields.get("crTableColumnDirection")) == "CRTableColumnDirectionRightToLeft":
            for row_cells in table:
                row_cells.reverse()
        return table


def decode_table(mergeable_gz: bytes) -> list[list[str]]:
    """Rebuild an embedded table from its ``ZMERGEABLEDATA1`` blob as rows of cell text.

    Rows and columns are placed by following the CRDT ordering (crRows /
    crColumns UUIDs and their replacement maps); right-to-left tables are
    mirrored so index 0 is the column a reader sees first (the rightmost).

    Raises:
        NoteDecodeError: the blob is not a gzipped ``MergableDataProto`` table.
    """
    if not mergeable_gz:
        raise NoteDecodeError("notes: table data is empty")
    data = _inflate(bytes(mergeable_gz))
    try:
        root = parse_message(data).message(2)
        document = root.message(3) if root else None
        if document is None:
            raise NoteDecodeError("notes: not a MergableDataProto (no object data)")
        return _Table(document).rows()
    except ProtobufError as exc:
        raise NoteDecodeError(f"notes: not a table protobuf ({exc})") from exc


# -- rendering -------------------------------------------------------------------------

AttachmentResolver = Callable[[Attachment], str | None]


def _safe_href(link: str) -> str | None:
    lowered = link.strip().lower()
    return link.strip() if lowered.startswith(_SAFE_SCHEMES) else None


def table_to_html(rows: list[list[str]]) -> str:
    """An escaped ``<table>`` for :func:`decode_table` output (handy inside a resolver)."""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell).replace(chr(10), '<br>')}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table>{body}</table>"


def _inline_html(text: str, run: NoteRun, resolver: AttachmentResolver | None) -> str:
    if run.attachment is not None:
        fragment = resolver(run.attachment) if resolver else None
        if fragment is not None:
            return fragment
        uti = html.escape(run.attachment.uti or "unknown", quote=True)
        ident = html.escape(run.attachment.identifier or "", quote=True)
        return f'<span class="attachment" data-uti="{uti}" data-id="{ident}">[attachment: {uti}]</span>'
    out = html.escape(text)
    if run.bold:
        out = f"<b>{out}</b>"
    if run.italic:
        out = f"<i>{out}</i>"
    if run.underline:
        out = f"<u>{out}</u>"
    if run.strikethrough:
        out = f"<s>{out}</s>"
    if run.superscript > 0:
        out = f"<sup>{out}</sup>"
    elif run.superscript < 0:
        out = f"<sub>{out}</sub>"
    styles = []
    if run.color is not None:
        styles.append(f"color: {run.color.hex}")
    if run.emphasis:
        out = f'<mark class="highlight-{html.escape(run.emphasis, quote=True)}">{out}</mark>'
    if styles:
        out = f'<span style="{"; ".join(styles)}">{out}</span>'
    if run.link:
        href = _safe_href(run.link)
        if href is not None:
            out = f'<a href="{html.escape(href, quote=True)}">{out}</a>'
    return out


def to_html(body: NoteBody, attachments_resolver: AttachmentResolver | None = None) -> str:
    """Render a note as an HTML fragment.

    All note text, link targets and attributes are escaped; links with other
    than web/mail/phone schemes are dropped (text kept). ``attachments_resolver``
    receives each :class:`Attachment` and may return an HTML fragment, which is
    inserted verbatim (the caller escapes its own values, e.g. with
    :func:`table_to_html`); ``None`` falls back to an escaped placeholder.
    """
    parts: list[str] = []
    lists: list[tuple[str, int]] = []  # open list tags with their indent
    in_pre = False
    in_quote = False

    def close_lists(to_indent: int = -1) -> None:
        while lists and lists[-1][1] > to_indent:
            parts.append(f"</li></{lists.pop()[0]}>")

    for para in body.paragraphs():
        style = para.style
        inner = "".join(_inline_html(text, run, attachments_resolver) for text, run in para.spans)
        if style.kind != "monospaced" and in_pre:
            parts.append("</pre>")
            in_pre = False
        if style.kind not in _LIST_KINDS:
            close_lists()
        if style.block_quote != in_quote:
            close_lists()
            parts.append("<blockquote>" if style.block_quote else "</blockquote>")
            in_quote = style.block_quote
        if style.kind in _LIST_KINDS:
            tag = "ol" if style.kind == "numbered" else "ul"
            if lists and lists[-1][1] > style.indent:
                close_lists(style.indent)
            if lists and lists[-1][1] == style.indent and lists[-1][0] == tag:
                parts.append("</li>")
            else:
                if lists and lists[-1][1] == style.indent:
                    close_lists(style.indent - 1)
                css = {"checklist": "checklist", "dashed": "dashed"}.get(style.kind)
                parts.append(f'<{tag} class="{css}">' if css else f"<{tag}>")
                lists.append((tag, style.indent))
            if style.checklist is not None:
                checked = " checked" if style.checklist.done else ""
                state = "done" if style.checklist.done else "todo"
                parts.append(f'<li class="{state}"><input type="checkbox" disabled{checked}> {inner}')
            else:
                parts.append(f"<li>{inner}")
        elif style.kind == "monospaced":
            if not in_pre:
                parts.append("<pre>")
                in_pre = True
            else:
                parts.append("\n")
            parts.append(inner)
        elif style.kind in ("title", "heading", "subheading"):
            level = {"title": 1, "heading": 2, "subheading": 3}[style.kind]
            parts.append(f"<h{level}>{inner}</h{level}>")
        else:
            parts.append(f"<p>{inner or '<br>'}</p>")
    if in_pre:
        parts.append("</pre>")
    close_lists()
    if in_quote:
        parts.append("</blockquote>")
    return "".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _inline_md(text: str, run: NoteRun, resolver: AttachmentResolver | None) -> str:
    if run.attachment is not None:
        resolved = resolver(run.attachment) if resolver else None
        return resolved if resolved is not None else f"[attachment: {run.attachment.uti or 'unknown'}]"
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    out = _MD_SPECIAL.sub(r"\\\1", core)
    if run.bold and run.italic:
        out = f"***{out}***"
    elif run.bold:
        out = f"**{out}**"
    elif run.italic:
        out = f"*{out}*"
    if run.strikethrough:
        out = f"~~{out}~~"
    if run.link:
        out = f"[{out}](<{run.link.replace('>', '%3E')}>)"
    return lead + out + trail


def to_markdown(body: NoteBody, attachments_resolver: AttachmentResolver | None = None) -> str:
    """Render a note as Markdown (headings, lists with nesting, ``- [x]`` checklists,
    ``>`` block quotes, fenced monospaced blocks, bold/italic/strikethrough, links).

    ``attachments_resolver`` may return Markdown for an attachment; otherwise a
    ``[attachment: UTI]`` placeholder is written.
    """
    lines: list[str] = []
    in_code = False
    code_quote = ""
    numbers: dict[int, int] = {}
    paragraphs = body.paragraphs()
    for i, para in enumerate(paragraphs):
        style = para.style
        quote = "> " if style.block_quote else ""
        if in_code and (style.kind != "monospaced" or quote != code_quote):
            lines.append(code_quote + "```")
            in_code = False
        if style.kind == "monospaced":
            if not in_code:
                lines.append(quote + "```")
                in_code, code_quote = True, quote
            lines.append(quote + para.text.replace("\ufffc", ""))
            continue
        inner = "".join(_inline_md(text, run, attachments_resolver) for text, run in para.spans)
        indent = "  " * max(style.indent, 0)
        if style.kind != "numbered":
            numbers.clear()
        if style.kind == "checklist":
            mark = "x" if style.checklist and style.checklist.done else " "
            line = f"{indent}- [{mark}] {inner}"
        elif style.kind in ("bullet", "dashed"):
            line = f"{indent}- {inner}"
        elif style.kind == "numbered":
            for deeper in [k for k in numbers if k > style.indent]:
                del numbers[deeper]
            numbers[style.indent] = numbers.get(style.indent, 0) + 1
            line = f"{indent}{numbers[style.indent]}. {inner}"
        elif style.kind in ("title", "heading", "subheading"):
            line = "#" * {"title": 1, "heading": 2, "subheading": 3}[style.kind] + " " + inner
        else:
            following = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
            if inner.strip() and following is not None and following.text and following.style.kind == "body":
                inner += "  "  # hard line break: each note line is its own line
            line = inner
        lines.append(quote + line)
    if in_code:
        lines.append(code_quote + "```")
    return "\n".join(lines) + "\n"


def _or_missing(index: int | None) -> int:
    """A UUID index for a dict lookup: index 0 is a real index, only ``None`` means missing."""
    return -1 if index is None else index
