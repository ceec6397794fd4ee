"""``reclaim icloud download`` against recorded iCloud answers, through pyicloud's real Photos client.

pyicloud's ``PhotosService`` runs unmodified on a ``requests`` session whose transport
answers from the sanitised CloudKit responses in the corpus (icloud-responses/, from
pyicloud's own test fixtures); the few answers the corpus lacks (indexing finished, the
count lookup, the album list, the file bytes) are made here and say so. No network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from reclaim.case.scan import scan
from reclaim.case.store import CaseReader
from reclaim.icloud.download import MARKER, IcloudError, download_photos, open_photos
from reclaim.sources.icloud_download import open_icloud_download

ROOT = "https://p00-ckdatabasews.icloud.example"


def _bytes_for(url: str, size: int) -> bytes:
    """Made here (the corpus keeps no media): ``size`` bytes, distinct per URL."""
    block = hashlib.sha256(url.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def _typed(record: dict[str, Any]) -> dict[str, Any]:
    """Put back the CloudKit field types the sanitised fixtures dropped (CloudKit always sends them)."""
    fields = {}
    for name, field in record.get("fields", {}).items():
        value = field.get("value")
        if "type" not in field:
            if isinstance(value, dict) and "recordName" in value:
                kind = "REFERENCE"
            elif isinstance(value, dict) and "downloadURL" in value:
                kind = "ASSETID"
            elif name.endswith("Date"):
                kind = "TIMESTAMP"
            elif isinstance(value, int):
                kind = "INT64"
            elif name.endswith("Enc"):
                kind = "ENCRYPTED_BYTES"
            else:
                kind = "STRING"
            field = {**field, "type": kind}
        fields[name] = field
    return {**record, "fields": fields}


class RecordedICloud(BaseAdapter):
    """Answers pyicloud's Photos requests from the recorded CloudKit responses."""

    def __init__(self, corpus: Path, *, indexing: str = "FINISHED") -> None:
        super().__init__()
        self.dir = corpus / "icloud-responses"
        self.indexing = indexing
        self.requests: list[str] = []
        self.sizes = {f["value"]["downloadURL"]: f["value"]["size"]
                      for r in self._library() for f in r["fields"].values()
                      if isinstance(f.get("value"), dict) and "downloadURL" in f["value"]}

    def _recorded(self, name: str) -> dict[str, Any]:
        return json.loads((self.dir / name).read_text("utf-8"))

    def _library(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for name in ("photos_all_photos_response.json", "photos_live_photo_response.json",
                     "photos_video_only_response.json"):
            records += self._recorded(name)["records"]
        return [_typed(r) for r in records]

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, bytes]:
        url = request.url or ""
        if request.method == "GET":
            if url.startswith("https://example.com/"):
                return 200, _bytes_for(url, self.sizes.get(url, 100))
            return 404, b"{}"
        body = json.loads(request.body or b"{}")
        if "/internal/records/query/batch" in url:  # made here: the corpus has no count lookup
            count = sum(r["recordType"] == "CPLAsset" for r in self._library())
            record = {"recordName": "count", "recordType": "IndexCount",
                      "fields": {"itemCount": {"value": count, "type": "INT64"}}}
            return 200, json.dumps({"batch": [{"records": [record]}]}).encode()
        query = body.get("query", {})
        kind = query.get("recordType")
        filters = {f.get("fieldName"): f.get("fieldValue", {}).get("value") for f in query.get("filterBy", [])}
        if kind == "CheckIndexingState":
            if self.indexing == "FINISHED":  # made here (the corpus records only the unfinished state)
                record = {"recordName": "state", "recordType": "CheckIndexingState",
                          "fields": {"state": {"value": "FINISHED", "type": "STRING"}}}
                return 200, json.dumps({"records": [record]}).encode()
            return 200, (self.dir / "photos_indexing_not_finished_response.json").read_bytes()
        if kind == "CPLAlbumByPositionLive":  # made here: one album, the one the recorded membership names
            name = base64.b64encode(b"Holiday").decode()
            album = {"recordName": "ALBUM_RECORD_ID_301", "recordType": "CPLAlbum",
                     "fields": {"albumNameEnc": {"value": name, "type": "ENCRYPTED_BYTES"},
                                "albumType": {"value": 0, "type": "INT64"}}}
            return 200, json.dumps({"records": [] if filters.get("parentId") else [album]}).encode()
        start = int(filters.get("startRank") or 0)
        count = sum(r["recordType"] == "CPLAsset" for r in self._library())
        first = start == (count - 1 if filters.get("direction") == "DESCENDING" else 0)
        if not first:  # one page holds everything here
            return 200, b'{"records": []}'
        if kind == "CPLContainerRelationLiveByAssetDate" and filters.get("parentId") == "ALBUM_RECORD_ID_301":
            records = self._recorded("photos_album_membership_response.json")["records"]
            return 200, json.dumps({"records": [_typed(r) for r in records]}).encode()
        if kind == "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted":
            return 200, json.dumps({"records": self._library()}).encode()
        if kind == "CPLAssetAndMasterInSmartAlbumByAssetDate" and filters.get("smartAlbum") == "FAVORITE":
            records = self._recorded("photos_favorites_response.json")["records"]
            return 200, json.dumps({"records": [_typed(r) for r in records]}).encode()
        return 200, b'{"records": []}'

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(f"{request.method} {request.url}")
        status, body = self._answer(request)
        response = requests.Response()
        response.status_code = status
        response.url = request.url or ""
        response.request = request
        response.headers["Content-Type"] = "application/json"
        response.raw = __import__("io").BytesIO(body)
        return response

    def close(self) -> None:
        pass


