"""WhatsApp in the sample backup: six chats, a group, media, calls, reactions, a poll and deleted messages.

The three databases use WhatsApp's real Core Data schemas (``ChatStorage.sqlite``,
``ContactsV2.sqlite``, ``CallHistory.sqlite``, as WhatsApp 23.x writes them on iOS
15–17) in its shared container ``AppDomainGroup-group.net.whatsapp.WhatsApp.shared``.
Media files sit under ``Message/Media/<jid>/<x>/<y>/<uuid>.<ext>`` as on a phone; one
photo's file is left out on purpose (the phone cleared it), and one message is
deleted with ``secure_delete`` off so that its bytes stay in the file for carving.
Reactions and a poll are written into ``ZWAMESSAGEINFO.ZRECEIPTINFO`` as WhatsApp
does; one message is edited and one deleted for everyone by rewriting its row, so
that the earlier text stays in the page's free space.
"""

from __future__ import annotations

import io
import sqlite3
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
APPLE_EPOCH_UNIX = 978307200
OWNER_JID = "447700900123@s.whatsapp.net"
#: The message the sample deletes (its text stays in the database's free space).
DELETED_TEXT = "Please delete this after reading: the door code is 4471"
#: An edited message (the row is rewritten; the first text stays in free space) and its final text.
EDITED_FROM, EDITED_TO = "Leaving at 7", "Leaving at 7:30 instead, the car needs petrol first"
POLL_QUESTION, POLL_OPTIONS = "Where next month?", ("Helvellyn", "Skiddaw", "Snowdon")
LINK_URL = "https://bit.ly/3xYz"

CHAT_SCHEMA = """
CREATE TABLE ZWABLACKLISTITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZJID VARCHAR );
CREATE TABLE ZWACHATPROPERTIES ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZALERTS INTEGER,
 ZENABLED INTEGER, ZCHATSESSION INTEGER, ZMUTEDATE TIMESTAMP, ZSOUNDNAME VARCHAR );
CREATE TABLE ZWACHATPUSHCONFIG ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZALERTS INTEGER,
 ZMUTEDUNTIL TIMESTAMP, ZJID VARCHAR, ZRINGTONE VARCHAR, ZSOUND VARCHAR );
CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER,
 ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER, ZIDENTITYVERIFICATIONEPOCH INTEGER,
 ZIDENTITYVERIFICATIONSTATE INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER,
 ZSPOTLIGHTSTATUS INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZPROPERTIES INTEGER,
 ZLASTMESSAGEDATE TIMESTAMP, ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR,
 ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR, ZSAVEDINPUT VARCHAR );
CREATE TABLE ZWAGROUPINFO ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSTATE INTEGER,
 ZCHATSESSION INTEGER, ZLASTMESSAGEOWNER INTEGER, ZCREATIONDATE TIMESTAMP, ZSUBJECTTIMESTAMP TIMESTAMP,
 ZCREATORJID VARCHAR, ZOWNERJID VARCHAR, ZPICTUREID VARCHAR, ZPICTUREPATH VARCHAR, ZSOURCEJID VARCHAR,
 ZSUBJECTOWNERJID VARCHAR );
CREATE TABLE ZWAGROUPMEMBER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCONTACTABID INTEGER,
 ZISACTIVE INTEGER, ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER, ZCHATSESSION INTEGER, ZRECENTGROUPCHAT INTEGER,
 ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR );
CREATE TABLE ZWAGROUPMEMBERSCHANGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHANGETYPE INTEGER,
 ZCHANGEDATE TIMESTAMP, ZGROUPJID VARCHAR, ZMEMBERJIDS VARCHAR, ZPHASHBEFORECHANGE VARCHAR );
CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCLOUDSTATUS INTEGER,
 ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZASPECTRATIO FLOAT,
 ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR,
 ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR,
 ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB );
CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
 ZCHILDMESSAGESDELIVEREDCOUNT INTEGER, ZCHILDMESSAGESPLAYEDCOUNT INTEGER, ZCHILDMESSAGESREADCOUNT INTEGER,
 ZDATAITEMVERSION INTEGER, ZDOCID INTEGER, ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER,
 ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER, ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER,
 ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSPOTLIGHTSTATUS INTEGER, ZSTARRED INTEGER, ZCHATSESSION INTEGER,
 ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER,
 ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR, ZPHASH VARCHAR,
 ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR );
CREATE TABLE ZWAMESSAGEDATAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZINDEX INTEGER,
 ZOWNSTHUMBNAIL INTEGER, ZTYPE INTEGER, ZMESSAGE INTEGER, ZDATE TIMESTAMP, ZCHATJID VARCHAR, ZCONTENT1 VARCHAR,
 ZCONTENT2 VARCHAR, ZMATCHEDTEXT VARCHAR, ZSECTIONID VARCHAR, ZSENDERJID VARCHAR, ZSUMMARY VARCHAR,
 ZTHUMBNAILPATH VARCHAR, ZTITLE VARCHAR );
CREATE TABLE ZWAMESSAGEINFO ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZMESSAGE INTEGER,
 ZRECEIPTINFO BLOB );
CREATE TABLE ZWAPROFILEPICTUREITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
 ZREQUESTDATE TIMESTAMP, ZJID VARCHAR, ZPATH VARCHAR, ZPICTUREID VARCHAR );
CREATE TABLE ZWAPROFILEPUSHNAME ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZJID VARCHAR,
 ZPUSHNAME VARCHAR );
CREATE TABLE ZWAVCARDMENTION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISFROMME INTEGER,
 ZTRUSTEDWHENINDEXED INTEGER, ZMEDIAITEM INTEGER, ZDATE TIMESTAMP, ZSENDERJID VARCHAR, ZWHATSAPPID VARCHAR );
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION);
CREATE INDEX ZWAMESSAGE_ZMEDIAITEM_INDEX ON ZWAMESSAGE (ZMEDIAITEM);
CREATE INDEX Z_WAMessage_byMessageDateIndex ON ZWAMESSAGE (ZMESSAGEDATE COLLATE BINARY ASC);
CREATE INDEX Z_WAMessage_byStanzaIDIndex ON ZWAMESSAGE (ZSTANZAID COLLATE BINARY ASC);
CREATE INDEX ZWAMEDIAITEM_ZMESSAGE_INDEX ON ZWAMEDIAITEM (ZMESSAGE);
CREATE INDEX ZWAGROUPMEMBER_ZCHATSESSION_INDEX ON ZWAGROUPMEMBER (ZCHATSESSION);
CREATE INDEX Z_WAChatSession_byContactJIDIndex ON ZWACHATSESSION (ZCONTACTJID COLLATE BINARY ASC);
"""

