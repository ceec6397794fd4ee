"""The camera roll of the sample backup: thirty photos and videos with their Photos.sqlite.

Files sit where iOS 17 keeps them (``CameraRollDomain``): originals in
``Media/DCIM/100APPLE`` and ``101APPLE``, an edit in
``Media/PhotoData/Mutations/…/Adjustments/FullSizeRender.jpg``, thumbnails in
``Media/PhotoData/Thumbnails/V2/…/5005.JPG``. ``Media/PhotoData/Photos.sqlite`` has
the iOS 17 (before 17.6) Core Data tables with their real names and types:
``ZASSET``, ``ZADDITIONALASSETATTRIBUTES``, ``ZEXTENDEDATTRIBUTES``,
``ZGENERICALBUM``, the album↔asset join table ``Z_28ASSETS``, and the people and faces
tables ``ZPERSON`` and ``ZDETECTEDFACE`` (with iOS 17's ``ZASSETFORFACE``/``ZPERSONFORFACE``).

The library holds HEIC, JPEG and PNG photos, three videos (MJPEG in a QuickTime or
MP4 container, built here without an encoder), a Live Photo pair, two albums,
favourites, a hidden photo, two items in "Recently Deleted", GPS on some photos,
one edited photo, one photo whose original is gone (only its thumbnail is left),
one asset row deleted with ``secure_delete`` off (its thumbnail remains too), three
named people (one linked to a contact) and an unnamed face group on nine photos, and the
importing app of three photos (Files, WhatsApp).
"""

from __future__ import annotations

import io
import plistlib
import sqlite3
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reclaim.sample.model import SAMPLE_NOW, SampleContext, SampleFile

DOMAIN = "CameraRollDomain"
APPLE_EPOCH_UNIX = 978307200
MAC_EPOCH_OFFSET = 2082844800  # seconds from 1904-01-01 (QuickTime) to 1970-01-01

ASSET_COLUMNS = (
    "Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIVELIBRARYSCOPEPARTICIPATIONSTATE INTEGER,"
    " ZADJUSTMENTSSTATE INTEGER, ZAVALANCHEKIND INTEGER, ZAVALANCHEPICKTYPE INTEGER, ZBUNDLESCOPE INTEGER,"
    " ZCAMERAPROCESSINGADJUSTMENTSTATE INTEGER, ZCLOUDDELETESTATE INTEGER, ZCLOUDDOWNLOADREQUESTS INTEGER,"
    " ZCLOUDHASCOMMENTSBYME INTEGER, ZCLOUDHASCOMMENTSCONVERSATION INTEGER, ZCLOUDHASUNSEENCOMMENTS INTEGER,"
    " ZCLOUDISDELETABLE INTEGER, ZCLOUDISMYASSET INTEGER, ZCLOUDLOCALSTATE INTEGER, ZCLOUDPLACEHOLDERKIND INTEGER,"
    " ZCOMPLETE INTEGER, ZDEFERREDPROCESSINGNEEDED INTEGER, ZDEPTHTYPE INTEGER, ZDERIVEDCAMERACAPTUREDEVICE INTEGER,"
    " ZDUPLICATEASSETVISIBILITYSTATE INTEGER, ZFAVORITE INTEGER, ZHASADJUSTMENTS INTEGER, ZHDRTYPE INTEGER,"
    " ZHEIGHT INTEGER, ZHIDDEN INTEGER, ZHIGHFRAMERATESTATE INTEGER, ZISDETECTEDSCREENSHOT INTEGER,"
    " ZISMAGICCARPET INTEGER, ZISRECENTLYSAVED INTEGER, ZKIND INTEGER, ZKINDSUBTYPE INTEGER,"
    " ZLIBRARYSCOPESHARESTATE INTEGER, ZORIENTATION INTEGER, ZPLAYBACKSTYLE INTEGER, ZPLAYBACKVARIATION INTEGER,"
    " ZSAVEDASSETTYPE INTEGER, ZSEARCHINDEXREBUILDSTATE INTEGER, ZSPATIALTYPE INTEGER, ZSYNDICATIONSTATE INTEGER,"
    " ZTHUMBNAILINDEX INTEGER, ZTRASHEDSTATE INTEGER, ZVIDEOCPDURATIONVALUE INTEGER, ZVIDEOCPVISIBILITYSTATE INTEGER,"
    " ZVIDEODEFERREDPROCESSINGNEEDED INTEGER, ZVIDEOKEYFRAMETIMESCALE INTEGER, ZVIDEOKEYFRAMEVALUE INTEGER,"
    " ZVISIBILITYSTATE INTEGER, ZWIDTH INTEGER, ZADDITIONALATTRIBUTES INTEGER, ZCOMPUTEDATTRIBUTES INTEGER,"
    " ZCONVERSATION INTEGER, ZDAYGROUPHIGHLIGHTBEINGASSETS INTEGER, ZEXTENDEDATTRIBUTES INTEGER,"
    " ZIMPORTSESSION INTEGER, ZLIBRARYSCOPE INTEGER, ZMASTER INTEGER, ZMEDIAANALYSISATTRIBUTES INTEGER,"
    " ZMOMENT INTEGER, ZMOMENTSHARE INTEGER, ZPHOTOANALYSISATTRIBUTES INTEGER, ZTRASHEDBYPARTICIPANT INTEGER,"
    " ZADDEDDATE TIMESTAMP, ZADJUSTMENTTIMESTAMP TIMESTAMP, ZANALYSISSTATEMODIFICATIONDATE TIMESTAMP,"
    " ZCLOUDBATCHPUBLISHDATE TIMESTAMP, ZCLOUDLASTVIEWEDCOMMENTDATE TIMESTAMP, ZCLOUDSERVERPUBLISHDATE TIMESTAMP,"
    " ZCURATIONSCORE FLOAT, ZDATECREATED TIMESTAMP, ZDURATION FLOAT, ZHDRGAIN FLOAT,"
    " ZHIGHLIGHTVISIBILITYSCORE FLOAT, ZICONICSCORE FLOAT, ZLASTSHAREDDATE TIMESTAMP, ZLATITUDE FLOAT,"
    " ZLONGITUDE FLOAT, ZMODIFICATIONDATE TIMESTAMP, ZOVERALLAESTHETICSCORE FLOAT, ZPROMOTIONSCORE FLOAT,"
    " ZSORTTOKEN FLOAT, ZSTICKERCONFIDENCESCORE FLOAT, ZTRASHEDDATE TIMESTAMP, ZAVALANCHEUUID VARCHAR,"
    " ZCLOUDASSETGUID VARCHAR, ZCLOUDBATCHID VARCHAR, ZCLOUDCOLLECTIONGUID VARCHAR, ZCLOUDOWNERHASHEDPERSONID VARCHAR,"
    " ZDELETEREASON VARCHAR, ZDIRECTORY VARCHAR, ZFILENAME VARCHAR, ZMEDIAGROUPUUID VARCHAR,"
    " ZORIGINALCOLORSPACE VARCHAR, ZUNIFORMTYPEIDENTIFIER VARCHAR, ZUUID VARCHAR, ZIMAGEREQUESTHINTS BLOB,"
    " ZLOCATIONDATA BLOB"
)

