"""The files behind WeChat messages: photos, voice, video, documents, map snapshots, stickers.

Media are named by the chat's hash ``<c>`` (md5 of the chat username) and the
message's ``MesLocalID`` below the account folder: ``Img/<c>/<id>.pic_hd`` (HD)
> ``.pic`` > ``.pic_thum`` (thumbnail), ``Audio/<c>/<id>.aud`` (SILK, turned into
WAV for playing), ``Video/<c>/<id>_raw.mp4`` > ``<id>.mp4`` plus ``.video_thum``,
``OpenData/<c>/<id>.<ext>`` (files; ``.pic_thum`` link thumbnails;
``<id>/<dataid>.<fmt>`` items of forwarded chats), ``Location/<c>/<id>.pic_thum``.
A file that is not there is listed as missing: the phone may have cleared it.
Profile pictures (avatars) are named by the md5 of the person's username: see :meth:`MediaFinder.avatar`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reclaim.artifacts.base import MediaRef
from reclaim.artifacts.wechat import wxgf
from reclaim.artifacts.wechat.accounts import GROUP_DOMAIN, Account
from reclaim.case.context import ScanContext
from reclaim.media import extension_for, sniff_mime
from reclaim.media.silk import audio_kind, wav_preview
from reclaim.vfs import Entry

#: Images WeChat wrote in its own container (HEVC inside): not viewable as-is (a JPEG preview is made).
WXGF_MIME = "image/x-wechat-wxgf"
_IMAGE_VARIANTS = ((".pic_hd", "hd"), (".pic", "full"), (".pic_thum", "thumbnail"))
#: The picture WeChat shows for someone who set none (a grey silhouette, 5,875 bytes): not kept as an avatar.
DEFAULT_AVATARS = frozenset({"e3e807760b01d24760eba724bac616d6"})
_DEFAULT_AVATAR_SIZES = frozenset({5875})


def is_wxgf(head: bytes) -> bool:
    """WeChat's proprietary image container (``wxgf``, or the ``07 08 V1``/``V2`` header)."""
    return wxgf.is_wxgf(head) or head[:4] in (b"\x07\x08V1", b"\x07\x08V2")