CONTACTS_SCHEMA = """
CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
 ZDISAPPEARINGMODEDURATION INTEGER, ZPHONESTATUS INTEGER, ZSECTIONSORT INTEGER, ZSORT INTEGER,
 ZSPOTLIGHTSTATUS INTEGER, ZABOUTTIMESTAMP TIMESTAMP, ZDISAPPEARINGMODETIMESTAMP TIMESTAMP, ZABOUTTEXT VARCHAR,
 ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR, ZHIGHLIGHTEDNAME VARCHAR, ZIDENTIFIER VARCHAR,
 ZLOCALIZEDPHONENUMBER VARCHAR, ZPHONENUMBER VARCHAR, ZPHONENUMBERLABEL VARCHAR, ZSEARCHTOKENLIST VARCHAR,
 ZSECTIONTITLE VARCHAR, ZWHATSAPPID VARCHAR, ZDEVICELIST BLOB );
CREATE INDEX Z_WAAddressBookContact_byWhatsAppIDIndex ON ZWAADDRESSBOOKCONTACT (ZWHATSAPPID COLLATE BINARY ASC);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
"""

CALLS_SCHEMA = """
CREATE TABLE ZWAAGGREGATECALLEVENT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZINCOMING INTEGER,
 ZMISSED INTEGER, ZMISSEDREASON INTEGER, ZVIDEO INTEGER, ZFIRSTDATE TIMESTAMP, ZLINKTOKEN VARCHAR );
CREATE TABLE ZWACDCALLEVENT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZBYTESRECEIVED INTEGER,
 ZBYTESSENT INTEGER, ZOUTCOME INTEGER, Z1CALLEVENTS INTEGER, Z_FOK_1CALLEVENTS INTEGER, ZDATE TIMESTAMP,
 ZDURATION FLOAT, ZGROUPCALLCREATORUSERJIDSTRING VARCHAR, ZGROUPJIDSTRING VARCHAR, ZSCHEDULEDID VARCHAR );
CREATE TABLE ZWACDCALLEVENTPARTICIPANT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZOUTCOME INTEGER,
 Z1PARTICIPANTS INTEGER, Z_FOK_1PARTICIPANTS INTEGER, ZJIDSTRING VARCHAR );
CREATE INDEX ZWACDCALLEVENT_Z1CALLEVENTS_INDEX ON ZWACDCALLEVENT (Z1CALLEVENTS);
CREATE INDEX ZWACDCALLEVENTPARTICIPANT_Z1PARTICIPANTS_INDEX ON ZWACDCALLEVENTPARTICIPANT (Z1PARTICIPANTS);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
"""

# ZWAMESSAGE.ZMESSAGETYPE values used here.
TEXT, IMAGE, VIDEO, VOICE, CONTACT, LOCATION, GROUP_EVENT, LINK, DOCUMENT, SYSTEM = 0, 1, 2, 3, 4, 5, 6, 7, 8, 10
REVOKED, VIEW_ONCE_IMAGE, POLL = 14, 38, 46


@dataclass(frozen=True)
class Person:
    name: str
    number: str  # international digits, no '+'
    label: str = "_$!<Mobile>!$_"
    about: str = "Hey there! I am using WhatsApp."

    @property
    def jid(self) -> str:
        return f"{self.number}@s.whatsapp.net"

    @property
    def pretty(self) -> str:
        n = self.number
        return f"+{n[:2]} {n[2:6]} {n[6:]}" if n.startswith("44") else f"+{n}"


SAM = Person("Sam Taylor", "447700900456", about="Out hiking 🏔️")
MUM = Person("Mum", "447700900789", label="_$!<Home>!$_")
PRIYA = Person("Priya Shah", "447700900234")
JORDAN = Person("Jordan Lee", "447700900567")
BEN = Person("Ben Carter", "447700900890")
CLINIC = Person("Smile Dental Clinic", "442079460123", label="_$!<Work>!$_", about="Open Mon–Fri 8–6")
CHRIS_JID = "447700900345@s.whatsapp.net"  # in the group, not in the address book: shown by push name
CHRIS_PUSH = "Chris ⛰"
PEOPLE = (SAM, MUM, PRIYA, JORDAN, BEN, CLINIC)

GROUP_JID = "120363041234567890@g.us"
GROUP_NAME = "Weekend Hikers"