SCHEMA = f"""
CREATE TABLE ZASSET ( {ASSET_COLUMNS} );
CREATE INDEX ZASSET_ZADDITIONALATTRIBUTES_INDEX ON ZASSET (ZADDITIONALATTRIBUTES);
CREATE INDEX ZASSET_ZEXTENDEDATTRIBUTES_INDEX ON ZASSET (ZEXTENDEDATTRIBUTES);
CREATE INDEX Z_Asset_byUuid ON ZASSET (ZUUID COLLATE BINARY ASC);
CREATE INDEX Z_Asset_byDateCreated ON ZASSET (ZDATECREATED COLLATE BINARY ASC);
CREATE TABLE ZADDITIONALASSETATTRIBUTES ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
 ZALLOWEDFORANALYSIS INTEGER, ZCAMERACAPTUREDEVICE INTEGER, ZCLOUDAVALANCHEPICKTYPE INTEGER,
 ZCLOUDKINDSUBTYPE INTEGER, ZCLOUDRECOVERYSTATE INTEGER, ZCLOUDSTATERECOVERYATTEMPTSCOUNT INTEGER,
 ZDATECREATEDSOURCE INTEGER, ZDESTINATIONASSETCOPYSTATE INTEGER, ZEMBEDDEDTHUMBNAILHEIGHT INTEGER,
 ZEMBEDDEDTHUMBNAILLENGTH INTEGER, ZEMBEDDEDTHUMBNAILOFFSET INTEGER, ZEMBEDDEDTHUMBNAILWIDTH INTEGER,
 ZFACEANALYSISVERSION INTEGER, ZGPSHORIZONTALACCURACY FLOAT, ZIMPORTEDBY INTEGER, ZINFERREDTIMEZONEOFFSET INTEGER,
 ZORIGINALFILESIZE INTEGER, ZORIGINALHEIGHT INTEGER, ZORIGINALORIENTATION INTEGER, ZORIGINALRESOURCECHOICE INTEGER,
 ZORIGINALWIDTH INTEGER, ZPENDINGPLAYCOUNT INTEGER, ZPENDINGSHARECOUNT INTEGER, ZPENDINGVIEWCOUNT INTEGER,
 ZPLAYCOUNT INTEGER, ZPTPTRASHEDSTATE INTEGER, ZREVERSELOCATIONDATAISVALID INTEGER, ZSCENEANALYSISISFROMPREVIEW INTEGER,
 ZSCENEANALYSISVERSION INTEGER, ZSHARECOUNT INTEGER, ZSHARETYPE INTEGER, ZSHIFTEDLOCATIONISVALID INTEGER,
 ZSLEETISREVERSIBLE INTEGER, ZTIMEZONEOFFSET INTEGER, ZUPLOADATTEMPTS INTEGER, ZVARIATIONSUGGESTIONSTATES INTEGER,
 ZVIDEOCPDISPLAYTIMESCALE INTEGER, ZVIDEOCPDISPLAYVALUE INTEGER, ZVIDEOCPDURATIONTIMESCALE INTEGER,
 ZVIEWCOUNT INTEGER, ZASSET INTEGER, ZASSETDESCRIPTION INTEGER, ZMEDIAMETADATA INTEGER, ZSCENEPRINT INTEGER,
 ZUNMANAGEDADJUSTMENT INTEGER, ZALTERNATEIMPORTIMAGEDATE TIMESTAMP, ZLASTUPLOADATTEMPTDATE TIMESTAMP,
 ZLASTVIEWEDDATE TIMESTAMP, ZSCENEANALYSISTIMESTAMP TIMESTAMP, ZADJUSTEDFINGERPRINT VARCHAR,
 ZCREATORBUNDLEID VARCHAR, ZDEFERREDPHOTOIDENTIFIER VARCHAR, ZEDITORBUNDLEID VARCHAR, ZEXIFTIMESTAMPSTRING VARCHAR,
 ZIMPORTEDBYBUNDLEIDENTIFIER VARCHAR, ZIMPORTEDBYDISPLAYNAME VARCHAR, ZIMPORTSESSIONID VARCHAR,
 ZLOCATIONHASH INTEGER, ZMASTERFINGERPRINT VARCHAR, ZMEDIAMETADATATYPE VARCHAR, ZORIGINALASSETSUUID VARCHAR,
 ZORIGINALFILENAME VARCHAR, ZORIGINALHASH BLOB, ZORIGINALSTABLEHASH VARCHAR, ZPUBLICGLOBALUUID VARCHAR,
 ZSYNDICATIONIDENTIFIER VARCHAR, ZTIMEZONENAME VARCHAR, ZTITLE VARCHAR, ZDISTANCEIDENTITY BLOB,
 ZEDITEDIPTCATTRIBUTES BLOB, ZFACEREGIONS BLOB, ZOBJECTSALIENCYRECTSDATA BLOB, ZPLACEANNOTATIONDATA BLOB,
 ZREVERSELOCATIONDATA BLOB, ZSHIFTEDLOCATIONDATA BLOB );
CREATE INDEX ZADDITIONALASSETATTRIBUTES_ZASSET_INDEX ON ZADDITIONALASSETATTRIBUTES (ZASSET);
CREATE TABLE ZEXTENDEDATTRIBUTES ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFLASHFIRED INTEGER,
 ZFOCALLENGTHIN35MM INTEGER, ZGENERATIVEAITYPE INTEGER, ZISO INTEGER, ZMETERINGMODE INTEGER, ZSAMPLERATE INTEGER,
 ZTRACKFORMAT INTEGER, ZWHITEBALANCE INTEGER, ZASSET INTEGER, ZAPERTURE FLOAT, ZBITRATE FLOAT, ZDIGITALZOOMRATIO FLOAT,
 ZDURATION FLOAT, ZEXPOSUREBIAS FLOAT, ZFOCALLENGTH FLOAT, ZFPS FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT,
 ZSHUTTERSPEED FLOAT, ZCAMERAMAKE VARCHAR, ZCAMERAMODEL VARCHAR, ZCODEC VARCHAR, ZLENSMODEL VARCHAR );
CREATE INDEX ZEXTENDEDATTRIBUTES_ZASSET_INDEX ON ZEXTENDEDATTRIBUTES (ZASSET);
CREATE TABLE ZGENERICALBUM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCACHEDCOUNT INTEGER,
 ZCACHEDPHOTOSCOUNT INTEGER, ZCACHEDVIDEOSCOUNT INTEGER, ZCLOUDDELETESTATE INTEGER, ZCLOUDLOCALSTATE INTEGER,
 ZCUSTOMSORTASCENDING INTEGER, ZCUSTOMSORTKEY INTEGER, ZDUPLICATETYPE INTEGER, ZHASUNSEENCONTENT INTEGER,
 ZISOWNED INTEGER, ZISPINNED INTEGER, ZISPROTOTYPE INTEGER, ZKIND INTEGER, ZPENDINGITEMSCOUNT INTEGER,
 ZPENDINGITEMSTYPE INTEGER, ZPRIVACYSTATE INTEGER, ZSEARCHINDEXREBUILDSTATE INTEGER, ZSYNCEVENTORDERKEY INTEGER,
 ZTRASHEDSTATE INTEGER, ZUNSEENASSETSCOUNT INTEGER, ZCUSTOMKEYASSET INTEGER, ZKEYASSET INTEGER,
 ZPARENTFOLDER INTEGER, Z_FOK_PARENTFOLDER INTEGER, ZSECONDARYKEYASSET INTEGER, ZTERTIARYKEYASSET INTEGER,
 ZCLOUDCREATIONDATE TIMESTAMP, ZCREATIONDATE TIMESTAMP, ZENDDATE TIMESTAMP, ZSTARTDATE TIMESTAMP,
 ZTRASHEDDATE TIMESTAMP, ZCLOUDGUID VARCHAR, ZCREATORBUNDLEID VARCHAR, ZIMPORTEDBYBUNDLEIDENTIFIER VARCHAR,
 ZIMPORTSESSIONID VARCHAR, ZTITLE VARCHAR, ZUUID VARCHAR, ZCUSTOMQUERYPARAMETERS BLOB, ZPROJECTDATA BLOB,
 ZUSERQUERYDATA BLOB );
CREATE INDEX ZGENERICALBUM_ZPARENTFOLDER_INDEX ON ZGENERICALBUM (ZPARENTFOLDER);
CREATE TABLE Z_28ASSETS ( Z_28ALBUMS INTEGER, Z_3ASSETS INTEGER, Z_FOK_3ASSETS INTEGER,
 PRIMARY KEY (Z_28ALBUMS, Z_3ASSETS) );
CREATE INDEX Z_28ASSETS_Z_3ASSETS_INDEX ON Z_28ASSETS (Z_3ASSETS, Z_28ALBUMS);
CREATE TABLE ZPERSON ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZAGETYPE INTEGER,
 ZCLOUDDELETESTATE INTEGER, ZCLOUDLOCALSTATE INTEGER, ZCLOUDVERIFIEDTYPE INTEGER, ZDETECTIONTYPE INTEGER,
 ZFACECOUNT INTEGER, ZGENDERTYPE INTEGER, ZINPERSONNAMINGMODEL INTEGER, ZKEYFACEPICKSOURCE INTEGER,
 ZMANUALORDER INTEGER, ZQUESTIONTYPE INTEGER, ZSUGGESTEDFORCLIENTTYPE INTEGER, ZTYPE INTEGER, ZVERIFIEDTYPE INTEGER,
 ZASSOCIATEDFACEGROUP INTEGER, ZKEYFACE INTEGER, ZMERGETARGETPERSON INTEGER, ZSHAREPARTICIPANT INTEGER,
 ZMERGECANDIDATECONFIDENCE FLOAT, ZDISPLAYNAME VARCHAR, ZFULLNAME VARCHAR, ZPERSONURI VARCHAR, ZPERSONUUID VARCHAR,
 ZCONTACTMATCHINGDICTIONARY BLOB, ZMERGECANDIDATES BLOB );
CREATE INDEX ZPERSON_ZASSOCIATEDFACEGROUP_INDEX ON ZPERSON (ZASSOCIATEDFACEGROUP);
CREATE INDEX ZPERSON_ZKEYFACE_INDEX ON ZPERSON (ZKEYFACE);
CREATE INDEX ZPERSON_ZMERGETARGETPERSON_INDEX ON ZPERSON (ZMERGETARGETPERSON);
CREATE TABLE ZDETECTEDFACE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZAGETYPE INTEGER,
 ZASSETVISIBLE INTEGER, ZCLOUDLOCALSTATE INTEGER, ZCLOUDNAMESOURCE INTEGER, ZCLUSTERSEQUENCENUMBER INTEGER,
 ZCONFIRMEDFACECROPGENERATIONSTATE INTEGER, ZDETECTIONTYPE INTEGER, ZEYEMAKEUPTYPE INTEGER, ZEYESSTATE INTEGER,
 ZFACEALGORITHMVERSION INTEGER, ZFACEEXPRESSIONTYPE INTEGER, ZFACIALHAIRTYPE INTEGER, ZGAZETYPE INTEGER,
 ZGENDERTYPE INTEGER, ZGLASSESTYPE INTEGER, ZHAIRCOLORTYPE INTEGER, ZHAIRTYPE INTEGER, ZHASFACEMASK INTEGER,
 ZHASSMILE INTEGER, ZHEADGEARTYPE INTEGER, ZHIDDEN INTEGER, ZISINTRASH INTEGER, ZISLEFTEYECLOSED INTEGER,
 ZISRIGHTEYECLOSED INTEGER, ZLIPMAKEUPTYPE INTEGER, ZMANUAL INTEGER, ZNAMESOURCE INTEGER, ZPOSETYPE INTEGER,
 ZQUALITYMEASURE INTEGER, ZSMILETYPE INTEGER, ZSOURCEHEIGHT INTEGER, ZSOURCEWIDTH INTEGER, ZTRAININGTYPE INTEGER,
 ZVIPMODELTYPE INTEGER, ZASSETFORFACE INTEGER, ZASSETFORTEMPORALDETECTEDFACES INTEGER, ZASSETFORTORSO INTEGER,
 ZFACECROP INTEGER, ZFACEGROUP INTEGER, ZFACEGROUPBEINGKEYFACE INTEGER, ZFACEPRINT INTEGER,
 ZPERSONBEINGKEYFACE INTEGER, ZPERSONFORFACE INTEGER, ZPERSONFORTORSO INTEGER, ZADJUSTMENTVERSION TIMESTAMP,
 ZBLURSCORE FLOAT, ZBODYCENTERX FLOAT, ZBODYCENTERY FLOAT, ZBODYHEIGHT FLOAT, ZBODYWIDTH FLOAT, ZCENTERX FLOAT,
 ZCENTERY FLOAT, ZGAZECENTERX FLOAT, ZGAZECENTERY FLOAT, ZPOSEYAW FLOAT, ZQUALITY FLOAT, ZROLL FLOAT, ZSIZE FLOAT,
 ZGROUPINGIDENTIFIER VARCHAR, ZMASTERIDENTIFIER VARCHAR, ZUUID VARCHAR, ZGAZERECT BLOB );
CREATE INDEX ZDETECTEDFACE_ZASSETFORFACE_INDEX ON ZDETECTEDFACE (ZASSETFORFACE);
CREATE INDEX ZDETECTEDFACE_ZPERSONFORFACE_INDEX ON ZDETECTEDFACE (ZPERSONFORFACE);
CREATE INDEX ZDETECTEDFACE_ZFACEGROUP_INDEX ON ZDETECTEDFACE (ZFACEGROUP);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
"""

