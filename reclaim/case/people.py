"""The faces beside a conversation's messages: whose profile picture a case holds, found by a message's sender id.

Transcripts look like the apps they come from when each message has its sender's picture beside it (or, when
the phone kept none, their initials). A case holds three kinds of profile pictures: WeChat's cached avatars
(``wechat-contacts`` records, found by WeChat username), WhatsApp's (``whatsapp-contacts``, found by WhatsApp id)
and the address book's contact photos (``contacts`` records, found by phone number or e-mail address, compared as
iOS compares them: see :func:`reclaim.artifacts._phone.handle_key`). A WhatsApp sender id is a phone number with
WhatsApp's domain (``447700900456@s.whatsapp.net``): its own picture first, else its number's.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from reclaim.artifacts._phone import handle_key

#: How many colours initials are drawn on (``.av.c0`` … in the stylesheets): the same person, the same colour.
COLOURS = 8
_WHATSAPP_DOMAINS = ("@s.whatsapp.net", "@c.us")
_GROUP_DOMAINS = ("@g.us", "@chatroom", "@broadcast")


def initials(name: str) -> str:
    """What stands for someone without a picture: the first letters of their first two words ("Sam Carter" →
    "SC"; "王小明", written without spaces, → "王"); "?" for no name. The web page's ``initials`` in
    ``format.js`` gives the same."""
    return "".join(word[0] for word in name.split()[:2]).upper() or "?"


def colour(key: str) -> int:
    """The colour (``0`` … ``COLOURS - 1``) of someone's initials: fixed by their id, or name."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % COLOURS


def _keys(value: str) -> list[str]:
    key = handle_key(value)
    return [key] if key else []


class Pictures:
    """The profile pictures of a case, by the ids a message's ``sender_id`` may hold."""

    def __init__(self, by_key: dict[str, dict[str, Any]]) -> None:
        self._by_key = by_key
        self._found: dict[str, dict[str, Any] | None] = {}

    @classmethod
    def of(cls, rows: Any) -> Pictures:
        """From the rows of :data:`PICTURES_SQL`: each record with a photo (a phone number or address on two
        cards goes to the first: the address book's photo before WhatsApp's, which its own id finds)."""
        by_key: dict[str, dict[str, Any]] = {}
        for photo, names in rows:
            picture = orjson.loads(photo)
            if not isinstance(picture, dict) or not picture.get("sha256") or picture.get("missing"):
                continue
            username, phones, emails, whatsapp_id, phone = orjson.loads(names)
            keys = [u for u in (username, whatsapp_id) if isinstance(u, str) and u]
            for values in (phones, emails, [phone]):
                keys += [k for v in (values if isinstance(values, list) else []) for k in _keys(_value(v))]
            for key in keys:
                by_key.setdefault(key, picture)
        return cls(by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def find(self, sender_id: str | None) -> dict[str, Any] | None:
        """The picture (a media reference, as records hold it) of whoever a message's sender id names."""
        if not sender_id or not self._by_key:
            return None
        if sender_id in self._found:
            return self._found[sender_id]
        picture = self._by_key.get(sender_id)
        if picture is None:
            handle = sender_id
            for domain in _WHATSAPP_DOMAINS:
                if handle.endswith(domain):
                    handle = "+" + handle[: -len(domain)]
            key = handle_key(handle)
            picture = self._by_key.get(key) if key else None
        self._found[sender_id] = picture
        return picture

    def for_chat(self, chat_id: str | None) -> dict[str, Any] | None:
        """The picture of the person a one-to-one conversation is with, from its id: a WeChat chat's username
        (``<account>:<username>``), a Messages chat's handle (``messages:<phone or address>``), a WhatsApp
        chat's number (``<number>@s.whatsapp.net``); ``None`` for a group or an id naming no one."""
        if not chat_id:
            return None
        tail = chat_id.split(":", 1)[1] if ":" in chat_id else chat_id
        if tail in self._by_key:
            return self._by_key[tail]
        if tail.startswith("+") or tail[:1].isdigit() or ("@" in tail and not tail.endswith(_GROUP_DOMAINS)):
            return self.find(tail)
        return None  # a group, or a name such as chat123… (read as keypad digits it could match a number)


def _value(item: Any) -> str:
    """A phone or e-mail entry of a card: text, or ``{"label": …, "value": …}``."""
    if isinstance(item, dict):
        item = item.get("value")
    return item if isinstance(item, str) else ""


#: What :meth:`Pictures.of` reads: the photo and the names (WeChat username, phones, e-mails, WhatsApp id and
#: number) of each record of the kinds that have pictures of people, the address book's first.
PICTURES_SQL = ("SELECT json_extract(data, '$.photo'), json_extract(data, '$.username', '$.phones', '$.emails',"
                " '$.whatsapp_id', '$.phone') FROM records WHERE kind IN ('contacts', 'wechat-contacts',"
                " 'whatsapp-contacts') AND json_extract(data, '$.photo') IS NOT NULL"
                " ORDER BY CASE kind WHEN 'contacts' THEN 0 WHEN 'wechat-contacts' THEN 1 ELSE 2 END, rid")
