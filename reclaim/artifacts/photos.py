"""Photos and videos: the camera roll with what Photos.sqlite knows about each item.

The originals are in ``CameraRollDomain`` ``Media/DCIM/1xxAPPLE/``; edits in
``Media/PhotoData/Mutations/DCIM/1xxAPPLE/IMG_x/Adjustments/FullSizeRender.*``; a
Live Photo's video is the ``.MOV`` of the same name beside it; thumbnails in
``Media/PhotoData/Thumbnails/V2/DCIM/1xxAPPLE/IMG_x.HEIC/*.JPG``.
``Media/PhotoData/Photos.sqlite`` adds the capture date, place, albums,
favourite/hidden flags and "Recently Deleted" (``ZTRASHEDSTATE``). iOS 14 and
later call the asset table ``ZASSET``, older releases ``ZGENERICASSET``; the
album↔asset join table is renumbered by almost every release (``Z_26ASSETS``,
``Z_28ASSETS``, …), so it is found by the shape of its columns.

What reclaim adds beyond a plain list: items in "Recently Deleted"
(``deleted=True``, ``Provenance(area="app")``), asset rows deleted for good and
carved back from the database, and pictures whose original is gone but whose
thumbnail survived (stored with ``role="thumbnail"``). Files in DCIM that the
database does not list are kept too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reclaim.artifacts.base import (
    NUMBERS,
    Artifact,
    FileSpec,
    MediaRef,
    Provenance,
    Record,
    from_apple_time,
    from_unix_time,
)
from reclaim.case.context import Database, ScanContext
from reclaim.vfs import Entry

DOMAIN = "CameraRollDomain"
PHOTOS_DB = "Media/PhotoData/Photos.sqlite"
DCIM = "Media/DCIM"
THUMBS_V2 = "Media/PhotoData/Thumbnails/V2"
MUTATIONS = "Media/PhotoData/Mutations"

PHOTO_EXTS = {"heic", "heif", "jpg", "jpeg", "png", "gif", "tif", "tiff", "dng", "webp", "bmp"}
VIDEO_EXTS = {"mov", "mp4", "m4v", "3gp", "avi"}
_JOIN_ALBUMS = re.compile(r"^Z_\d+ALBUMS$")
_JOIN_ASSETS = re.compile(r"^Z_\d+ASSETS$")
#: ZGENERICALBUM.ZKIND values that are albums a person made (2) or shared albums (1505).
USER_ALBUM_KINDS = (2, 1505)
#: ZADDITIONALASSETATTRIBUTES.ZIMPORTEDBY values whose meaning public research agrees on
#: (used when the importing app's name and bundle id are not recorded).
IMPORTED_BY = {1: "Camera (back)", 2: "Camera (front)", 3: "another app", 5: "Photo Booth", 6: "another app"}
#: ZDETECTEDFACE's links to its asset and person: iOS 17 renamed them (…FORFACE); iOS 11–16 use the plain names.
FACE_ASSET_COLUMNS = ("ZASSETFORFACE", "ZASSET")
FACE_PERSON_COLUMNS = ("ZPERSONFORFACE", "ZPERSON")
#: ZADDITIONALASSETATTRIBUTES columns read with each asset (any may be missing in a release).
ATTRIBUTE_COLUMNS = ("ZORIGINALFILENAME", "ZTIMEZONEOFFSET", "ZEXIFTIMESTAMPSTRING", "ZIMPORTEDBYDISPLAYNAME",
                     "ZIMPORTEDBYBUNDLEIDENTIFIER", "ZIMPORTEDBY")
_HEIF_MIMES = {"image/heic", "image/heif"}


@dataclass(kw_only=True)
class Photo(Record):
    """One photo or video of the camera roll (``date`` is the capture time, UTC)."""

    KIND = "photos"

    filename: str = ""
    original_filename: str = ""
    directory: str = ""
    taken: datetime | None = None
    timezone_offset: int | None = None  # seconds east of UTC at capture
    latitude: float | None = None
    longitude: float | None = None
    favorite: bool = False
    hidden: bool = False
    trashed_date: datetime | None = None  # moved to "Recently Deleted"
    albums: list[str] = field(default_factory=list)
    media_type: str = "photo"  # photo | video | live ("kind" is the record kind, "photos")
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    edited: bool = False
    media: MediaRef | None = None
    edited_media: MediaRef | None = None
    live_video: MediaRef | None = None
    thumbnail: MediaRef | None = None  # only when the original is missing
    uuid: str = ""
    in_library: bool = True  # listed in Photos.sqlite
    people: list[str] = field(default_factory=list)  # named people whose faces Photos found, left to right
    faces: list[dict[str, Any]] = field(default_factory=list)  # {"name", "x", "y", "size"}, named or not
    imported_by: str = ""  # the app or camera that put it in the library, when Photos recorded it
    note: str = ""

    def record_label(self) -> str:
        return self.original_filename or self.filename

    def search_text(self) -> str:
        parts = (self.filename, self.original_filename, *self.albums, *self.people, self.imported_by)
        return "\n".join(p for p in dict.fromkeys(parts) if p)  # each once: the names are often the same


def heic_preview(path: Path) -> tuple[bytes, str] | None:
    """A JPEG copy of a HEIC/HEIF image for browsers and people without a HEIC viewer."""
    from reclaim.media.images import to_jpeg

    return to_jpeg(path), "image/jpeg"


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _kind_of(name: str) -> str:
    return "video" if _ext(name) in VIDEO_EXTS else "photo"


class PhotosArtifact(Artifact):
    """Every photo and video of the camera roll, with metadata, edits, Live Photo videos and deleted items."""

    kind = "photos"
    title = "Photos and videos"
    record = Photo
    files = (FileSpec(DOMAIN, PHOTOS_DB), FileSpec(DOMAIN, f"{DCIM}/*", required=False))
    view = "gallery"
    formats = ("media",)

    def extract(self, ctx: ScanContext) -> Iterator[Photo]:
        index = _FileIndex.build(ctx)
        claimed: set[str] = set()  # DCIM paths the database accounts for
        entry = ctx.get(DOMAIN, PHOTOS_DB)
        if entry is not None and entry.is_file:
            with ctx.database(entry) as db:
                reader = _LibraryReader(ctx, db, index, claimed)
                if reader.table:
                    yield from reader.live()
                    if ctx.options.recover_deleted:
                        yield from reader.carved()
                else:
                    ctx.warn(f"{db.source}: no asset table (unknown Photos.sqlite version)")
        yield from _unlisted_files(ctx, index, claimed)
        yield from _orphan_thumbnails(ctx, index, claimed)


@dataclass
class _FileIndex:
    """The camera-roll files, looked up by path (one pass over the source's entries)."""

    dcim: dict[str, Entry] = field(default_factory=dict)  # lower-case path -> entry
    thumbs: dict[str, list[Entry]] = field(default_factory=dict)  # lower-case "DCIM/100APPLE/IMG_1.HEIC" -> JPEGs
    mutations: dict[str, list[Entry]] = field(default_factory=dict)  # lower-case "DCIM/100APPLE/IMG_1" -> renders

    @classmethod
    def build(cls, ctx: ScanContext) -> _FileIndex:
        index = cls()
        for entry in ctx.fs.files(DOMAIN, "Media/*"):
            path = entry.path
            if path.startswith(f"{DCIM}/"):
                index.dcim[path.lower()] = entry
            elif path.startswith(f"{THUMBS_V2}/"):
                parent = path[len(THUMBS_V2) + 1:].rsplit("/", 1)[0]
                if _ext(entry.name) in ("jpg", "jpeg", "heic"):
                    index.thumbs.setdefault(parent.lower(), []).append(entry)
            elif path.startswith(f"{MUTATIONS}/") and "/Adjustments/FullSizeRender" in path:
                stem = path[len(MUTATIONS) + 1:].split("/Adjustments/", 1)[0]
                index.mutations.setdefault(stem.lower(), []).append(entry)
        return index

    def original(self, directory: str, filename: str) -> Entry | None:
        return self.dcim.get(f"Media/{directory}/{filename}".lower())

    def thumbnail(self, directory: str, filename: str) -> Entry | None:
        """The largest thumbnail iOS kept for a file (``5005.JPG`` is the biggest of the V2 set)."""
        found = self.thumbs.get(f"{directory}/{filename}".lower())
        return max(found, key=lambda e: e.size) if found else None

    def render(self, directory: str, filename: str) -> Entry | None:
        found = self.mutations.get(f"{directory}/{filename.rsplit('.', 1)[0]}".lower())
        return max(found, key=lambda e: e.size) if found else None

    def live_video(self, directory: str, filename: str) -> Entry | None:
        stem = filename.rsplit(".", 1)[0]
        for ext in ("MOV", "mov"):
            found = self.original(directory, f"{stem}.{ext}")
            if found is not None:
                return found
        return None


class _LibraryReader:
    """Turns one Photos.sqlite (any release from iOS 11 on) into records."""

    def __init__(self, ctx: ScanContext, db: Database, index: _FileIndex, claimed: set[str]) -> None:
        self.ctx = ctx
        self.db = db
        self.index = index
        self.claimed = claimed
        self.table = next((t for t in ("ZASSET", "ZGENERICASSET") if db.has(t, "ZFILENAME")), "")
        self.albums = self._albums() if self.table else {}
        self.faces = self._faces() if self.table else {}
        self.live_pks: set[int] = set()
        self.live_uuids: set[str] = set()

    def _albums(self) -> dict[int, list[str]]:
        """Asset primary key -> titles of the user albums it is in."""
        db = self.db
        if not db.has("ZGENERICALBUM", "ZTITLE"):
            return {}
        join = None
        for table in sorted(db.tables()):
            if not _JOIN_ASSETS.match(table):
                continue
            cols = db.columns(table)
            album_col = next((c for c in cols if _JOIN_ALBUMS.match(c)), None)
            asset_col = next((c for c in cols if _JOIN_ASSETS.match(c)), None)
            if album_col and asset_col:
                join = (table, album_col, asset_col)
                break
        if join is None:
            return {}
        table, album_col, asset_col = join
        kinds = ",".join(str(k) for k in USER_ALBUM_KINDS)
        trashed = "AND coalesce(g.ZTRASHEDSTATE, 0) = 0" if db.has("ZGENERICALBUM", "ZTRASHEDSTATE") else ""
        out: dict[int, list[str]] = {}
        for row in db.rows(
            f'SELECT j."{asset_col}", g.ZTITLE FROM "{table}" j JOIN ZGENERICALBUM g ON g.Z_PK = j."{album_col}"'
            f" WHERE g.ZKIND IN ({kinds}) AND g.ZTITLE IS NOT NULL {trashed} ORDER BY g.ZTITLE"
        ):
            titles = out.setdefault(row[0], [])
            if row[1] not in titles:
                titles.append(row[1])
        return out

    def _faces(self) -> dict[int, list[tuple[Any, ...]]]:
        """Asset primary key -> the faces Photos detected in it, left to right, with their person's name.

        Named people are ``ZPERSON`` rows with a ``ZFULLNAME`` (else ``ZDISPLAYNAME``); a person
        merged into another one (``ZMERGETARGETPERSON``) takes the target's name when it has none.
        """
        db, face = self.db, "ZDETECTEDFACE"
        asset_col = next((c for c in FACE_ASSET_COLUMNS if db.has(face, c)), None)
        if asset_col is None:
            return {}
        person_col = next((c for c in FACE_PERSON_COLUMNS if db.has(face, c)), None)
        name = "NULL"
        join = ""
        if person_col and db.has("ZPERSON"):
            own = [f"nullif(p.{c}, '')" for c in ("ZFULLNAME", "ZDISPLAYNAME") if db.has("ZPERSON", c)]
            if own and db.has("ZPERSON", "ZMERGETARGETPERSON"):
                own += [f"nullif(t.{c}, '')" for c in ("ZFULLNAME", "ZDISPLAYNAME") if db.has("ZPERSON", c)]
                join = " LEFT JOIN ZPERSON t ON t.Z_PK = p.ZMERGETARGETPERSON"
            if own:
                name = f"coalesce({', '.join(own)})" if len(own) > 1 else own[0]
                join = f" LEFT JOIN ZPERSON p ON p.Z_PK = f.{person_col}" + join
        cols = ", ".join(f"f.{c}" if db.has(face, c) else "NULL" for c in ("ZCENTERX", "ZCENTERY", "ZSIZE"))
        out: dict[int, list[tuple[Any, ...]]] = {}  # pk -> (name, x, y, size): tuples, a dict each costs more
        across = "f.ZCENTERX, " if db.has(face, "ZCENTERX") else ""
        for row in db.rows(f"SELECT f.{asset_col}, {name}, {cols} FROM {face} f{join}"
                           f" WHERE f.{asset_col} IS NOT NULL ORDER BY f.{asset_col}, {across}f.Z_PK"):
            out.setdefault(row[0], []).append(tuple(row)[1:])
        return out

    def _select(self) -> str:
        db, a = self.db, self.table
        asset_cols = ["ZDIRECTORY", "ZFILENAME", "ZDATECREATED", "ZLATITUDE", "ZLONGITUDE", "ZFAVORITE", "ZHIDDEN",
                      "ZTRASHEDSTATE", "ZTRASHEDDATE", "ZKIND", "ZKINDSUBTYPE", "ZDURATION", "ZWIDTH", "ZHEIGHT",
                      "ZHASADJUSTMENTS", "ZUUID", "ZMEDIAGROUPUUID"]
        cols = [f'"{a}".Z_PK AS Z_PK'] + [db.col(a, c) for c in asset_cols]
        attrs = "ZADDITIONALASSETATTRIBUTES"
        join = ""
        if db.has(attrs):
            if db.has(a, "ZADDITIONALATTRIBUTES"):
                join = f'LEFT JOIN {attrs} ON {attrs}.Z_PK = "{a}".ZADDITIONALATTRIBUTES'
            elif db.has(attrs, "ZASSET"):
                join = f'LEFT JOIN {attrs} ON {attrs}.ZASSET = "{a}".Z_PK'
        for c in ATTRIBUTE_COLUMNS:
            cols.append(db.col(attrs, c) if join else f'NULL AS "{c}"')
        return f'SELECT {", ".join(cols)} FROM "{a}" {join} ORDER BY "{a}".ZDATECREATED, "{a}".Z_PK'

    def live(self) -> Iterator[Photo]:
        cursor = self.db.conn.execute(self._select())
        cursor.row_factory = None  # tuples zipped with the names: a dict of a Row costs more than the record
        names = [d[0] for d in cursor.description]
        while batch := cursor.fetchmany(1000):
            for row in batch:
                values = dict(zip(names, row, strict=True))
                pk = values["Z_PK"]
                self.live_pks.add(pk)
                if values["ZUUID"]:
                    self.live_uuids.add(values["ZUUID"])
                photo = self._record(values, pk)
                if photo is not None:
                    yield photo

    def carved(self) -> Iterator[Photo]:
        """Asset rows deleted from the database whose bytes are still in it (rowid or UUID not live)."""
        seen: set[str] = set()
        for carved in self.db.carve(tables=[self.table]):
            values = dict(carved.values)
            pk = carved.rowid if carved.rowid is not None else values.get("Z_PK")
            uuid = _str(values.get("ZUUID"))
            if (isinstance(pk, int) and pk in self.live_pks) or (uuid and uuid in self.live_uuids):
                continue
            if not isinstance(values.get("ZFILENAME"), str) or not isinstance(values.get("ZDIRECTORY"), str):
                continue
            key = uuid or f"{values['ZDIRECTORY']}/{values['ZFILENAME']}"
            if key in seen:
                continue
            seen.add(key)
            values.update(self._live_attributes(values.get("ZADDITIONALATTRIBUTES")))
            ident = str(pk) if isinstance(pk, int) else uuid or f"{carved.area}:{carved.page}:{carved.offset}"
            photo = self._record(values, pk if isinstance(pk, int) else -1, ident=f"photos:deleted:{ident}")
            if photo is None:
                continue
            photo.deleted = True
            photo.provenance = Provenance.of(carved)
            photo.note = "deleted from the library; its row was recovered from Photos.sqlite"
            yield photo

    def _live_attributes(self, pk: Any) -> dict[str, Any]:
        """The still-present ZADDITIONALASSETATTRIBUTES row of a deleted asset (original name, time zone)."""
        table = "ZADDITIONALASSETATTRIBUTES"
        if not isinstance(pk, int) or not self.db.has(table):
            return {}
        cols = ", ".join(self.db.col(table, c) for c in ATTRIBUTE_COLUMNS)
        for row in self.db.rows(f"SELECT {cols} FROM {table} WHERE Z_PK = ?", (pk,)):
            return {k: v for k, v in zip(row.keys(), row, strict=True) if v is not None}
        return {}

    def _record(self, row: Mapping[str, Any], pk: int, ident: str = "") -> Photo | None:
        filename, directory = row.get("ZFILENAME"), row.get("ZDIRECTORY")
        if not isinstance(filename, str) or not filename:
            return None
        directory = directory if isinstance(directory, str) else ""
        taken = _number(row.get("ZDATECREATED"))
        lat, lon = _number(row.get("ZLATITUDE")), _number(row.get("ZLONGITUDE"))
        if lat is None or lon is None or lat == -180.0 or lon == -180.0 or (lat == 0.0 and lon == 0.0):
            lat = lon = None
        kind = "video" if row.get("ZKIND") == 1 else "live" if row.get("ZKINDSUBTYPE") == 2 else "photo"
        trashed = row.get("ZTRASHEDSTATE") == 1
        when = from_apple_time(taken)
        photo = Photo(
            id=ident or f"photos:{pk}",
            source=self.db.source,
            date=when,
            taken=when,
            filename=filename,
            directory=directory,
            original_filename=_str(row.get("ZORIGINALFILENAME")) or filename,
            timezone_offset=_int(row.get("ZTIMEZONEOFFSET")),
            latitude=lat,
            longitude=lon,
            favorite=bool(row.get("ZFAVORITE")),
            hidden=bool(row.get("ZHIDDEN")),
            trashed_date=from_apple_time(_number(row.get("ZTRASHEDDATE"))) if trashed else None,
            albums=list(self.albums.get(pk, [])) if not ident else [],
            media_type=kind,
            duration=_number(row.get("ZDURATION")) if kind == "video" else None,
            width=_int(row.get("ZWIDTH")),
            height=_int(row.get("ZHEIGHT")),
            edited=bool(row.get("ZHASADJUSTMENTS")),
            uuid=_str(row.get("ZUUID")),
            imported_by=(_str(row.get("ZIMPORTEDBYDISPLAYNAME")) or _str(row.get("ZIMPORTEDBYBUNDLEIDENTIFIER"))
                         or IMPORTED_BY.get(_int(row.get("ZIMPORTEDBY")) or 0, "")),
        )
        faces = self.faces.get(pk, [])  # a deleted asset keeps the faces still pointing at its key
        if faces:
            photo.faces = [{"name": _str(name), "x": _number(x), "y": _number(y), "size": _number(size)}
                           for name, x, y, size in faces]
            photo.people = list(dict.fromkeys(f["name"] for f in photo.faces if f["name"]))
        if trashed:
            photo.deleted = True
            photo.provenance = Provenance(area="app")
            photo.note = "in Recently Deleted"
        _attach_files(self.ctx, self.index, self.claimed, photo)
        return photo


def _attach_files(ctx: ScanContext, index: _FileIndex, claimed: set[str], photo: Photo) -> None:
    """Store the original (with a JPEG beside a HEIC), the edit, the Live Photo video or the thumbnail."""
    directory, filename = photo.directory, photo.filename
    origin = f"{DOMAIN}/Media/{directory}/{filename}"
    original = index.original(directory, filename)
    if original is not None:
        claimed.add(original.path.lower())
    photo.media = _store(ctx, original, photo.original_filename or filename, "original", origin)
    if photo.media.missing:
        thumb = index.thumbnail(directory, filename)
        if thumb is not None:
            claimed.add(thumb.path.lower())
            photo.thumbnail = ctx.media(thumb, name=f"{filename.rsplit('.', 1)[0]} (thumbnail).jpg",
                                        role="thumbnail")
        if not photo.note:
            photo.note = ("original not in this source (with iCloud Photos' Optimise Storage it stays in iCloud)"
                          if photo.in_library and not photo.deleted else "original file gone")
    render = index.render(directory, filename)
    if render is not None:
        photo.edited = True
        photo.edited_media = _store(ctx, render, f"{filename.rsplit('.', 1)[0]} (edited).{_ext(render.name)}",
                                    "edited")
    if photo.media_type == "live":
        video = index.live_video(directory, filename)
        if video is not None:
            claimed.add(video.path.lower())
            photo.live_video = ctx.media(video, name=f"{filename.rsplit('.', 1)[0]}.MOV", role="live")


def _store(ctx: ScanContext, entry: Entry | None, name: str, role: str, origin: str = "") -> MediaRef:
    heif = entry is not None and _ext(entry.name) in ("heic", "heif")
    return ctx.media(entry, name=name, role=role, origin=origin, preview=heic_preview if heif else None)


def _unlisted_files(ctx: ScanContext, index: _FileIndex, claimed: set[str]) -> Iterator[Photo]:
    """Photos and videos in DCIM that the database does not list (or that have no database at all)."""
    for key, entry in sorted(index.dcim.items()):
        ext = _ext(entry.name)
        if key in claimed or (ext not in PHOTO_EXTS and ext not in VIDEO_EXTS):
            continue
        directory = entry.path[len("Media/"):].rsplit("/", 1)[0]
        when = from_unix_time(entry.mtime)
        photo = Photo(
            id=f"photos:file:{entry.path}",
            source=f"{entry.domain}/{entry.path}",
            date=when,
            taken=when,
            filename=entry.name,
            original_filename=entry.name,
            directory=directory,
            media_type=_kind_of(entry.name),
            in_library=False,
            note="not listed in Photos.sqlite; date is the file's modification time",
        )
        claimed.add(key)
        _attach_files(ctx, index, claimed, photo)
        yield photo


def _orphan_thumbnails(ctx: ScanContext, index: _FileIndex, claimed: set[str]) -> Iterator[Photo]:
    """Thumbnails of pictures that are gone from both the library and DCIM: all that is left of them."""
    for key, entries in sorted(index.thumbs.items()):
        if f"media/{key}" in claimed or any(e.path.lower() in claimed for e in entries):
            continue
        thumb = max(entries, key=lambda e: e.size)
        real = thumb.path[len(THUMBS_V2) + 1:].rsplit("/", 1)[0]
        directory, _, filename = real.rpartition("/")
        when = from_unix_time(thumb.mtime)
        yield Photo(
            id=f"photos:thumbnail:{real}",
            source=f"{thumb.domain}/{thumb.path}",
            date=when,
            taken=when,
            filename=filename,
            original_filename=filename,
            directory=directory,
            media_type=_kind_of(filename),
            in_library=False,
            deleted=True,
            provenance=Provenance(area="thumbnail"),
            media=MediaRef(name=filename, origin=f"{DOMAIN}/Media/{real}", missing=True, role="original"),
            thumbnail=ctx.media(thumb, name=f"{filename.rsplit('.', 1)[0]} (thumbnail).jpg", role="thumbnail"),
            note="deleted: only the thumbnail is left; date is the thumbnail's modification time",
        )


def _number(value: Any) -> float | None:
    return float(value) if type(value) in NUMBERS else None


def _int(value: Any) -> int | None:
    return int(value) if type(value) in NUMBERS else None


def _str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""