#: Places (latitude, longitude, UTC offset in seconds, time-zone name) used by the sample.
LONDON = (51.50135, -0.14189, 0, "GMT")
LONDON_BST = (51.50722, -0.12750, 3600, "GMT+0100")
LAKES = (54.45419, -3.21167, 3600, "GMT+0100")
BARCELONA = (41.40363, 2.17436, 7200, "GMT+0200")
NOWHERE = None


@dataclass(frozen=True)
class Shot:
    """One asset of the sample library."""

    number: int
    ext: str  # HEIC, JPG, PNG, MOV, MP4
    taken: datetime  # UTC
    place: tuple[float, float, int, str] | None = None
    folder: str = "100APPLE"
    favorite: bool = False
    hidden: bool = False
    trashed: bool = False
    albums: tuple[str, ...] = ()
    live: bool = False
    edited: bool = False
    original_gone: bool = False  # the file is not in the backup, its thumbnail is
    row_deleted: bool = False  # the ZASSET row is deleted (carvable), its thumbnail remains
    seconds: int = 0  # videos
    original_name: str | None = None
    portrait: bool = False

    @property
    def filename(self) -> str:
        return f"IMG_{self.number:04d}.{self.ext}"

    @property
    def is_video(self) -> bool:
        return self.ext in ("MOV", "MP4")

    @property
    def size(self) -> tuple[int, int]:
        if self.is_video:
            return (320, 240)
        if self.ext == "PNG":
            return (234, 506)  # a screenshot's shape, scaled down
        return (240, 320) if self.portrait else (320, 240)