def _photos_service(adapter: RecordedICloud) -> Any:
    from pyicloud.services.photos import PhotosService

    session = requests.Session()
    session.mount("https://", adapter)
    return PhotosService(service_root=ROOT, session=session, params={"dsid": "12345"}, upload_url=None,
                         shared_streams_url=None)


def test_photos_download_with_dates_albums_and_resume(corpus: Path, tmp_path: Path) -> None:
    adapter = RecordedICloud(corpus)
    out = tmp_path / "icloud"
    first = download_photos(open_photos(lambda: _photos_service(adapter)), out)
    media = out / "iCloud Photos" / "Photos"
    names = sorted(p.name for p in media.iterdir())
    # all_photo.jpg, album_membership.jpg and the favourite have no original in the recorded answers:
    # listed in Photo Details.csv, not downloadable
    assert names == ["live_photo.HEIC", "live_photo.MOV", "video_only.MOV"]
    assert (media / "live_photo.HEIC").read_bytes() == _bytes_for("https://example.com/live_photo.heic", 3456789)
    assert (first.photos, first.missing, first.albums) == (2, 3, ["Holiday"])  # + the recorded favourite
    details = (out / "iCloud Photos" / "Photo Details.csv").read_text("utf-8").splitlines()
    assert details[0] == "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate"
    assert len(details) == 6 and any(",yes," in row for row in details)  # the favourite is flagged
    assert (out / MARKER).is_file()
    album = (out / "iCloud Photos" / "Albums" / "Holiday.csv").read_text("utf-8").split()
    assert album == ["Images", "album_membership.jpg"]
    # a second run fetches nothing again
    again = download_photos(_photos_service(adapter), out)
    assert (again.photos, again.skipped, again.bytes) == (0, 2, 0)

    with open_icloud_download(out) as fs:
        assert fs.info.kind == "icloud-download"
        scan(fs, tmp_path / "case", kinds=["icloud-photos"])
    with CaseReader(tmp_path / "case") as reader:
        photos = {r["filename"]: r for r in reader.records("photos")}
    live = photos["live_photo.HEIC"]
    # assetDate 1775666800000 ms in the recorded answer = 2026-04-08T16:46:40Z (minutes kept, as Apple's CSV)
    assert live["taken"] == "2026-04-08T16:46:00Z" and live["media_type"] == "live"
    video = _bytes_for("https://example.com/live_photo.mov", 456789)
    assert live["live_video"]["sha256"] == hashlib.sha256(video).hexdigest()
    assert photos["video_only.MOV"]["media_type"] == "video"
    assert photos["video_only.MOV"]["taken"] == "2026-04-08T16:48:00Z"


def test_library_still_indexing_is_explained(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(IcloudError, match="still preparing"):
        open_photos(lambda: _photos_service(RecordedICloud(corpus, indexing="NOT_FINISHED")))