@dataclass
class Msg:
    """One scripted message: who sends it and what it carries."""

    sender: str | None  # None = the owner; else a JID
    text: str | None = None
    mtype: int = TEXT
    media: dict[str, Any] = field(default_factory=dict)
    event: int = 0
    starred: bool = False
    reply: bool = False  # quotes the chat's previous text message
    gap: float = 3.0  # minutes since the previous message
    #: (reactor JID or None for the owner, emoji, minutes after the message); "" takes a reaction back
    reactions: tuple[tuple[str | None, str, float], ...] = ()
    earlier: str | None = None  # the text before an edit (the row is rewritten at the end)
    poll: tuple[str, ...] = ()
    forwarded: bool = False


def _conversations() -> list[tuple[str, str, int, datetime, list[Msg]]]:
    """(jid, partner name, session type, first message time, messages) for each chat."""
    s, m, p, j, b, c = SAM.jid, MUM.jid, PRIYA.jid, JORDAN.jid, BEN.jid, CLINIC.jid
    sam = [
        Msg(s, None, SYSTEM, event=2, gap=0),
        Msg(s, "Hey! Are we still on for Saturday?"),
        Msg(None, "Yes! Meet at the station at 8?"),
        Msg(s, "Perfect. I'll bring the map", reactions=((None, "❤️", 2),)),
        Msg(None, "Don't forget the sandwiches this time 😅"),
        Msg(s, "Haha never again", reply=True),
        Msg(s, None, IMAGE, {"name": "summit", "w": 800, "h": 600, "caption": "View from last time"}),
        Msg(None, "Wow, that's the ridge?"),
        Msg(s, "Yep, about 3 hours up"),
        Msg(None, "Worth it"),
        Msg(s, None, LOCATION, {"lat": 54.4541, "lon": -3.2116, "title": "Scafell Pike car park"}, gap=60),
        Msg(None, "Got it, thanks"),
        Msg(s, None, VOICE, {"seconds": 6}),
        Msg(None, "Ha, I heard the wind more than you"),
        Msg(s, "Forecast says sunny all day", gap=600),
        Msg(None, "Finally!", starred=True),
        Msg(s, f"Check this gear sale {LINK_URL}", LINK, {"url": LINK_URL, "title": "Outdoor gear – 40% off"}),
        Msg(None, "Ordered new boots 🥾"),
        Msg(s, DELETED_TEXT, gap=30),  # deleted below
        Msg(None, "See you Saturday!", gap=120),
        Msg(s, "👍"),
        Msg(None, EDITED_TO, earlier=EDITED_FROM, gap=700),
        Msg(s, None, REVOKED),  # deleted for everyone: WhatsApp keeps the row, type 14, no text
        Msg(s, "No worries, see you at 7:30"),
    ]
    mum = [
        Msg(m, "Hello love, are you coming for Sunday lunch?", gap=0),
        Msg(None, "Yes, what time?"),
        Msg(m, "One o'clock. Dad is doing the roast"),
        Msg(None, "Lovely, I'll bring dessert"),
        Msg(m, "Can you send me Ben's number? My phone lost it"),
        Msg(None, None, CONTACT, {"name": BEN.name, "number": BEN.pretty}),
        Msg(m, "Thank you ❤️"),
        Msg(m, None, IMAGE, {"name": "garden", "w": 640, "h": 480, "caption": "The roses are out!"}, gap=1440),
        Msg(None, "Beautiful!"),
        Msg(m, None, IMAGE, {"name": "cake", "w": 480, "h": 640, "missing": True}, gap=2000),
        Msg(m, "That was the cake for Auntie Jo"),
        Msg(None, "Looks amazing"),
        Msg(m, "Call me when you can", gap=500),
        Msg(None, "Will do after work"),
        Msg(m, "Dad says hi 👋"),
        Msg(None, "Hi Dad!"),
        Msg(m, "Drive safely on Sunday", gap=2500),
        Msg(None, "Always do"),
        Msg(m, "See you then xx"),
        Msg(None, None, CONTACT, {"contacts": ((SAM.name, SAM.pretty), (PRIYA.name, PRIYA.pretty))}, gap=60),
    ]
    priya = [
        Msg(p, "Hi Alex, here are the slides for Monday", gap=0),
        Msg(p, None, DOCUMENT, {"title": "Q2 plan.pdf", "pages": 3}),
        Msg(None, "Thanks Priya, I'll review tonight"),
        Msg(p, "Let me know if the numbers on page 2 look right"),
        Msg(None, "Page 2 looks right, small typo on page 3", gap=300, reply=True),
        Msg(p, "Fixed, thanks!"),
        Msg(None, "Are you joining the hike on Saturday?"),
        Msg(p, "Yes! Sam added me to the group"),
        Msg(None, "Great 😊"),
        Msg(p, "Coffee Monday before the meeting?", gap=2000),
        Msg(None, "Sure, 8:30 at the usual place"),
        Msg(p, None, LOCATION, {"lat": 51.5136, "lon": -0.0890, "title": "Grind Coffee, London Bridge"}),
        Msg(None, "Perfect"),
        Msg(p, "Running 5 min late, sorry!", gap=3000),
        Msg(None, "No worries"),
        Msg(p, None, VOICE, {"seconds": 4}),
        Msg(None, "Got a table by the window"),
        Msg(p, "Thanks for today, the meeting went well", gap=400),
        Msg(None, "It did! Well done"),
    ]
    group = [
        Msg(None, None, GROUP_EVENT, event=12, gap=0),
        Msg(s, None, GROUP_EVENT, event=2, gap=1),
        Msg(s, "Welcome everyone! Saturday plan: Scafell Pike",
            reactions=((j, "👍", 1), (p, "👍", 2), (CHRIS_JID, "😮", 3), (CHRIS_JID, "", 4))),
        Msg(j, "I'm in"),
        Msg(p, "Me too"),
        Msg(CHRIS_JID, "Can I bring my dog?"),
        Msg(s, "Of course!"),
        Msg(None, "I'll drive, 4 seats"),
        Msg(j, "Can I get a lift?"),
        Msg(None, "Yes, pick you up at 7:15"),
        Msg(CHRIS_JID, None, IMAGE, {"name": "dog", "w": 600, "h": 600, "caption": "Trail buddy"}),
        Msg(p, "So cute 😍"),
        Msg(s, "Weather looks good", gap=900),
        Msg(j, "Bring layers, it's cold at the top"),
        Msg(None, "Noted"),
        Msg(s, None, LOCATION, {"lat": 54.4500, "lon": -3.2200, "title": "Meeting point"}),
        Msg(CHRIS_JID, "Running late, start without me", gap=1500),
        Msg(s, "We'll wait 10 min"),
        Msg(p, None, IMAGE, {"name": "summit_group", "w": 1024, "h": 768, "caption": "We made it! 🏔️"}, gap=200,
            reactions=((s, "❤️", 5), (None, "😂", 6), (None, "🔥", 7))),
        Msg(j, "Best day"),
        Msg(None, "Same time next month?"),
        Msg(s, "Definitely"),
        Msg(CHRIS_JID, None, VIDEO, {"seconds": 3, "caption": "Descent"}),
        Msg(j, "Legend"),
        Msg(s, POLL_QUESTION, POLL, poll=POLL_OPTIONS, gap=600),
        Msg(j, "Check out this route", forwarded=True),
    ]
    ben = [
        Msg(b, "Mate, did you watch the match?", gap=0),
        Msg(None, "Yes! What a finish"),
        Msg(b, "Unbelievable last minute goal"),
        Msg(None, "Pub on Friday for the next one?"),
        Msg(b, "Always"),
        Msg(b, None, IMAGE, {"name": "ticket", "w": 500, "h": 300, "caption": "Got us tickets"}, gap=3000),
        Msg(None, "You're a star ⭐", starred=True),
        Msg(b, "Owe me £35"),
        Msg(None, "Sending now"),
        Msg(b, "Cheers"),
        Msg(None, "Your mum got your number from me by the way", gap=2000),
        Msg(b, "Ha, she already texted me"),
        Msg(b, None, VOICE, {"seconds": 9}),
        Msg(None, "😂😂"),
        Msg(b, "Friday 7pm then"),
        Msg(None, "See you there"),
        Msg(b, "Running 10 late, get the first round in", gap=4000),
        Msg(None, "Already at the bar 🍺"),
        Msg(b, "Legend"),
        Msg(b, "Great night, cheers mate", gap=300),
        Msg(None, "Same again next week?"),
        Msg(b, "Obviously"),
        Msg(b, None, VIEW_ONCE_IMAGE, {"name": "surprise", "w": 400, "h": 300, "view_once": True}, gap=900),
        Msg(None, "Ha! Can't unsee that"),
    ]
    clinic = [
        Msg(c, None, SYSTEM, event=26, gap=0),
        Msg(c, "Hello Alex, this is a reminder of your check-up on 12 April at 10:00."),
        Msg(None, "Thanks, I'll be there"),
        Msg(c, "Please reply YES to confirm"),
        Msg(None, "YES"),
        Msg(c, "Confirmed. See you on 12 April."),
        Msg(c, None, DOCUMENT, {"title": "Invoice 2024-0412.pdf", "pages": 1}, gap=20000),
        Msg(None, "Received, thank you"),
        Msg(c, "Your next check-up is due in 6 months."),
        Msg(None, "Could I move my next appointment to a Friday?", gap=3000),
        Msg(c, "Of course. Friday 18 October at 09:30 is free."),
        Msg(None, "Perfect, book it please"),
        Msg(c, "Booked. We will send a reminder the day before."),
        Msg(None, "Thank you!"),
    ]
    base = SAMPLE_NOW - timedelta(days=40)
    return [
        (SAM.jid, SAM.name, 0, base + timedelta(days=1, hours=8), sam),
        (MUM.jid, MUM.name, 0, base + timedelta(days=2, hours=18), mum),
        (PRIYA.jid, PRIYA.name, 0, base + timedelta(days=5, hours=9), priya),
        (GROUP_JID, GROUP_NAME, 1, base + timedelta(days=6, hours=20), group),
        (BEN.jid, BEN.name, 0, base + timedelta(days=9, hours=21), ben),
        (CLINIC.jid, CLINIC.name, 0, base + timedelta(days=12, hours=11), clinic),
    ]