#: Named people of the library: (Z_PK, full name, display name, contact link ``ZPERSONURI``).
#: Sam Carter is a contact of the sample's address book.
PEOPLE: tuple[tuple[int, str, str, str | None], ...] = (
    (1, "Anna Berg", "Anna", None),
    (2, "Sam Carter", "Sam", "A1B2C3D4-0000-4000-8000-5A3CA87E0001:ABPerson"),
    (3, "Leo King", "Leo", None),
    (4, "", "", None),  # a face group Photos found but nobody named
)
#: Faces Photos detected: photo number -> (person Z_PK, centre x, centre y, size), as fractions of the picture.
FACES: dict[int, tuple[tuple[int, float, float, float], ...]] = {
    1: ((1, 0.42, 0.55, 0.21),),
    2: ((1, 0.47, 0.52, 0.19),),
    10: ((2, 0.33, 0.48, 0.12),),
    11: ((2, 0.61, 0.50, 0.15),),
    15: ((1, 0.50, 0.50, 0.30),),  # in Recently Deleted: Anna is still shown on it
    16: ((1, 0.70, 0.45, 0.18), (2, 0.30, 0.47, 0.17), (4, 0.88, 0.60, 0.06)),
    17: ((1, 0.52, 0.40, 0.24),),
    25: ((3, 0.45, 0.51, 0.14), (2, 0.71, 0.49, 0.13)),
    27: ((4, 0.25, 0.62, 0.08),),
}
#: Apps that put photos in the library (``ZIMPORTEDBYBUNDLEIDENTIFIER``, ``ZIMPORTEDBYDISPLAYNAME``).
IMPORTERS = {"DSC_0412.JPG": ("com.apple.DocumentsApp", "Files"),
             "IMG-20240315-WA0004.jpg": ("net.whatsapp.WhatsApp", "WhatsApp"),
             "VID-20240403-WA0001.mp4": ("net.whatsapp.WhatsApp", "WhatsApp")}


