"""Sample visual voicemail (iOS 17 schema): three messages with real AMR-NB audio and transcripts.

The audio is synthetic speech-like sound (a voiced buzz shaped by moving formants,
in syllables) encoded with a real AMR-NB encoder (PyAV's libopencore-amrnb). One
message is in "Deleted Messages" (``trashed_date`` set); a fourth row is erased with
``secure_delete`` off so the carver can find it.
"""

from __future__ import annotations

import array
import io
import math
import plistlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

FOLDER = "Library/Voicemail"
RATE = 8000
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE voicemail (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, remote_uid INTEGER, date INTEGER, token TEXT,
    sender TEXT, callback_num TEXT, duration INTEGER, expiration INTEGER, trashed_date INTEGER, flags INTEGER,
    receiver TEXT, label TEXT);
CREATE TABLE deleted (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, remote_uid INTEGER, date INTEGER, token TEXT,
    sender TEXT, callback_num TEXT, duration INTEGER, expiration INTEGER, trashed_date INTEGER, flags INTEGER,
    receiver TEXT, label TEXT);
CREATE TABLE map (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT, label TEXT);
CREATE INDEX date_index on voicemail(date);
CREATE INDEX remote_uid_index on voicemail(remote_uid);
"""

#: sender, minutes before SAMPLE_NOW, seconds of audio, flags, trashed, transcript
MESSAGES = [
    ("+447700900456", 60 * 27, 4, 3, False,
     "Hi Alex, it's Priya. Just checking you got the agenda for Monday. Call me back when you can."),
    ("+441865555012", 60 * 5, 3, 2, False, "Hello, this is Dave the plumber returning your call about the boiler."),
    ("+447700900789", 60 * 24 * 6, 2, 75, True, "Hey, it's Tom. Never mind, sorted it. Bye."),
]
ERASED = ("+447700900321", 60 * 24 * 9, 2, 3, False, "")
OWN_NUMBER = "+447700900123"
ICCID = "8944200000000000000"


def speech_like(seconds: float, seed: int) -> array.array:
    """16-bit mono samples of a speech-like sound: a 110-140 Hz buzz through two moving formants, in syllables.

    Formants and loudness change slowly, so they are computed once per 20 ms block.
    """
    n = int(RATE * seconds)
    out = array.array("h")
    pitch = 110 + 15 * (seed % 3)
    phase = 0.0
    harmonics = range(1, 17)
    for start in range(0, n, 160):
        t = start / RATE
        f0 = pitch * (1 + 0.08 * math.sin(2 * math.pi * 0.7 * t + seed))
        f1 = 500 + 250 * math.sin(2 * math.pi * 2.1 * t + seed)
        f2 = 1500 + 500 * math.sin(2 * math.pi * 1.3 * t + 2 * seed)
        amps = [(math.exp(-((k * f0 - f1) / 200) ** 2) + 0.6 * math.exp(-((k * f0 - f2) / 300) ** 2)) / k
                for k in harmonics]
        loud = max(0.0, math.sin(2 * math.pi * 3.2 * t + seed)) ** 0.6 * 12000
        step = 2 * math.pi * f0 / RATE
        for _ in range(min(160, n - start)):
            phase += step
            value = sum(a * math.sin(k * phase) for k, a in zip(harmonics, amps, strict=True))
            out.append(int(max(-1.0, min(1.0, value)) * loud))
    return out


def amr_nb(samples: array.array, bit_rate: int = 12200) -> bytes:
    """Encode 8 kHz mono samples as an AMR-NB file (12.2 kbit/s unless told) with a real encoder.

    Falls back to a minimal valid AMR stream of NO_DATA frames (one per 20 ms, per
    RFC 4867's storage format) when PyAV or its AMR encoder is missing.
    """
    try:
        import av

        out = io.BytesIO()
        with av.open(out, "w", format="amr") as container:
            stream = container.add_stream("libopencore_amrnb", rate=RATE)
            stream.layout = "mono"
            stream.bit_rate = bit_rate
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples))
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        return out.getvalue()
    except (ImportError, ValueError):
        return b"#!AMR\n" + b"\x7c" * (len(samples) // 160)


def build(path: str) -> dict[int, tuple[bytes, bytes | None]]:
    """Write voicemail.db at ``path``; returns ROWID -> (AMR audio, transcript plist)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion', '12')")
    conn.execute("INSERT INTO map (account, label) VALUES (?, ?)", (ICCID, "1"))
    files: dict[int, tuple[bytes, bytes | None]] = {}
    for rowid, (sender, minutes, seconds, flags, trashed, text) in enumerate([*MESSAGES, ERASED], start=1):
        left = SAMPLE_NOW - timedelta(minutes=minutes)
        trashed_at = (left + timedelta(days=1) - APPLE_EPOCH).total_seconds() if trashed else 0
        conn.execute("INSERT INTO voicemail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (rowid, 1000 + rowid, int(left.timestamp()), f"token-{rowid}", sender, sender, seconds,
                      int((left + timedelta(days=30)).timestamp()), int(trashed_at), flags, OWN_NUMBER, "1"))
        transcript = plistlib.dumps({"transcriptionString": text, "confidence": 0.87}) if text else None
        files[rowid] = (amr_nb(speech_like(seconds, rowid)), transcript)
    conn.commit()
    erased = len(MESSAGES) + 1
    conn.execute("DELETE FROM voicemail WHERE ROWID=?", (erased,))
    conn.commit()
    conn.close()
    files.pop(erased)
    return files


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """voicemail.db, ``<ROWID>.amr`` and ``<ROWID>.transcript`` in the HomeDomain."""
    path = ctx.scratch_path("voicemail/voicemail.db")
    media = build(str(path))
    yield SampleFile("HomeDomain", f"{FOLDER}/voicemail.db", path.read_bytes(), mtime=SAMPLE_NOW - timedelta(hours=1))
    for rowid, (audio, transcript) in media.items():
        yield SampleFile("HomeDomain", f"{FOLDER}/{rowid}.amr", audio, mtime=SAMPLE_NOW - timedelta(hours=2))
        if transcript is not None:
            yield SampleFile("HomeDomain", f"{FOLDER}/{rowid}.transcript", transcript,
                             mtime=SAMPLE_NOW - timedelta(hours=2))
