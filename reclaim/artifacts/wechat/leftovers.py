"""Media files a deleted WeChat message left behind, as recovered messages.

Deleting a message (or a whole chat) removes its row but WeChat often leaves the
files named after it: ``Img/<c>/<id>.pic*``, ``Audio/<c>/<id>.aud``,
``Video/<c>/<id>.mp4``, ``OpenData/<c>/<id>.<ext>`` (``<c>`` the md5 of the chat's
username, ``<id>`` the message's ``MesLocalID``). After the live and carved
messages of an account are read, every such file whose (chat hash, MesLocalID)
no message claimed becomes one recovered message of its chat: its type comes from
the folder, its date from the file's modification time (``date_source`` says so),
its provenance area is ``leftover-file``. The text, sender and direction are gone.

Memory: the files of the account's media folders are listed in one pass; only the
unclaimed ones are kept (grouped by message), never their content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reclaim.artifacts.base import MediaRef, Provenance
from reclaim.artifacts.wechat.records import WeChatMessage
from reclaim.vfs import Entry

if TYPE_CHECKING:
    from reclaim.artifacts.wechat.messages import AccountReader

#: The provenance area of a record rebuilt from a file the app left behind.
AREA = "leftover-file"
DATE_SOURCE = "file time"
#: media folder -> (message type, type name)
_FOLDERS = {"Img": (3, "image"), "Audio": (34, "voice"), "Video": (43, "video"), "OpenData": (49, "file")}
#: <folder>/<chat md5>/<MesLocalID><rest>: the rest is a suffix (.pic_hd, _raw.mp4) or a sub-folder item
_PATH = re.compile(r"(Img|Audio|Video|OpenData)/([0-9a-f]{32})/(\d{1,10})((?:[._/].*)?)")
_FOLDER_OF_TYPE = {3: "Img", 34: "Audio", 43: "Video", 62: "Video", 49: "OpenData"}
_PICTURE_SUFFIXES = (".pic_hd", ".pic", ".pic_thum", ".video_thum", ".record_thumb")


def find_leftovers(reader: AccountReader) -> dict[tuple[str, int], list[tuple[str, Entry]]]:
    """Unclaimed media files of the account, by (chat hash, MesLocalID): (path below the account, entry)."""
    root = reader.account.root + "/"
    found: dict[tuple[str, int], list[tuple[str, Entry]]] = {}
    domain, fullmatch = reader.domain, _PATH.fullmatch
    for entry in reader.ctx.fs.entries():  # one pass, a prefix test per entry (no glob)
        if entry.domain != domain or not entry.path.startswith(root) or not entry.is_file:
            continue
        match = fullmatch(entry.path[len(root):])
        if match is None:
            continue
        chat_hash, local_id = match[2], int(match[3])
        if reader.seen.has(chat_hash, local_id):
            continue  # a live or recovered message already shows this file (or its message had none)
        found.setdefault((chat_hash, local_id), []).append((entry.path[len(root):], entry))
    return found


class Leftovers:
    """The account's unclaimed media files, handed to carved messages first, the rest made into records."""

    #: How far a file's modification time may be from a carved message's CreateTime to be its file (seconds).
    SLACK = 900

    def __init__(self, reader: AccountReader) -> None:
        self.reader = reader
        self.found = find_leftovers(reader)
        self.by_chat: dict[str, list[int]] = {}
        for chat_hash, local_id in self.found:
            self.by_chat.setdefault(chat_hash, []).append(local_id)

    def discard(self, chat_hash: str, local_id: int) -> None:
        """A carved message with this MesLocalID shows these files itself."""
        self.found.pop((chat_hash, local_id), None)

    def claim(self, chat_hash: str, mtype: int, ctime: int) -> int | None:
        """The MesLocalID of the leftover files of a carved media message whose own id was overwritten.

        SQLite stores ``MesLocalID`` (the rowid) where a freed cell's header is overwritten,
        so a carved photo often comes back without it. Its files are the unclaimed ones of the
        same chat and folder whose time is nearest the message's, within :attr:`SLACK`;
        none when two are equally near.
        """
        folder = _FOLDER_OF_TYPE.get(mtype)
        if folder is None:
            return None
        scored = []
        for local_id in self.by_chat.get(chat_hash, ()):
            files = self.found.get((chat_hash, local_id))
            if not files or not any(rel.startswith(folder + "/") for rel, _ in files):
                continue
            when = _file_time(files)
            if when is not None and abs(when - ctime) <= self.SLACK:
                scored.append((abs(when - ctime), local_id))
        scored.sort()
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None
        local_id = scored[0][1]
        del self.found[(chat_hash, local_id)]
        return local_id

    def records(self) -> Iterator[WeChatMessage]:
        """One recovered message per (chat, MesLocalID) no message claimed, in chat and MesLocalID order."""
        for (chat_hash, local_id), files in sorted(self.found.items()):
            yield _record(self.reader, chat_hash, local_id, files)