def _t(month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


HOLIDAY, HIKES = "Barcelona 2024", "Hikes"

SHOTS: tuple[Shot, ...] = (
    Shot(1, "HEIC", _t(1, 6, 11, 2, 14), LONDON, favorite=True),
    Shot(2, "HEIC", _t(1, 6, 11, 3, 40), LONDON),
    Shot(3, "JPG", _t(1, 14, 16, 45, 2), NOWHERE, original_name="DSC_0412.JPG"),
    Shot(4, "PNG", _t(1, 20, 9, 12, 55), NOWHERE),
    Shot(5, "HEIC", _t(2, 3, 14, 30, 21), LONDON, live=True),
    Shot(6, "HEIC", _t(2, 10, 19, 5, 0), NOWHERE, portrait=True),
    Shot(7, "HEIC", _t(2, 17, 12, 0, 33), LONDON, edited=True, favorite=True),
    Shot(8, "MOV", _t(2, 17, 12, 4, 10), LONDON, seconds=3),
    Shot(9, "HEIC", _t(3, 2, 8, 15, 9), NOWHERE),
    Shot(10, "HEIC", _t(3, 9, 10, 41, 27), (*LAKES[:2], 0, "GMT"), albums=(HIKES,)),
    Shot(11, "HEIC", _t(3, 9, 11, 58, 3), (*LAKES[:2], 0, "GMT"), albums=(HIKES,), favorite=True),
    Shot(12, "HEIC", _t(3, 9, 13, 20, 45), (*LAKES[:2], 0, "GMT"), albums=(HIKES,)),
    Shot(13, "JPG", _t(3, 15, 20, 10, 0), NOWHERE, original_name="IMG-20240315-WA0004.jpg"),
    Shot(14, "HEIC", _t(3, 20, 22, 1, 50), NOWHERE, hidden=True),
    Shot(15, "HEIC", _t(3, 28, 7, 30, 0), NOWHERE, trashed=True),
    Shot(16, "HEIC", _t(4, 2, 9, 14, 22), BARCELONA, albums=(HOLIDAY,)),
    Shot(17, "HEIC", _t(4, 2, 10, 2, 5), BARCELONA, albums=(HOLIDAY,), portrait=True),
    Shot(18, "HEIC", _t(4, 2, 12, 45, 41), BARCELONA, albums=(HOLIDAY,), original_gone=True),
    Shot(19, "HEIC", _t(4, 2, 13, 5, 12), BARCELONA, row_deleted=True),
    Shot(20, "MP4", _t(4, 3, 18, 20, 0), BARCELONA, albums=(HOLIDAY,), seconds=2,
         original_name="VID-20240403-WA0001.mp4"),
    Shot(21, "HEIC", _t(4, 3, 19, 40, 18), BARCELONA, albums=(HOLIDAY,)),
    Shot(22, "JPG", _t(4, 4, 10, 11, 11), BARCELONA, albums=(HOLIDAY,)),
    Shot(23, "HEIC", _t(4, 4, 16, 59, 59), BARCELONA, trashed=True),
    Shot(24, "PNG", _t(4, 8, 13, 37, 0), NOWHERE),
    Shot(25, "HEIC", _t(4, 13, 9, 0, 30), LAKES, albums=(HIKES,)),
    Shot(26, "MOV", _t(4, 13, 10, 15, 45), LAKES, albums=(HIKES,), seconds=2),
    Shot(27, "HEIC", _t(4, 20, 17, 25, 8), LONDON_BST, folder="101APPLE"),
    Shot(28, "HEIC", _t(4, 21, 11, 11, 11), LONDON_BST, folder="101APPLE", favorite=True),
    Shot(29, "JPG", _t(4, 25, 15, 0, 0), NOWHERE, folder="101APPLE"),
    Shot(30, "HEIC", _t(4, 28, 8, 45, 3), LONDON_BST, folder="101APPLE"),
    Shot(31, "HEIC", _t(4, 29, 19, 2, 46), LONDON_BST, folder="101APPLE"),
)


def asset_uuid(shot: Shot) -> str:
    """The stable ZUUID of a sample asset."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-photo-{shot.number}")).upper()


# --------------------------------------------------------------------------------------------
# Pixels and containers


def picture(width: int, height: int, seed: int):
    """A deterministic picture: sky gradient, two hills, a sun and the frame number."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    hue = (seed * 47) % 120
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line((0, y, width, y), fill=(int(90 + hue * t), int(150 + 60 * t), int(235 - 80 * t)))
    draw.polygon([(0, height), (width * 2 // 5, height * (45 + seed % 15) // 100), (width * 4 // 5, height)],
                 fill=(50 + seed % 40, 110, 60))
    draw.polygon([(width // 3, height), (width * 3 // 4, height * 55 // 100), (width, height * 7 // 10),
                  (width, height)], fill=(70, 130 + seed % 50, 70))
    r = min(width, height) // 9
    cx, cy = width * (2 + seed % 6) // 10, height // 5
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 215, 80))
    draw.text((6, 6), f"{seed:04d}", fill=(255, 255, 255))
    return img


def _exif(shot: Shot, local: datetime):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 13"  # Model
    exif[0x0131] = "17.4.1"  # Software
    exif[0x0132] = local.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    if shot.place:
        offset = shot.place[2]
        ifd[0x9011] = f"{'+' if offset >= 0 else '-'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    return exif


def encode_image(shot: Shot) -> bytes:
    """The original file of a photo, in its format (HEIC through pillow-heif)."""
    width, height = shot.size
    img = picture(width, height, shot.number)
    offset = shot.place[2] if shot.place else 0
    local = shot.taken + timedelta(seconds=offset)
    out = io.BytesIO()
    if shot.ext == "HEIC":
        from pillow_heif import register_heif_opener

        register_heif_opener()
        img.save(out, "HEIF", quality=60, exif=_exif(shot, local).tobytes(), enc_params={"preset": "ultrafast"})
    elif shot.ext == "JPG":
        img.save(out, "JPEG", quality=85, exif=_exif(shot, local).tobytes())
    else:
        img.save(out, "PNG")
    return out.getvalue()


def jpeg_of(width: int, height: int, seed: int, quality: int = 80) -> bytes:
    """A JPEG picture (thumbnails, edits, video frames)."""
    out = io.BytesIO()
    picture(width, height, seed).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def make_video(seconds: int, width: int, height: int, *, brand: bytes = b"qt  ", seed: str = "",
               created: datetime | None = None, fps: int = 5) -> bytes:
    """A small, valid QuickTime/MP4 movie whose frames are JPEGs (Motion JPEG), built without an encoder."""
    frames = [jpeg_of(width, height, (sum(seed.encode()) + i) % 997, quality=60) for i in range(seconds * fps)]
    timescale = 600
    delta = timescale // fps
    duration = delta * len(frames)
    when = int((created or SAMPLE_NOW).timestamp()) + MAC_EPOCH_OFFSET
    compatible = [brand, b"qt  "] if brand == b"qt  " else [brand, b"isom", b"mp41"]
    ftyp = _box(b"ftyp", brand, struct.pack(">I", 0), *compatible)
    mdat = _box(b"mdat", *frames)
    first = len(ftyp) + 8
    entry = _box(b"jpeg", bytes(6), struct.pack(">H", 1), struct.pack(">HH4sII", 0, 0, b"appl", 0, 512),
                 struct.pack(">HHIIIH", width, height, 72 << 16, 72 << 16, 0, 1),
                 bytes([12]) + b"Photo - JPEG" + bytes(19), struct.pack(">hh", 24, -1))
    stbl = _box(
        b"stbl",
        _full(b"stsd", 0, 0, struct.pack(">I", 1), entry),
        _full(b"stts", 0, 0, struct.pack(">III", 1, len(frames), delta)),
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(frames), 1)),
        _full(b"stsz", 0, 0, struct.pack(">II", 0, len(frames)), *(struct.pack(">I", len(f)) for f in frames)),
        _full(b"stco", 0, 0, struct.pack(">II", 1, first)),
    )
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = _box(b"minf", _full(b"vmhd", 0, 1, struct.pack(">HHHH", 0, 0, 0, 0)), dinf, stbl)
    mdia = _box(
        b"mdia",
        _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", when, when, timescale, duration, 0x55C4, 0)),
        _full(b"hdlr", 0, 0, struct.pack(">I4s12s", 0, b"vide", bytes(12)), b"Core Media Video\x00"),
        minf,
    )
    tkhd = _full(b"tkhd", 0, 3, struct.pack(">IIIII", when, when, 1, 0, duration), bytes(8),
                 struct.pack(">hhhh", 0, 0, 0, 0), _MATRIX, struct.pack(">II", width << 16, height << 16))
    mvhd = _full(b"mvhd", 0, 0, struct.pack(">IIII", when, when, timescale, duration),
                 struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24), struct.pack(">I", 2))
    moov = _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))
    return ftyp + mdat + moov


