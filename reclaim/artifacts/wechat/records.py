"""The records the WeChat kinds yield (their JSON form is documented in docs/kinds/wechat.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reclaim.artifacts.base import MediaRef, Provenance, Record, iso, to_jsonable


def _media_json(ref: MediaRef) -> dict[str, Any]:
    return {"name": ref.name, "sha256": ref.sha256, "size": ref.size, "mime": ref.mime, "origin": ref.origin,
            "missing": ref.missing, "preview": ref.preview, "preview_mime": ref.preview_mime, "role": ref.role,
            "note": ref.note}


def _provenance_json(value: Provenance | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"area": value.area, "page": value.page, "offset": value.offset, "frame": value.frame,
            "confidence": value.confidence, "partial": value.partial}


@dataclass(kw_only=True)
class WeChatMessage(Record):
    """One message of a WeChat conversation (live, or recovered after deletion)."""

    KIND = "wechat"

    account: str = ""  # the owner's wxid (or account folder hash)
    account_name: str = ""
    chat_id: str = ""  # "<account>:<chat username>": two accounts never merge
    chat: str = ""
    chat_type: str = ""  # private | group | official
    sender: str = ""
    sender_id: str = ""
    direction: str = ""  # incoming | outgoing | system
    text: str = ""
    attachments: list[MediaRef] = field(default_factory=list)
    card: dict[str, Any] | None = None
    quote: dict[str, Any] | None = None
    status: str = ""  # recalled | from-search-index | from-chat-list | compressed-unreadable
    service: str = "WeChat"
    type: int = 0
    type_name: str = ""
    server_id: str = ""  # MesSvrID (a 64-bit number, kept as text for JavaScript)
    local_id: int | None = None  # MesLocalID (names the media files)
    date_source: str = ""  # "" = the message's own time; "file time" = a leftover file's modification time

    def record_label(self) -> str:
        return self.chat

    def to_json(self) -> dict[str, Any]:
        """Same result as :meth:`Record.to_json`, written out: the scan of a million messages spends its time here."""
        return {
            "kind": self.KIND, "id": self.id, "date": iso(self.date), "deleted": self.deleted, "source": self.source,
            "provenance": _provenance_json(self.provenance), "account": self.account,
            "account_name": self.account_name, "chat_id": self.chat_id, "chat": self.chat,
            "chat_type": self.chat_type, "sender": self.sender, "sender_id": self.sender_id,
            "direction": self.direction, "text": self.text, "attachments": [_media_json(a) for a in self.attachments],
            "card": to_jsonable(self.card) if self.card is not None else None,
            "quote": to_jsonable(self.quote) if self.quote is not None else None, "status": self.status,
            "service": self.service, "type": self.type, "type_name": self.type_name, "server_id": self.server_id,
            "local_id": self.local_id, "date_source": self.date_source,
        }

    def search_text(self) -> str:
        text, sender, chat = self.text, self.sender, self.chat
        if sender == chat:  # a one-to-one chat is named after the other person: once is enough
            sender = ""
        if text and sender and chat and not (self.card or self.quote or self.attachments):
            return f"{text}\n{sender}\n{chat}"  # most messages: the general case below, quicker
        parts = [text, sender, chat]
        if self.card:
            parts += [str(self.card.get("title") or ""), str(self.card.get("description") or ""),
                      str(self.card.get("url") or "")]
        if self.quote:
            parts.append(str(self.quote.get("text") or ""))
        parts += [a.name for a in self.attachments]
        return "\n".join(p for p in parts if p)


@dataclass(kw_only=True)
class WeChatContact(Record):
    """A WeChat account, friend, group (with its members) or official account."""

    KIND = "wechat-contacts"

    account: str = ""
    username: str = ""  # wxid_..., <id>@chatroom, gh_...
    name: str = ""  # what the owner sees: remark > nickname > WeChat ID
    nickname: str = ""
    remark: str = ""
    alias: str = ""  # the WeChat ID people type to add someone
    category: str = ""  # account | friend | group | official | stranger | system
    sex: str = ""
    region: str = ""
    signature: str = ""
    description: str = ""
    avatar_url: str = ""
    photo: MediaRef | None = None  # the profile picture the phone cached (the avatar_url's image), if any
    members: list[dict[str, str]] = field(default_factory=list)  # {username, name, group_nickname}
    member_count: int = 0
    group_owner: str = ""
    chat_id: str | None = None  # the conversation with this contact, when there is one
    details: dict[str, Any] = field(default_factory=dict)
    service: str = "WeChat"

    def record_label(self) -> str:
        return self.name

    def chat_key(self) -> str | None:
        return None  # contacts are cards, not a conversation

    def search_text(self) -> str:
        parts = [self.name, self.nickname, self.remark, self.alias, self.username, self.signature, self.region]
        parts += [m.get("name", "") for m in self.members]
        return "\n".join(p for p in parts if p)