def _apple(dt: datetime) -> float:
    return dt.timestamp() - APPLE_EPOCH_UNIX


def _stanza(n: int) -> str:
    return "3A" + uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-wa-{n}").hex[:18].upper()


def _media_uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-wa-media-{name}"))


def _media_rel(chat_jid: str, name: str, ext: str) -> str:
    u = _media_uuid(name)
    return f"Media/{chat_jid}/{u[0]}/{u[1]}/{u}.{ext}"


# --------------------------------------------------------------------------------------------
# Media files


def _jpeg(width: int, height: int, seed: str, quality: int = 82) -> bytes:
    """A small real JPEG with a deterministic picture (sky, hills and a sun)."""
    from PIL import Image, ImageDraw

    h = sum(seed.encode()) % 360
    img = Image.new("RGB", (width, height), (120 + h % 100, 170, 230))
    draw = ImageDraw.Draw(img)
    for i in range(0, height // 2, 4):
        shade = 200 - i * 100 // max(1, height // 2)
        draw.rectangle((0, i, width, i + 4), fill=(shade, shade + 30, 240))
    draw.polygon([(0, height), (width // 3, height // 2), (2 * width // 3, height), (0, height)], fill=(60, 110, 60))
    draw.polygon([(width // 3, height), (3 * width // 4, height // 3 + h % 40), (width, height)], fill=(80, 130, 70))
    r = min(width, height) // 10
    cx, cy = width * (h % 7 + 2) // 10, height // 5
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 220, 90))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packets: list[bytes], granule: int, seq: int, flags: int) -> bytes:
    """One Ogg page holding whole packets (each under 255 bytes here)."""
    lacing = bytes(len(p) for p in packets)
    header = struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, 0x5A17, seq, 0) + bytes([len(lacing)])
    page = header + lacing + b"".join(packets)
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def voice_note(seconds: int) -> bytes:
    """A valid Ogg Opus file of silence (WhatsApp's voice-note format), ``seconds`` long."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"reclaim sample"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, 0, 0x02), _ogg_page([tags], 0, 1, 0)]
    frames = seconds * 50  # 20 ms frames
    silent = bytes([0xF8])  # TOC: CELT fullband 20 ms, one frame with no data (decodes as silence)
    seq, done = 2, 0
    while done < frames:
        n = min(100, frames - done)
        done += n
        pages.append(_ogg_page([silent] * n, 312 + done * 960, seq, 0x04 if done >= frames else 0))
        seq += 1
    return b"".join(pages)


def pdf_document(title: str, pages: int) -> bytes:
    """A small valid PDF with one line of text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i * 2} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>")
    font_obj = 3 + pages * 2
    for i in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + i * 2} 0 R"
                       f" /Resources << /Font << /F1 {font_obj} 0 R >> >> >>")
        text = f"BT /F1 18 Tf 72 760 Td ({title} - page {i + 1}) Tj ET".encode("latin-1", "replace")
        objects.append(f"<< /Length {len(text)} >>\nstream\n{text.decode('latin-1')}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1", "replace"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _mp4(seconds: int) -> bytes:
    from reclaim.sample.content.photos import make_video

    return make_video(seconds, 320, 240, brand=b"mp42", seed="wa")


def _vcard(name: str, number: str) -> str:
    return (f"BEGIN:VCARD\nVERSION:3.0\nN:{name.split()[-1]};{name.split()[0]};;;\nFN:{name}\n"
            f"TEL;type=CELL;type=VOICE;waid={number.lstrip('+').replace(' ', '')}:{number}\nEND:VCARD")


def _pb_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _pb(number: int, value: int | bytes | str) -> bytes:
    """One protobuf field: a varint for ``int``, length-delimited otherwise."""
    if isinstance(value, int):
        return _pb_varint(number << 3) + _pb_varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _pb_varint((number << 3) | 2) + _pb_varint(len(data)) + data


def _receipt_info(msg: Msg, when: datetime, message_pk: int) -> bytes:
    """A ZWAMESSAGEINFO.ZRECEIPTINFO blob: reactions in field 7 (others' 7→1, the owner's 7→2), a poll in 8."""
    out = _pb(4, 2)
    reactions = b""
    for n, (reactor, emoji, after) in enumerate(msg.reactions):
        millis = int((when + timedelta(minutes=after)).timestamp() * 1000)
        key = _stanza(100000 + message_pk * 10 + n)
        if reactor is None:
            reactions += _pb(2, _pb(1, key) + _pb(2, emoji) + _pb(3, millis) + _pb(4, 1))
        else:
            reactions += _pb(1, _pb(1, key) + _pb(2, reactor) + _pb(3, emoji) + _pb(4, millis))
    if reactions:
        out += _pb(7, reactions)
    if msg.poll:
        options = b"".join(_pb(3, _pb(1, option)) for option in msg.poll)
        out += _pb(8, _pb(2, msg.text or "") + options)
    return out


def _quote_metadata(stanza: str, sender_jid: str, text: str) -> bytes:
    """A ZMETADATA blob carrying a quoted message (fields 5, 6 and 19→1, as WhatsApp writes them)."""

    def ld(number: int, data: bytes) -> bytes:
        key = (number << 3) | 2
        out = bytearray()
        for value in (key, len(data)):
            while value >= 0x80:
                out.append((value & 0x7F) | 0x80)
                value >>= 7
            out.append(value)
        return bytes(out) + data

    return ld(5, stanza.encode()) + ld(6, sender_jid.encode()) + ld(19, ld(1, text.encode()))


# --------------------------------------------------------------------------------------------
# Databases


def _chat_storage(ctx: SampleContext) -> tuple[bytes, list[SampleFile]]:
    path = ctx.scratch_path("whatsapp/ChatStorage.sqlite")
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA auto_vacuum=2")
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(CHAT_SCHEMA)
    media_files: list[SampleFile] = []
    message_pk = media_pk = member_pk = info_pk = 0
    deleted_pk = None
    edits: list[tuple[int, str]] = []
    members: dict[str, int] = {}
    for chat_pk, (jid, partner, stype, start, script) in enumerate(_conversations(), 1):
        when = start
        last_pk, last_text, last_when = 0, "", start
        group_info = None
        if stype == 1:
            group_info = chat_pk
            conn.execute("INSERT INTO ZWAGROUPINFO (Z_PK, Z_ENT, Z_OPT, ZSTATE, ZCHATSESSION, ZCREATIONDATE,"
                         " ZSUBJECTTIMESTAMP, ZCREATORJID, ZOWNERJID) VALUES (?,5,1,0,?,?,?,?,?)",
                         (chat_pk, chat_pk, _apple(start), _apple(start), OWNER_JID, OWNER_JID))
            for mjid, name, first in ((OWNER_JID, None, None), (SAM.jid, SAM.name, "Sam"),
                                      (JORDAN.jid, JORDAN.name, "Jordan"), (PRIYA.jid, PRIYA.name, "Priya"),
                                      (CHRIS_JID, None, None)):
                member_pk += 1
                members[mjid] = member_pk
                conn.execute("INSERT INTO ZWAGROUPMEMBER (Z_PK, Z_ENT, Z_OPT, ZCONTACTABID, ZISACTIVE, ZISADMIN,"
                             " ZCHATSESSION, ZCONTACTNAME, ZFIRSTNAME, ZMEMBERJID) VALUES (?,6,1,0,1,?,?,?,?,?)",
                             (member_pk, int(mjid == OWNER_JID), chat_pk, name, first, mjid))
        stanzas: list[tuple[str, str, str]] = []
        for msg in script:
            when = when + timedelta(minutes=msg.gap)
            message_pk += 1
            stanza = _stanza(message_pk)
            from_me = msg.sender is None
            sender_jid = msg.sender or OWNER_JID
            from_jid = None if from_me else jid
            group_member = members.get(sender_jid) if stype == 1 and not from_me else None
            to_jid = jid if from_me else OWNER_JID
            mi = None
            if msg.mtype not in (TEXT, GROUP_EVENT, SYSTEM, REVOKED, POLL) or msg.reply:
                media_pk += 1
                mi = media_pk
                media_files += _media_row(conn, mi, message_pk, jid, msg, stanzas)
            info = None
            if msg.reactions or msg.poll:
                info_pk += 1
                info = info_pk
                conn.execute("INSERT INTO ZWAMESSAGEINFO (Z_PK, Z_ENT, Z_OPT, ZMESSAGE, ZRECEIPTINFO)"
                             " VALUES (?,11,1,?,?)", (info, message_pk, _receipt_info(msg, when, message_pk)))
            flags = 16777280 if from_me else 16777216
            if msg.forwarded:
                flags |= 0x180
            conn.execute(
                "INSERT INTO ZWAMESSAGE (Z_PK, Z_ENT, Z_OPT, ZCHILDMESSAGESDELIVEREDCOUNT, ZCHILDMESSAGESPLAYEDCOUNT,"
                " ZCHILDMESSAGESREADCOUNT, ZDATAITEMVERSION, ZDOCID, ZENCRETRYCOUNT, ZFILTEREDRECIPIENTCOUNT, ZFLAGS,"
                " ZGROUPEVENTTYPE, ZISFROMME, ZMESSAGEERRORSTATUS, ZMESSAGESTATUS, ZMESSAGETYPE, ZSORT,"
                " ZSPOTLIGHTSTATUS, ZSTARRED, ZCHATSESSION, ZGROUPMEMBER, ZMEDIAITEM, ZMESSAGEINFO, ZMESSAGEDATE,"
                " ZSENTDATE, ZFROMJID, ZPUSHNAME, ZSTANZAID, ZTEXT, ZTOJID)"
                " VALUES (?,9,2,0,0,0,3,?,0,0,?,?,?,0,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?)",
                (message_pk, message_pk, flags, msg.event, int(from_me),
                 8 if from_me else (0 if msg.mtype in (GROUP_EVENT, SYSTEM) else 2), msg.mtype, message_pk,
                 int(msg.starred), chat_pk, group_member, mi, info, _apple(when), _apple(when) if from_me else None,
                 from_jid, CHRIS_PUSH if sender_jid == CHRIS_JID else None, stanza, msg.earlier or msg.text, to_jid),
            )
            if msg.earlier:
                edits.append((message_pk, msg.text or ""))
            if msg.text == DELETED_TEXT:
                deleted_pk = message_pk
            else:
                last_pk, last_text, last_when = message_pk, msg.text or "", when
            if msg.text and msg.mtype == TEXT:
                stanzas.append((stanza, sender_jid, msg.text))
        conn.execute(
            "INSERT INTO ZWACHATSESSION (Z_PK, Z_ENT, Z_OPT, ZARCHIVED, ZCONTACTABID, ZFLAGS, ZHIDDEN,"
            " ZMESSAGECOUNTER, ZREMOVED, ZSESSIONTYPE, ZSPOTLIGHTSTATUS, ZUNREADCOUNT, ZGROUPINFO, ZLASTMESSAGE,"
            " ZLASTMESSAGEDATE, ZCONTACTJID, ZLASTMESSAGETEXT, ZPARTNERNAME)"
            " VALUES (?,4,3,0,0,0,0,?,0,?,0,0,?,?,?,?,?,?)",
            (chat_pk, len(script), stype, group_info, last_pk, _apple(last_when), jid, last_text, partner),
        )
    conn.execute("INSERT INTO ZWAPROFILEPUSHNAME (Z_PK, Z_ENT, Z_OPT, ZJID, ZPUSHNAME) VALUES (1,13,1,?,?)",
                  (CHRIS_JID, CHRIS_PUSH))
    conn.execute("INSERT INTO ZWAPROFILEPUSHNAME (Z_PK, Z_ENT, Z_OPT, ZJID, ZPUSHNAME) VALUES (2,13,1,?,?)",
                  (SAM.jid, "Sammy T"))
    for ent, name, maximum in ((4, "WAChatSession", 6), (5, "WAGroupInfo", 4), (6, "WAGroupMember", member_pk),
                               (8, "WAMediaItem", media_pk), (9, "WAMessage", message_pk),
                               (11, "WAMessageInfo", info_pk), (13, "WAProfilePushName", 2)):
        conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (?,?,0,?)", (ent, name, maximum))
    conn.execute("INSERT INTO Z_METADATA VALUES (1, '5E9A3D3C-2F7B-4C1E-9B0A-6C2D8E4F1A07', NULL)")
    conn.commit()
    # The owner deleted one message: the row goes, its bytes stay in the page's free space.
    assert deleted_pk is not None
    conn.execute("DELETE FROM ZWAMESSAGE WHERE Z_PK = ?", (deleted_pk,))
    conn.commit()
    # An edit rewrites the row with the new (longer) text: the first text stays in the freed cell.
    for pk, text in edits:
        conn.execute("UPDATE ZWAMESSAGE SET ZTEXT = ?, Z_OPT = Z_OPT + 1 WHERE Z_PK = ?", (text, pk))
    conn.commit()
    conn.close()
    return path.read_bytes(), media_files


def _media_row(conn: sqlite3.Connection, pk: int, message_pk: int, chat_jid: str, msg: Msg,
               stanzas: list[tuple[str, str, str]]) -> list[SampleFile]:
    """Insert one ZWAMEDIAITEM row and return the files it points at."""
    info = msg.media
    files: list[SampleFile] = []
    path = thumb = title = vname = vstring = url = None
    size = duration = 0
    lat = lon = 0.0
    metadata = None
    if msg.mtype == IMAGE:
        name = str(info["name"])
        data = _jpeg(int(info["w"]), int(info["h"]), name)
        path, thumb = _media_rel(chat_jid, name, "jpg"), _media_rel(chat_jid, name, "thumb")
        size, title, vname, vstring = len(data), info.get("caption"), None, "image/jpeg"
        if not info.get("missing"):
            files.append(SampleFile(DOMAIN, f"Message/{path}", data))
        files.append(SampleFile(DOMAIN, f"Message/{thumb}", _jpeg(96, 72, name, quality=60)))
    elif msg.mtype == VIEW_ONCE_IMAGE:  # opened once: WhatsApp deleted the file, the row keeps its path
        path = _media_rel(chat_jid, str(info["name"]), "jpg")
        vstring = "image/jpeg"
    elif msg.mtype == VIDEO:
        name = f"video-{message_pk}"
        data = _mp4(int(info["seconds"]))
        path, thumb = _media_rel(chat_jid, name, "mp4"), _media_rel(chat_jid, name, "thumb")
        size, duration, title, vstring = len(data), int(info["seconds"]), info.get("caption"), "video/mp4"
        files.append(SampleFile(DOMAIN, f"Message/{path}", data))
        files.append(SampleFile(DOMAIN, f"Message/{thumb}", _jpeg(96, 72, name, quality=60)))
    elif msg.mtype == VOICE:
        name = f"voice-{message_pk}"
        data = voice_note(int(info["seconds"]))
        path = _media_rel(chat_jid, name, "opus")
        size, duration, vstring = len(data), int(info["seconds"]), "audio/ogg; codecs=opus"
        files.append(SampleFile(DOMAIN, f"Message/{path}", data))
    elif msg.mtype == DOCUMENT:
        title = str(info["title"])
        data = pdf_document(title.removesuffix(".pdf"), int(info["pages"]))
        path = _media_rel(chat_jid, title, "pdf")
        size, vstring = len(data), "application/pdf"
        files.append(SampleFile(DOMAIN, f"Message/{path}", data))
    elif msg.mtype == LOCATION:
        lat, lon, title = float(info["lat"]), float(info["lon"]), str(info["title"])
        thumb = _media_rel(chat_jid, f"map-{message_pk}", "thumb")
        files.append(SampleFile(DOMAIN, f"Message/{thumb}", _jpeg(160, 120, title, quality=60)))
    elif msg.mtype == CONTACT and "contacts" in info:  # several contacts in one message, as WhatsApp joins them
        shared = info["contacts"]
        vname = "_$!<Name-Separator>!$_".join([f"{len(shared)} contacts", *(name for name, _ in shared)])
        vstring = "_$!<VCard-Separator>!$_".join(_vcard(name, number) for name, number in shared)
    elif msg.mtype == CONTACT:
        vname, vstring = str(info["name"]), _vcard(str(info["name"]), str(info["number"]))
    elif msg.mtype == LINK:
        url, title = str(info["url"]), str(info["title"])
    elif msg.reply and stanzas:  # a reply quoting the previous text message
        stanza, sender, text = stanzas[-1]
        metadata = _quote_metadata(stanza, sender, text)
    conn.execute(
        "INSERT INTO ZWAMEDIAITEM (Z_PK, Z_ENT, Z_OPT, ZCLOUDSTATUS, ZFILESIZE, ZMEDIAORIGIN, ZMOVIEDURATION, ZMESSAGE,"
        " ZLATITUDE, ZLONGITUDE, ZMEDIALOCALPATH, ZMEDIAURL, ZTITLE, ZVCARDNAME, ZVCARDSTRING, ZXMPPTHUMBPATH,"
        " ZMETADATA) VALUES (?,8,1,?,?,0,?,?,?,?,?,?,?,?,?,?,?)",
        (pk, 2 if path else 0, size, duration, message_pk, lat, lon, path, url, title, vname, vstring, thumb, metadata),
    )
    return files


def _contacts_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("whatsapp/ContactsV2.sqlite")
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(CONTACTS_SCHEMA)
    for pk, person in enumerate(PEOPLE, 1):
        given, _, family = person.name.partition(" ")
        conn.execute(
            "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_PK, Z_ENT, Z_OPT, ZPHONESTATUS, ZSORT, ZSPOTLIGHTSTATUS,"
            " ZABOUTTIMESTAMP, ZABOUTTEXT, ZFULLNAME, ZGIVENNAME, ZHIGHLIGHTEDNAME, ZIDENTIFIER, ZPHONENUMBER,"
            " ZPHONENUMBERLABEL, ZSEARCHTOKENLIST, ZSECTIONTITLE, ZWHATSAPPID)"
            " VALUES (?,1,3,1,?,1,?,?,?,?,?,?,?,?,?,?,?)",
            (pk, pk * 1000, _apple(SAMPLE_NOW - timedelta(days=100 + pk)), person.about, person.name, given,
             family or given, str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-contact-{person.name}")).upper(),
             person.pretty, person.label, person.name.lower(), person.name[0], person.jid),
        )
    # A contact without WhatsApp: WhatsApp keeps the row, with no id.
    conn.execute("INSERT INTO ZWAADDRESSBOOKCONTACT (Z_PK, Z_ENT, Z_OPT, ZPHONESTATUS, ZFULLNAME, ZGIVENNAME,"
                 " ZIDENTIFIER) VALUES (7,1,2,3,'Grandpa Joe','Joe','5C1B7A52-3F0E-4C7B-A5E2-0E8F7D9C6B41')")
    conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (1,'WAAddressBookContact',0,7)")
    conn.commit()
    conn.close()
    return path.read_bytes()


#: (minutes before SAMPLE_NOW, person, incoming, video, duration seconds, outcome)
CALLS = (
    (60 * 24 * 30, SAM, False, False, 312.4, 0),
    (60 * 24 * 21, MUM, True, False, 1260.0, 0),
    (60 * 24 * 14, MUM, True, True, 0.0, 1),
    (60 * 24 * 7, BEN, False, True, 95.8, 0),
    (60 * 24 * 2, PRIYA, True, False, 0.0, 4),
)


def _calls_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("whatsapp/CallHistory.sqlite")
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(CALLS_SCHEMA)
    for pk, (ago, person, incoming, video, seconds, outcome) in enumerate(CALLS, 1):
        when = _apple(SAMPLE_NOW - timedelta(minutes=ago))
        creator = person.jid if incoming else OWNER_JID
        conn.execute("INSERT INTO ZWAAGGREGATECALLEVENT VALUES (?,1,1,?,?,?,?,?,NULL)",
                     (pk, int(incoming), int(outcome == 1), 1 if outcome == 1 else 0, int(video), when))
        sent = int(seconds * (90000 if video else 4000))
        conn.execute("INSERT INTO ZWACDCALLEVENT VALUES (?,2,1,?,?,?,?,2048,?,?,?,NULL,NULL)",
                     (pk, sent * 3 // 4, sent, outcome, pk, when, seconds, creator))
        conn.execute("INSERT INTO ZWACDCALLEVENTPARTICIPANT VALUES (?,3,1,?,?,2048,?)", (pk, outcome, pk, person.jid))
    for ent, name in ((1, "WAAggregateCallEvent"), (2, "WACDCallEvent"), (3, "WACDCallEventParticipant")):
        conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (?,?,0,?)", (ent, name, len(CALLS)))
    conn.commit()
    conn.close()
    return path.read_bytes()


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """WhatsApp's three databases and the media files its messages point at."""
    chat, media = _chat_storage(ctx)
    yield SampleFile(DOMAIN, "ChatStorage.sqlite", chat)
    yield SampleFile(DOMAIN, "ContactsV2.sqlite", _contacts_db(ctx))
    yield SampleFile(DOMAIN, "CallHistory.sqlite", _calls_db(ctx))
    yield from media
    yield from profile_pictures()


#: The profile pictures WhatsApp cached (``Media/Profile/<number>-<Unix time>.jpg`` and its small ``.thumb``):
#: Priya changed hers (the newer picture is the one to show), Jordan's only as the small copy.
PROFILE_PICTURES = ((PRIYA, 1_700_000_000, "jpg"), (PRIYA, 1_710_000_000, "jpg"), (PRIYA, 1_710_000_000, "thumb"),
                    (JORDAN, 1_705_000_000, "thumb"))


def profile_pictures() -> Iterator[SampleFile]:
    """The files of :data:`PROFILE_PICTURES`, each picture different."""
    for person, when, ext in PROFILE_PICTURES:
        size = 96 if ext == "thumb" else 320
        yield SampleFile(DOMAIN, f"Media/Profile/{person.number}-{when}.{ext}",
                         _jpeg(size, size, f"{person.name} {when} {ext}"))
