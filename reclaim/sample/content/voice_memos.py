"""Sample Voice Memos (iOS 17 layout): CloudRecordings.db and three AAC ``.m4a`` recordings.

The audio is the speech-like sound of the voicemail sample, encoded as AAC in an
M4A container with PyAV. One memo is in "Recently Deleted" (``ZEVICTIONDATE``);
a fourth row is erased (``secure_delete`` off) while its file stays, as happens
when the database forgets a recording before the file is removed.
"""

from __future__ import annotations

import array
import io
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from reclaim.sample.content.voicemail import speech_like
from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

GROUP = "AppDomainGroup-group.com.apple.VoiceMemos.shared"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)

SCHEMA = """
CREATE TABLE ZCLOUDRECORDING ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFLAGS INTEGER,
    ZSHAREDFLAGS INTEGER, ZFOLDER INTEGER, Z_FOK_FOLDER INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT,
    ZEVICTIONDATE TIMESTAMP, ZLOCALDURATION FLOAT, ZAUDIOFUTUREUUID VARCHAR, ZCUSTOMLABEL VARCHAR,
    ZCUSTOMLABELFORSORTING VARCHAR, ZENCRYPTEDTITLE VARCHAR, ZPATH VARCHAR, ZUNIQUEID VARCHAR, ZAUDIODIGEST BLOB,
    ZAUDIOFUTURE BLOB );
CREATE TABLE ZFOLDER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCOUNTOFRECORDINGS INTEGER,
    ZRANK INTEGER, ZENCRYPTEDNAME VARCHAR, ZUUID VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE INDEX ZCLOUDRECORDING_ZFOLDER_INDEX ON ZCLOUDRECORDING (ZFOLDER);
"""

#: title, days before SAMPLE_NOW, seconds, folder, in Recently Deleted
MEMOS = [
    ("Kitchen ideas", 12, 3.0, "Home", False),
    ("Band practice riff", 5, 4.0, None, False),
    ("Lecture: week 6", 30, 2.0, None, True),
]
ERASED = ("Note to self", 2, 2.0, None, False)


def m4a(samples: array.array, rate: int = 8000) -> bytes:
    """AAC-LC in an M4A container (what Voice Memos writes), encoded with PyAV."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 32000
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples))
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def build(path: str) -> dict[str, tuple[bytes, datetime]]:
    """Write CloudRecordings.db at ``path``; returns file name -> (audio, recorded at)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, ?)", [(1, "CloudRecording", 4), (2, "Folder", 1)])
    conn.execute("INSERT INTO ZFOLDER VALUES (1, 2, 1, 1, 0, 'Home', '2B6F0C1E-9A8D-4C7B-B6A5-948372615049')")
    audio: dict[str, tuple[bytes, datetime]] = {}
    for pk, (title, days, seconds, folder, evicted) in enumerate([*MEMOS, ERASED], start=1):
        recorded = SAMPLE_NOW - timedelta(days=days, hours=pk)
        name = f"{recorded:%Y%m%d %H%M%S}-{0xA1B2C300 + pk:08X}.m4a"
        data = m4a(speech_like(seconds, pk + 10))
        unique = f"5F1D2C3B-4A59-4687-9{pk:03d}-A1B2C3D4E5F6"
        conn.execute(
            "INSERT INTO ZCLOUDRECORDING (Z_PK, Z_ENT, Z_OPT, ZFLAGS, ZSHAREDFLAGS, ZFOLDER, ZDATE, ZDURATION,"
            " ZEVICTIONDATE, ZLOCALDURATION, ZCUSTOMLABEL, ZCUSTOMLABELFORSORTING, ZENCRYPTEDTITLE, ZPATH, ZUNIQUEID)"
            " VALUES (?, 1, 1, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pk, 1 if folder else None, (recorded - APPLE_EPOCH).total_seconds(), seconds,
             (SAMPLE_NOW - timedelta(days=1) - APPLE_EPOCH).total_seconds() if evicted else None, seconds,
             f"{recorded:%Y-%m-%d %H:%M}", title.lower(), title, name, unique))
        audio[name] = (data, recorded)
    conn.commit()
    conn.execute("DELETE FROM ZCLOUDRECORDING WHERE Z_PK=?", (len(MEMOS) + 1,))
    conn.commit()
    conn.close()
    return audio


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """CloudRecordings.db and the recordings in the Voice Memos app group."""
    path = ctx.scratch_path("voicememos/CloudRecordings.db")
    audio = build(str(path))
    yield SampleFile(GROUP, "Recordings/CloudRecordings.db", path.read_bytes(), mtime=SAMPLE_NOW - timedelta(hours=3))
    for name, (data, recorded) in audio.items():
        yield SampleFile(GROUP, f"Recordings/{name}", data, mtime=recorded)