def _file_time(files: list[tuple[str, Entry]]) -> int | None:
    times = [e.mtime for _, e in files if e.mtime]
    return min(times) if times else None


def _record(reader: AccountReader, chat_hash: str, local_id: int, files: list[tuple[str, Entry]]) -> WeChatMessage:
    folders = {rel.split("/", 1)[0] for rel, _ in files}
    folder = next(f for f in ("Video", "Img", "Audio", "OpenData") if f in folders)  # a video's poster is an image
    mtype, type_name = _FOLDERS[folder]
    attachments = _attachments(reader, folder, chat_hash, local_id, files)
    best = next((e for rel, e in sorted(files, key=lambda f: _rank(f[0])) if rel.startswith(folder)), files[0][1])
    stamp = _file_time(files)
    when = datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
    username = reader.chat_of(chat_hash)
    chat_id = reader.chat_id(username, chat_hash)
    return WeChatMessage(
        id=f"wechat:{chat_id}:leftover:{local_id}", date=when, deleted=True, source=f"{best.domain}/{best.path}",
        provenance=Provenance(area=AREA, confidence=1.0, partial=True), account=reader.account.id,
        account_name=reader.account.display, chat_id=chat_id, chat=reader.chat_title(username, chat_hash),
        chat_type=reader.chat_type(username), attachments=attachments, type=mtype, type_name=type_name,
        local_id=local_id, date_source=DATE_SOURCE,
    )


def _rank(rel: str) -> int:
    """Which file of a message is its main one (lower first): the original before copies and thumbnails."""
    for rank, ending in enumerate(("_raw.mp4", ".mp4", ".pic_hd", ".pic", ".aud")):
        if rel.endswith(ending):
            return rank
    return 10 if rel.endswith(_PICTURE_SUFFIXES) else 5


def _attachments(reader: AccountReader, folder: str, chat_hash: str, local_id: int,
                 files: list[tuple[str, Entry]]) -> list[MediaRef]:
    """The files stored the way a live message of that type stores them (best image, WAV of a voice)."""
    media = reader.media
    refs: list[MediaRef] = []
    if folder == "Img":
        refs.append(media.image(chat_hash, local_id))
    elif folder == "Audio":
        refs.append(media.voice(chat_hash, local_id))
    elif folder == "Video":
        refs.extend(ref for ref in media.video(chat_hash, local_id) if not ref.missing)
    handled = {ref.origin for ref in refs}
    for rel, entry in sorted(files, key=lambda f: (_rank(f[0]), f[0])):
        origin = f"{entry.domain}/{entry.path}"
        if origin in handled or rel.startswith(("Img/", "Audio/", "Video/")):
            continue  # Img/Audio/Video: the best copy is stored above, the lesser copies are left out
        stem = rel.rsplit("/", 1)[-1].split(".", 1)[0]
        if rel.endswith(_PICTURE_SUFFIXES):
            refs.append(media.picture(entry, rel, "thumbnail", f"{local_id}_{stem}" if stem != str(local_id)
                                      else f"{local_id}_thumb"))
        else:
            refs.append(reader.ctx.media(entry, name=entry.name, role="file", origin=origin))
    return refs