class MediaFinder:
    """Looks up and stores the media of one account's messages."""

    def __init__(self, ctx: ScanContext, account: Account) -> None:
        self.ctx = ctx
        self.account = account
        self.domain = account.domain

    def _get(self, rel: str) -> Entry | None:
        entry = self.ctx.get(self.domain, f"{self.account.root}/{rel}")
        return entry if entry is not None and entry.is_file else None

    def _origin(self, rel: str) -> str:
        return f"{self.domain}/{self.account.root}/{rel}"

    def _head(self, entry: Entry) -> bytes | None:
        return self.ctx.head(entry, 16)

    def image(self, chat_hash: str, local_id: int) -> MediaRef:
        """The best copy of a photo (HD > full > thumbnail); missing when none is left."""
        for suffix, role in _IMAGE_VARIANTS:
            rel = f"Img/{chat_hash}/{local_id}{suffix}"
            entry = self._get(rel)
            head = self._head(entry) if entry is not None else None
            if head is None:
                continue  # not there, or unreadable: the next best copy
            return self.picture(entry, rel, role, f"{local_id}", head=head)
        return MediaRef(name=f"{local_id}.jpg", origin=self._origin(f"Img/{chat_hash}/{local_id}.pic"),
                        missing=True, role="full", mime="image/jpeg")

    def picture(self, entry: Entry, rel: str, role: str, stem: str, *, origin: str = "",
                head: bytes | None = None) -> MediaRef:
        """Store an image file, named with the extension its content calls for (``rel`` is below the account
        folder unless ``origin`` says where the file is; ``head``: its first bytes, when already read); listed as
        missing when the source cannot give it."""
        head = head if head is not None else self._head(entry)
        origin = origin or self._origin(rel)
        if head is None:
            return MediaRef(name=f"{stem}.jpg", origin=origin, missing=True, role=role, mime="image/jpeg",
                            note="could not be read from the source")
        if is_wxgf(head):
            plain = head.startswith(wxgf.MAGIC)  # the 07 08 V1/V2 variant is encrypted: kept, not converted
            ref = self.ctx.media(entry, name=f"{stem}.wxgf", mime=WXGF_MIME, role=role, origin=origin,
                                 preview=wxgf.jpeg_preview if plain else None)
            if ref.preview:
                ref.note = "WeChat's own image format (wxgf, HEVC inside); the preview is a JPEG made from it"
            elif not plain:
                ref.note = "WeChat's encrypted image format (07 08 V1/V2 header); reclaim cannot convert it"
            elif ref.sha256:
                ref.note = "WeChat's own image format (wxgf); no picture could be decoded from it"
            else:
                ref.note = "WeChat's own image format (wxgf)"
            return ref
        mime = sniff_mime(head)
        ext = extension_for(mime) if mime != "application/octet-stream" else ".jpg"
        return self.ctx.media(entry, name=f"{stem}{ext}", mime=mime if mime != "application/octet-stream" else None,
                              role=role, origin=origin)

    def avatar(self, username: str) -> MediaRef | None:
        """Someone's profile picture as the phone cached it (the HD copy first), ``None`` when it kept none or
        only WeChat's default picture. The files are named by the md5 of the username: in the app's
        ``Library/WechatPrivate/<account>/HeadImg/0/<m[:2]>/<m[2:]>.pic_hd`` (or ``.pic_compressed``) and in
        the shared container's ``share/<account>/session/headImg/<m>.pic``."""
        m = hashlib.md5(username.encode()).hexdigest()
        folder = self.account.folder
        for domain, path in ((self.domain, f"Library/WechatPrivate/{folder}/HeadImg/0/{m[:2]}/{m[2:]}.pic_hd"),
                             (self.domain, f"Library/WechatPrivate/{folder}/HeadImg/0/{m[:2]}/{m[2:]}.pic_compressed"),
                             (GROUP_DOMAIN, f"share/{folder}/session/headImg/{m}.pic")):
            entry = self.ctx.get(domain, path)
            if entry is None or not entry.is_file or not entry.size:
                continue
            head = self._head(entry)
            if head is None or not (is_wxgf(head) or sniff_mime(head).startswith("image/")):
                continue  # unreadable, or not a picture (damaged, some other cache file): initials stand for them
            if self._is_default(entry):
                continue
            return self.picture(entry, path, "avatar", f"avatar_{username}", origin=f"{domain}/{path}", head=head)
        return None

    def _is_default(self, entry: Entry) -> bool:
        if entry.size not in _DEFAULT_AVATAR_SIZES:
            return False
        data = self.ctx.head(entry, entry.size)  # (5,875 bytes)
        return data is not None and hashlib.md5(data).hexdigest() in DEFAULT_AVATARS

    def voice(self, chat_hash: str, local_id: int) -> MediaRef:
        """A voice message (SILK, or AMR-NB stored as a proper ``.amr``), with a WAV copy for playing."""
        rel = f"Audio/{chat_hash}/{local_id}.aud"
        entry = self._get(rel)
        if entry is None:
            return MediaRef(name=f"{local_id}.silk", origin=self._origin(rel), missing=True, role="voice",
                            mime="audio/silk")
        head = self._head(entry)
        if head is None:
            return MediaRef(name=f"{local_id}.silk", origin=self._origin(rel), missing=True, role="voice",
                            mime="audio/silk", note="could not be read from the source")
        kind = audio_kind(head)
        mime = "audio/amr" if kind == "amr" else "audio/silk"
        return self.ctx.media(entry, name=f"{local_id}.{'amr' if kind == 'amr' else 'silk'}", mime=mime,
                              role="voice", origin=self._origin(rel), preview=wav_preview)

    def video(self, chat_hash: str, local_id: int) -> list[MediaRef]:
        """The video (original quality first) and its poster frame."""
        refs = []
        for rel in (f"Video/{chat_hash}/{local_id}_raw.mp4", f"Video/{chat_hash}/{local_id}.mp4"):
            entry = self._get(rel)
            if entry is not None:
                refs.append(self.ctx.media(entry, name=f"{local_id}.mp4", role="full", origin=self._origin(rel)))
                break
        else:
            refs.append(MediaRef(name=f"{local_id}.mp4", origin=self._origin(f"Video/{chat_hash}/{local_id}.mp4"),
                                 missing=True, role="full", mime="video/mp4"))
        thumb_rel = f"Video/{chat_hash}/{local_id}.video_thum"
        thumb = self._get(thumb_rel)
        if thumb is not None:
            refs.append(self.picture(thumb, thumb_rel, "thumbnail", f"{local_id}_poster"))
        return refs

    def file(self, chat_hash: str, local_id: int, ext: str, name: str) -> MediaRef:
        """A document sent in the chat, under the name it was sent with."""
        candidates = [f"OpenData/{chat_hash}/{local_id}.{ext}"] if ext else []
        candidates += [f"OpenData/{chat_hash}/{local_id}", f"OpenData/{chat_hash}/{local_id}.dat"]
        display = name if not ext or name.lower().endswith(f".{ext.lower()}") else f"{name}.{ext}"
        for rel in candidates:
            entry = self._get(rel)
            if entry is not None:
                return self.ctx.media(entry, name=display, role="file", origin=self._origin(rel))
        return MediaRef(name=display, origin=self._origin(candidates[0]), missing=True, role="file")

    def optional_picture(self, rel: str, role: str, stem: str) -> MediaRef | None:
        """A thumbnail that may or may not exist (link previews, map snapshots)."""
        entry = self._get(rel)
        return self.picture(entry, rel, role, stem) if entry is not None else None

    def record_items(self, chat_hash: str, local_id: int, items: list[dict[str, Any]]) -> list[MediaRef]:
        """Files of a forwarded chat history (``OpenData/<c>/<id>/<dataid>.<fmt>``)."""
        refs = []
        for item in items:
            data_id, fmt = item.get("data_id"), item.get("format")
            if not data_id or item.get("type") not in ("image", "video", "file", "voice"):
                continue
            for rel in (f"OpenData/{chat_hash}/{local_id}/{data_id}.{fmt}" if fmt else "",
                        f"OpenData/{chat_hash}/{local_id}/{data_id}.{fmt}_pre3" if fmt else "",
                        f"OpenData/{chat_hash}/{local_id}/{data_id}.record_thumb"):
                entry = self._get(rel) if rel else None
                if entry is not None:
                    role = "thumbnail" if rel.endswith("record_thumb") else "full"
                    if item.get("type") == "image" or role == "thumbnail":
                        refs.append(self.picture(entry, rel, role, f"{local_id}_{data_id}"))
                    else:
                        refs.append(self.ctx.media(entry, name=f"{data_id}.{fmt}", role=role,
                                                   origin=self._origin(rel)))
                    break
        return refs

    def sticker(self, md5: str) -> MediaRef | None:
        """A sticker's image if the app kept a local copy."""
        for rel, role in ((f"emoticonPIC/{md5}.pic", "full"), (f"emoticonThumb/{md5}.pic.thumb", "thumbnail")):
            full = f"Library/WechatPrivate/{self.account.folder}/{rel}"
            entry = self.ctx.get(self.domain, full)
            head = self._head(entry) if entry is not None and entry.is_file else None
            if head is not None:
                mime = sniff_mime(head)
                ext = extension_for(mime) if mime != "application/octet-stream" else ".gif"
                return self.ctx.media(entry, name=f"sticker_{md5[:8]}{ext}", role=role,
                                      origin=f"{self.domain}/{full}")
        return None