# --------------------------------------------------------------------------------------------
# The library


def _apple(dt: datetime | None) -> float | None:
    return None if dt is None else dt.timestamp() - APPLE_EPOCH_UNIX


_UTI = {"HEIC": "public.heic", "JPG": "public.jpeg", "PNG": "public.png", "MOV": "com.apple.quicktime-movie",
        "MP4": "public.mpeg-4"}


def _photos_db(ctx: SampleContext) -> bytes:
    path = ctx.scratch_path("photos/Photos.sqlite")
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA auto_vacuum=2")
    conn.execute("PRAGMA secure_delete=0")
    conn.executescript(SCHEMA)
    albums = {HOLIDAY: 30, HIKES: 31}
    for title, pk in albums.items():
        members = [s for s in SHOTS if title in s.albums]
        conn.execute(
            "INSERT INTO ZGENERICALBUM (Z_PK, Z_ENT, Z_OPT, ZCACHEDCOUNT, ZCACHEDPHOTOSCOUNT, ZCACHEDVIDEOSCOUNT,"
            " ZKIND, ZTRASHEDSTATE, ZISOWNED, ZCREATIONDATE, ZSTARTDATE, ZENDDATE, ZTITLE, ZUUID, ZPARENTFOLDER)"
            " VALUES (?,29,4,?,?,?,2,0,1,?,?,?,?,?,2)",
            (pk, len(members), sum(not s.is_video for s in members), sum(s.is_video for s in members),
             _apple(members[0].taken), _apple(members[0].taken), _apple(members[-1].taken), title,
             str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-album-{title}")).upper()),
        )
    conn.execute("INSERT INTO ZGENERICALBUM (Z_PK, Z_ENT, Z_OPT, ZKIND, ZTRASHEDSTATE, ZTITLE, ZUUID)"
                 " VALUES (2, 28, 1, 3999, 0, NULL, 'ROOTFOLDER-UUID')")
    for pk, full, display, uri in PEOPLE:
        count = sum(1 for faces in FACES.values() for f in faces if f[0] == pk)
        conn.execute(
            "INSERT INTO ZPERSON (Z_PK, Z_ENT, Z_OPT, ZFULLNAME, ZDISPLAYNAME, ZPERSONURI, ZPERSONUUID, ZFACECOUNT,"
            " ZVERIFIEDTYPE, ZTYPE, ZDETECTIONTYPE, ZMANUALORDER, ZCLOUDLOCALSTATE)"
            " VALUES (?,50,3,?,?,?,?,?,?,?,1,?,0)",
            (pk, full, display, uri, str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-person-{pk}")).upper(),
             count, int(bool(full)), 1 if full else 0, pk if full else 0),
        )
    face_pk = 0
    deleted_pk = None
    for pk, shot in enumerate(SHOTS, 1):
        width, height = shot.size
        kind = 1 if shot.is_video else 0
        subtype = 2 if shot.live else (10 if shot.ext == "PNG" else 0)
        lat, lon = (shot.place[0], shot.place[1]) if shot.place else (-180.0, -180.0)
        trashed_date = shot.taken + timedelta(days=20) if shot.trashed else None
        conn.execute(
            "INSERT INTO ZASSET (Z_PK, Z_ENT, Z_OPT, ZKIND, ZKINDSUBTYPE, ZWIDTH, ZHEIGHT, ZDURATION, ZFAVORITE,"
            " ZHIDDEN, ZTRASHEDSTATE, ZTRASHEDDATE, ZHASADJUSTMENTS, ZADJUSTMENTTIMESTAMP, ZDATECREATED, ZADDEDDATE,"
            " ZMODIFICATIONDATE, ZLATITUDE, ZLONGITUDE, ZDIRECTORY, ZFILENAME, ZUUID, ZMEDIAGROUPUUID,"
            " ZUNIFORMTYPEIDENTIFIER, ZADDITIONALATTRIBUTES, ZEXTENDEDATTRIBUTES, ZSAVEDASSETTYPE, ZVISIBILITYSTATE,"
            " ZCOMPLETE, ZORIENTATION, ZBUNDLESCOPE, ZCLOUDLOCALSTATE, ZISDETECTEDSCREENSHOT, ZPLAYBACKSTYLE,"
            " ZSORTTOKEN) VALUES (?,3,7,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,3,0,1,1,0,0,?,?,?)",
            (pk, kind, subtype, width, height, float(shot.seconds), int(shot.favorite), int(shot.hidden),
             int(shot.trashed), _apple(trashed_date), int(shot.edited),
             _apple(shot.taken + timedelta(hours=2)) if shot.edited else None, _apple(shot.taken),
             _apple(shot.taken + timedelta(seconds=5)), _apple(shot.taken + timedelta(hours=2 if shot.edited else 0)),
             lat, lon, f"DCIM/{shot.folder}", shot.filename, asset_uuid(shot),
             str(uuid.uuid5(uuid.NAMESPACE_URL, f"live-{shot.number}")).upper() if shot.live else None,
             _UTI[shot.ext], pk, pk, int(shot.ext == "PNG"), 4 if shot.is_video else (3 if shot.live else 1),
             _apple(shot.taken)),
        )
        offset, zone = (shot.place[2], shot.place[3]) if shot.place else (0, "GMT")
        local = shot.taken + timedelta(seconds=offset)
        conn.execute(
            "INSERT INTO ZADDITIONALASSETATTRIBUTES (Z_PK, Z_ENT, Z_OPT, ZASSET, ZORIGINALFILENAME, ZTIMEZONEOFFSET,"
            " ZTIMEZONENAME, ZEXIFTIMESTAMPSTRING, ZORIGINALWIDTH, ZORIGINALHEIGHT, ZORIGINALFILESIZE,"
            " ZIMPORTEDBY, ZCAMERACAPTUREDEVICE, ZGPSHORIZONTALACCURACY, ZVIEWCOUNT, ZPLAYCOUNT, ZSHARECOUNT,"
            " ZIMPORTEDBYBUNDLEIDENTIFIER, ZIMPORTEDBYDISPLAYNAME, ZFACEANALYSISVERSION)"
            " VALUES (?,1,3,?,?,?,?,?,?,?,0,?,0,?,?,0,0,?,?,?)",
            (pk, pk, shot.original_name or shot.filename, offset, zone, local.strftime("%Y:%m:%d %H:%M:%S"),
             width, height, 3 if shot.original_name else (0 if shot.ext == "PNG" else 1),  # screenshots: 0
             4.7 if shot.place else None, pk % 4,
             *IMPORTERS.get(shot.original_name or "", (None, None)), None if shot.is_video else 15),
        )
        for person, x, y, size in FACES.get(shot.number, ()):
            face_pk += 1
            conn.execute(
                "INSERT INTO ZDETECTEDFACE (Z_PK, Z_ENT, Z_OPT, ZASSETFORFACE, ZPERSONFORFACE, ZCENTERX, ZCENTERY,"
                " ZSIZE, ZSOURCEWIDTH, ZSOURCEHEIGHT, ZMANUAL, ZHIDDEN, ZISINTRASH, ZASSETVISIBLE, ZNAMESOURCE,"
                " ZDETECTIONTYPE, ZQUALITYMEASURE, ZUUID) VALUES (?,16,2,?,?,?,?,?,?,?,0,0,?,1,?,1,?,?)",
                (face_pk, pk, person, x, y, size, width, height, int(shot.trashed), 1 if PEOPLE[person - 1][1] else 0,
                 800 + face_pk, str(uuid.uuid5(uuid.NAMESPACE_URL, f"reclaim-sample-face-{face_pk}")).upper()),
            )
        conn.execute(
            "INSERT INTO ZEXTENDEDATTRIBUTES (Z_PK, Z_ENT, Z_OPT, ZASSET, ZCAMERAMAKE, ZCAMERAMODEL, ZLENSMODEL,"
            " ZLATITUDE, ZLONGITUDE, ZISO, ZAPERTURE, ZFOCALLENGTH) VALUES (?,2,1,?,?,?,?,?,?,?,?,?)",
            (pk, pk, None if shot.original_name else "Apple", None if shot.original_name else "iPhone 13",
             None if shot.original_name else "iPhone 13 back dual wide camera 5.1mm f/1.6",
             shot.place[0] if shot.place else None, shot.place[1] if shot.place else None, 50 + pk, 1.6, 5.1),
        )
        for title in shot.albums:
            conn.execute("INSERT INTO Z_28ASSETS VALUES (?,?,?)", (albums[title], pk, 1024 * pk))
        if shot.row_deleted:
            deleted_pk = pk
    for ent, name, maximum in ((3, "Asset", len(SHOTS)), (1, "AdditionalAssetAttributes", len(SHOTS)),
                               (2, "ExtendedAttributes", len(SHOTS)), (28, "GenericAlbum", 31),
                               (16, "DetectedFace", face_pk), (50, "Person", len(PEOPLE))):
        conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (?,?,0,?)", (ent, name, maximum))
    conn.execute("INSERT INTO Z_METADATA VALUES (1, '3C0F2B9E-7A54-4B0D-8E2A-51D6C8F3A912', NULL)")
    conn.commit()
    # An asset the owner deleted for good ("Delete from Recently Deleted"): its row goes, its bytes stay.
    if deleted_pk is not None:
        conn.execute("DELETE FROM ZADDITIONALASSETATTRIBUTES WHERE ZASSET = ?", (deleted_pk,))
        conn.execute("DELETE FROM ZEXTENDEDATTRIBUTES WHERE ZASSET = ?", (deleted_pk,))
        conn.execute("DELETE FROM ZASSET WHERE Z_PK = ?", (deleted_pk,))
        conn.commit()
    conn.close()
    return path.read_bytes()


def _adjustments_plist(shot: Shot) -> bytes:
    return plistlib.dumps({
        "adjustmentFormatIdentifier": "com.apple.photo",
        "adjustmentFormatVersion": "1.5",
        "adjustmentTimestamp": (shot.taken + timedelta(hours=2)).replace(tzinfo=None),  # plist dates are UTC
        "adjustmentRenderTypes": 0,
        "adjustmentEditorBundleID": "com.apple.mobileslideshow",
    }, fmt=plistlib.FMT_BINARY)


def files(ctx: SampleContext) -> Iterator[SampleFile]:
    """Photos.sqlite, the originals, one edit, the thumbnails and the Live Photo's video."""
    yield SampleFile(DOMAIN, "Media/PhotoData/Photos.sqlite", _photos_db(ctx))
    for shot in SHOTS:
        folder = f"Media/DCIM/{shot.folder}"
        width, height = shot.size
        mtime = shot.taken + timedelta(seconds=5)
        if not (shot.original_gone or shot.row_deleted):
            if shot.is_video:
                data = make_video(shot.seconds, width, height, brand=b"qt  " if shot.ext == "MOV" else b"mp42",
                                  seed=shot.filename, created=shot.taken)
            else:
                data = encode_image(shot)
            yield SampleFile(DOMAIN, f"{folder}/{shot.filename}", data, mtime=mtime)
        if shot.live:
            video = make_video(2, width, height, seed=f"live-{shot.number}", created=shot.taken)
            yield SampleFile(DOMAIN, f"{folder}/IMG_{shot.number:04d}.MOV", video, mtime=mtime)
        if shot.edited:
            stem = f"Media/PhotoData/Mutations/DCIM/{shot.folder}/IMG_{shot.number:04d}/Adjustments"
            yield SampleFile(DOMAIN, f"{stem}/FullSizeRender.jpg", jpeg_of(width, height, 900 + shot.number),
                             mtime=mtime + timedelta(hours=2))
            yield SampleFile(DOMAIN, f"{stem}/Adjustments.plist", _adjustments_plist(shot),
                             mtime=mtime + timedelta(hours=2))
        thumb = f"Media/PhotoData/Thumbnails/V2/DCIM/{shot.folder}/{shot.filename}/5005.JPG"
        yield SampleFile(DOMAIN, thumb, jpeg_of(width // 2, height // 2, shot.number, quality=70), mtime=mtime)
