"""Bytes the WeChat sample needs: JPEGs, SILK voice, AMR, MP4, PDF, GIF, protobuf and MMKV writers."""

from __future__ import annotations

import io
import math
import plistlib
import struct
from functools import cache

import pysilk
from PIL import Image, ImageDraw

from reclaim.sample.content._protobuf import varint


def pb(*fields: tuple[int, int | str | bytes]) -> bytes:
    """A protobuf message from ``(field number, value)`` pairs: ints as varints, str/bytes length-delimited."""
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += varint(number << 3) + varint(value)
        else:
            data = value.encode("utf-8") if isinstance(value, str) else value
            out += varint((number << 3) | 2) + varint(len(data)) + data
    return bytes(out)


def jpeg(width: int, height: int, color: tuple[int, int, int], label: str = "", quality: int = 80) -> bytes:
    """A small real JPEG with a gradient and a label (each one different)."""
    img = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(img)
    for y in range(0, height, 4):
        shade = tuple(min(255, c + y * 60 // max(height, 1)) for c in color)
        draw.line([(0, y), (width, y)], fill=shade, width=2)
    if label:
        draw.text((4, 4), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def gif(color: tuple[int, int, int]) -> bytes:
    """A tiny GIF (a sticker)."""
    buf = io.BytesIO()
    Image.new("RGB", (48, 48), color).save(buf, "GIF")
    return buf.getvalue()


@cache
def silk_voice(seconds: float, pitch: int) -> bytes:
    """A real SILK v3 voice message as WeChat writes it (leading 0x02, no terminator)."""
    rate = 24000
    frames = int(seconds * rate)
    pcm = b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * pitch * i / rate) * (0.6 + 0.4 * math.sin(i / 3000))))
        for i in range(frames)
    )
    out = io.BytesIO()
    pysilk.encode(io.BytesIO(pcm), out, rate, 20000, tencent=True)
    return out.getvalue()


def amr_voice(frames: int) -> bytes:
    """An AMR-NB stream at 5.15 kbit/s (each frame's header byte 0x0C) without the ``#!AMR`` magic, as older WeChat
    wrote some voice notes: ``frames`` 20 ms frames of speech-like sound, made by a real encoder (without one,
    frames of arbitrary bits under the same header byte)."""
    from reclaim.sample.content.voicemail import amr_nb, speech_like

    encoded = amr_nb(speech_like(frames / 50, seed=frames), bit_rate=5150)
    if encoded.startswith(b"#!AMR\n\x0c"):
        return encoded[6:6 + 14 * frames]  # each frame 14 bytes; the encoder's flush adds one more
    return b"".join(b"\x0c" + bytes((i * 7 + j) % 251 for j in range(13)) for i in range(frames))


def mp4(seconds: int) -> bytes:
    """A minimal valid MP4 container (ftyp + moov/mvhd + empty mdat) of a given duration."""
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = box(b"mvhd", struct.pack(">B3xIIII", 0, 0, 0, 1000, seconds * 1000)
               + struct.pack(">IH10x", 0x00010000, 0x0100)
               + struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000) + bytes(24)
               + struct.pack(">I", 2))
    return ftyp + box(b"moov", mvhd) + box(b"mdat", b"")


def pdf(title: str) -> bytes:
    """A small valid one-page PDF with a title line."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def keyed_archive(root: dict[str, object]) -> bytes:
    """An NSKeyedArchiver binary plist of a flat dictionary (strings, ints, nested dicts of strings)."""
    objects: list[object] = ["$null"]

    def add(value: object) -> plistlib.UID:
        if isinstance(value, dict):
            index = len(objects)
            objects.append(None)
            keys = [add(k) for k in value]
            values = [add(v) for v in value.values()]
            objects[index] = {"NS.keys": keys, "NS.objects": values, "$class": plistlib.UID(class_index)}
            return plistlib.UID(index)
        objects.append(value)
        return plistlib.UID(len(objects) - 1)

    class_index = 1
    objects.append({"$classname": "NSMutableDictionary", "$classes": ["NSMutableDictionary", "NSDictionary",
                                                                      "NSObject"]})
    # WeChat's setting object: $objects[1] style keyed object with CF$UID values
    index = len(objects)
    objects.append(None)
    setting_class = len(objects)
    objects.append({"$classname": "CSetting", "$classes": ["CSetting", "NSObject"]})
    body: dict[str, object] = {"$class": plistlib.UID(setting_class)}
    for key, value in root.items():
        body[key] = add(value)
    objects[index] = body
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(index)},
               "$objects": objects}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def mmkv(values: dict[str, str]) -> bytes:
    """An MMKV file (``Documents/MMappedKV/mmsetting.archive.<wxid>``) of string values."""
    body = bytearray(b"\xff\xff\xff\x07")  # MMKV's item-count placeholder varint
    for key, value in values.items():
        k = key.encode()
        v = value.encode()
        inner = varint(len(v)) + v
        body += varint(len(k)) + k + varint(len(inner)) + inner
    return struct.pack("<I", len(body)) + bytes(body) + bytes(4096 - (len(body) + 4) % 4096)
