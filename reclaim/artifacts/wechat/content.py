"""What a WeChat message says: every message type turned into readable text and a rich card.

``Chat_*.Message`` holds plain text for text messages and XML (sometimes JSON)
for everything else; the ``Type`` column (and, for type 49 "app messages", the
``appmsg/type`` element) says which. :func:`render` turns one body into what a
reader of the chat expects to see — "[Voice message 0:07]", a link card with its
title and URL, a transfer with its amount — and never drops an unknown type: it
is shown with its number and raw text.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reclaim.artifacts.wechat import xmltools as X
from reclaim.artifacts.wechat.emoji import replace_emoji

NameOf = Callable[[str], str]

TYPE_NAMES: dict[int, str] = {
    1: "text", 3: "image", 34: "voice", 35: "mail", 37: "friend-request", 40: "friend-suggestion",
    42: "contact-card", 43: "video", 47: "sticker", 48: "location", 49: "app", 50: "call", 51: "status",
    62: "video", 64: "group-call", 66: "contact-card", 9999: "system", 10000: "system", 10002: "system",
}

APP_NAMES: dict[int, str] = {
    1: "app-text", 2: "app-image", 3: "music", 4: "video-link", 5: "link", 6: "file", 7: "app", 8: "sticker",
    15: "sticker", 16: "card-ticket", 17: "live-location", 19: "chat-history", 24: "note", 33: "mini-program",
    36: "mini-program", 50: "channels-card", 51: "channels-post", 57: "quote", 62: "pat", 87: "group-notice",
    2000: "transfer", 2001: "red-packet",
}

#: Transfer states by ``wcpayinfo/paysubtype`` (as WeChat labels them in the chat).
TRANSFER_STATUS = {1: "sent", 3: "accepted", 4: "returned", 5: "accepted", 7: "pending", 8: "accepted",
                   9: "returned", 10: "expired"}

#: Record item types inside a forwarded chat history (``dataitem@datatype``).
RECORD_ITEM = {1: "text", 2: "image", 3: "voice", 4: "video", 5: "link", 6: "location", 8: "file",
               16: "contact-card", 17: "chat-history", 19: "mini-program", 22: "channels-post",
               26: "channels-card"}


@dataclass(slots=True)
class Rendered:
    """A message body as shown to a reader."""

    text: str
    type_name: str
    card: dict[str, Any] | None = None
    quote: dict[str, Any] | None = None
    status: str = ""
    system: bool = False
    #: sender found inside the payload (group messages without the "wxid:\n" prefix)
    sender_id: str = ""
    #: hints for media lookup: image md5, voice length (ms), file extension, record items
    hints: dict[str, Any] = field(default_factory=dict)


def duration(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def human_size(size: int) -> str:
    """A byte count as people read it."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def card(kind: str, title: str = "", description: str = "", url: str = "", **extra: Any) -> dict[str, Any]:
    """A card dict in the shared record convention."""
    return {"type": kind, "title": title, "description": description, "url": url,
            "extra": {k: v for k, v in extra.items() if v not in (None, "", [], {})}}


def split_group_sender(body: str) -> tuple[str, str]:
    """``("wxid_x", rest)`` for a received group message starting ``wxid_x:\\n``; else ``("", body)``."""
    head, sep, rest = body.partition(":\n")
    if sep and head and len(head) <= 64 and " " not in head and "<" not in head and "\n" not in head:
        return head, rest
    return "", body


def render(msg_type: int, body: str, name_of: NameOf) -> Rendered:
    """Render one message body of a given ``Type``; unknown types keep their raw text."""
    if msg_type == 1:
        return Rendered(replace_emoji(body), "text")
    handler = _HANDLERS.get(msg_type)
    if handler is not None:
        return handler(body, name_of)
    raw = body if len(body) <= 2000 else body[:2000] + "…"
    return Rendered(f"[Message type {msg_type}] {raw}".rstrip(), f"type-{msg_type}")


# -- per-type handlers ---------------------------------------------------------------------------

def _image(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    return Rendered("[Photo]", "image", sender_id=X.attr(root, "img", "fromusername") or X.text(root, "fromusername"),
                    hints={"md5": X.attr(root, "img", "md5")})


def _voice(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    ms = X.as_int(X.attr(root, "voicemsg", "voicelength"))
    label = f"[Voice message {duration(ms / 1000)}]" if ms else "[Voice message]"
    return Rendered(label, "voice", sender_id=X.attr(root, "voicemsg", "fromusername"),
                    hints={"voice_ms": ms, "voiceformat": X.attr(root, "voicemsg", "voiceformat")})


def _video(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    seconds = X.as_int(X.attr(root, "videomsg", "playlength"))
    label = f"[Video {duration(seconds)}]" if seconds else "[Video]"
    return Rendered(label, "video", sender_id=X.attr(root, "videomsg", "fromusername"),
                    hints={"seconds": seconds, "size": X.as_int(X.attr(root, "videomsg", "length"))})


def _contact_card(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    username = X.attr(root, ".", "username")
    nickname = X.attr(root, ".", "nickname") or username
    official = username.startswith("gh_") or X.as_int(X.attr(root, ".", "certflag")) != 0
    label = "Official account card" if official else "Contact card"
    place = " ".join(p for p in (X.attr(root, ".", "province"), X.attr(root, ".", "city")) if p)
    return Rendered(
        f"[{label}] {nickname}" + (f" ({X.attr(root, '.', 'alias') or username})" if username else ""),
        "contact-card",
        card=card("contact", nickname, X.attr(root, ".", "alias") or username, "",
                  username=username, alias=X.attr(root, ".", "alias"), region=place,
                  signature=X.attr(root, ".", "sign"), avatar_url=X.attr(root, ".", "bigheadimgurl"),
                  official=official or None),
    )


def _sticker(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    md5 = X.attr(root, "emoji", "md5")
    return Rendered("[Sticker]", "sticker",
                    card=card("sticker", "Sticker", "", "", md5=md5, width=X.attr(root, "emoji", "width"),
                              height=X.attr(root, "emoji", "height"), product=X.attr(root, "emoji", "productid")),
                    sender_id=X.attr(root, "emoji", "fromusername"), hints={"md5": md5})


def _location(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    lat = X.as_float(X.attr(root, "location", "x"))
    lon = X.as_float(X.attr(root, "location", "y"))
    label = X.attr(root, "location", "label")
    poi = X.attr(root, "location", "poiname")
    title = poi or label or "Location"
    url = ""
    if lat is not None and lon is not None:
        url = f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}"
    text = f"[Location] {title}" + (f", {label}" if label and label != title else "")
    if lat is not None and lon is not None:
        text += f" ({lat:.6f}, {lon:.6f})"
    return Rendered(text, "location",
                    card=card("location", title, label if label != title else "", url, latitude=lat,
                              longitude=lon, datum="GCJ-02 (China map datum) where the map was Chinese"),
                    sender_id=X.attr(root, "location", "fromusername"))


def _call(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    bubble = X.text(root, "VoIPBubbleMsg/msg")
    invite = X.text(root, "voipinvitemsg/invitetype")
    kind = "Video call" if invite == "0" or X.text(root, "VoIPBubbleMsg/room_type") == "0" else "Voice call"
    wording = X.as_int(X.text(root, "voiplocalinfo/wordingtype"), -1)
    seconds = X.as_int(X.text(root, "voiplocalinfo/duration"))
    outcome = {4: "connected", 1: "cancelled", 8: "declined", 2: "missed", 3: "missed"}.get(wording, "")
    if bubble:
        detail = bubble
    elif outcome == "connected":
        detail = f"duration {duration(seconds)}"
    else:
        detail = outcome
    return Rendered(f"[{kind}] {detail}".strip(), "call",
                    card=card("call", kind, detail, "", seconds=seconds or None, outcome=outcome))


def _system(body: str, name_of: NameOf) -> Rendered:
    stripped = body.strip()
    if stripped.startswith("<sysmsg") or stripped.startswith("<?xml"):
        return _sysmsg(stripped, name_of)
    text = X.strip_tags(stripped) if "<" in stripped else stripped
    recalled = "撤回" in text or "recalled a message" in text
    return Rendered(text, "recalled" if recalled else "system", status="recalled" if recalled else "", system=True)


def _substitute_template(root: ET.Element, template: str, name_of: NameOf) -> str:
    for link in root.iter("link"):
        name = link.get("name") or ""
        members = [
            X.text(m, "nickname") or name_of(X.text(m, "username")) for m in link.iter("member")
        ]
        separator = X.text(link, "separator", "、")
        title = X.text(link, "title")
        value = separator.join(m for m in members if m) or title
        template = template.replace(f"${name}$", value)
    return template


def _sysmsg(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    if root is None:
        return Rendered(X.strip_tags(body), "system", system=True)
    kind = root.get("type", "")
    if kind == "revokemsg":
        text = X.text(root, "revokemsg/replacemsg") or "A message was recalled"
        return Rendered(text, "recalled", status="recalled", system=True,
                        hints={"recalled_svrid": X.text(root, "revokemsg/newmsgid") or X.text(root, "revokemsg/msgid")})
    if kind == "sysmsgtemplate":
        plain = X.text(root, "sysmsgtemplate/content_template/plain")
        template = X.text(root, "sysmsgtemplate/content_template/template")
        text = plain or _substitute_template(root, template, name_of)
        return Rendered(X.strip_tags(text), "system", system=True)
    if kind == "editrevokecontent":
        original = X.text(root, "editrevokecontent/link/revokecontent")
        text = X.text(root, "editrevokecontent/text") or "You recalled a message"
        return Rendered(text, "recalled", status="recalled", system=True,
                        quote={"sender": "", "text": original} if original else None)
    if kind == "pat":
        template = X.text(root, "pat/template")
        for user in (X.text(root, "pat/fromusername"), X.text(root, "pat/pattedusername")):
            if user:
                template = template.replace(f"${{{user}}}", name_of(user))
        return Rendered(template or "[Pat]", "pat", system=True)
    if kind == "paymsg":
        from urllib.parse import unquote

        return Rendered(X.strip_tags(unquote(X.text(root, "paymsg/appmsgcontent"))), "system", system=True)
    plain = X.text(root, f"{kind}/plain") if kind else ""
    if not plain:
        plain = " ".join(t.strip() for t in root.itertext() if t.strip())
    return Rendered(X.strip_tags(plain) or f"[System message {kind}]".strip(), "system", system=True)


def _json_notice(body: str, name_of: NameOf) -> Rendered:
    try:
        text = str(json.loads(body).get("msgContent", "")) or body
    except (ValueError, AttributeError):
        text = X.strip_tags(body)
    return Rendered(text, "group-call" if body else "system", system=True)


def _friend_request(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    who = X.attr(root, ".", "fromnickname") or X.attr(root, ".", "fromusername")
    said = X.attr(root, ".", "content")
    return Rendered(f"[Friend request] {who}: {said}".strip(": "), "friend-request",
                    sender_id=X.attr(root, ".", "fromusername"))


def _mail(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    subject = X.text(root, "pushmail/content/subject")
    digest = X.text(root, "pushmail/content/digest")
    return Rendered(f"[Mail] {subject}\n{digest}".strip(), "mail")


# -- type 49: app messages ------------------------------------------------------------------------

def _app(body: str, name_of: NameOf) -> Rendered:
    root = X.parse(body)
    if root is None:
        return Rendered(f"[Message type 49] {body[:2000]}", "type-49")
    app = X.find(root, "appmsg")
    sub = X.as_int(X.text(app, "type"), -1)
    handler = _APP_HANDLERS.get(sub, _app_generic)
    out = handler(root, app, sub, name_of)
    out.sender_id = out.sender_id or X.text(root, "fromusername")
    return out


def _app_generic(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    title = X.text(app, "title")
    des = X.text(app, "des")
    url = X.text(app, "url")
    source = X.text(root, "appinfo/appname") or X.text(app, "sourcedisplayname")
    name = APP_NAMES.get(sub, f"app-{sub}")
    label = {"music": "Music", "video-link": "Video link", "app": "App", "note": "Note",
             "channels-post": "Channels", "channels-card": "Channels card", "card-ticket": "Card",
             "app-text": "", "app-image": "Image"}.get(name, "App message")
    text = " ".join(p for p in (f"[{label}]" if label else "", title) if p) or f"[App message {sub}]"
    if url:
        text += f"\n{url}"
    return Rendered(text, name, card=card(name, title, des, url, source=source, subtype=sub),
                    hints={"thumb": True})


def _app_link(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    title = X.text(app, "title")
    des = X.text(app, "des")
    url = X.text(app, "url")
    source = X.text(app, "sourcedisplayname") or X.text(root, "appinfo/appname")
    text = title + (f"\n{url}" if url else "")
    return Rendered(text or "[Link]", "link",
                    card=card("link", title, des, url, source=source, thumb_url=X.text(app, "thumburl")),
                    hints={"thumb": True})


def _app_file(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    title = X.text(app, "title") or "file"
    size = X.as_int(X.text(app, "appattach/totallen"))
    ext = X.text(app, "appattach/fileext")
    text = f"[File] {title}" + (f" ({human_size(size)})" if size else "")
    return Rendered(text, "file", card=card("file", title, human_size(size) if size else "", "", size=size,
                                              extension=ext, md5=X.text(app, "md5")),
                    hints={"fileext": ext, "filename": title})


def _app_transfer(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    amount = X.text(app, "wcpayinfo/feedesc")
    memo = X.text(app, "wcpayinfo/pay_memo")
    paysub = X.as_int(X.text(app, "wcpayinfo/paysubtype"))
    status = TRANSFER_STATUS.get(paysub, f"state {paysub}" if paysub else "")
    payer = X.text(app, "wcpayinfo/payer_username")
    receiver = X.text(app, "wcpayinfo/receiver_username")
    parts = [p for p in (amount, memo, status) if p]
    return Rendered("[Transfer] " + " · ".join(parts), "transfer",
                    card=card("transfer", amount or "Transfer", memo, "", status=status, paysubtype=paysub,
                              payer=name_of(payer) if payer else "", payer_id=payer,
                              receiver=name_of(receiver) if receiver else "", receiver_id=receiver,
                              transfer_id=X.text(app, "wcpayinfo/transferid")))


def _app_red_packet(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    wish = X.text(app, "wcpayinfo/receivertitle") or X.text(app, "wcpayinfo/sendertitle") or X.text(app, "title")
    split_bill = X.as_int(X.text(app, "wcpayinfo/newaa/newaatype")) != 0
    label = "Split bill" if split_bill else "Red packet"
    return Rendered(f"[{label}] {wish}".strip(), "red-packet",
                    card=card("transfer", label, wish, "", payment="red-packet",
                              scene=X.text(app, "wcpayinfo/scenetext")))


def _app_mini_program(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    title = X.text(app, "title")
    source = X.text(app, "sourcedisplayname") or X.text(root, "appinfo/appname")
    text = f"[Mini program] {source}: {title}" if source else f"[Mini program] {title}"
    return Rendered(text, "mini-program",
                    card=card("app", title, X.text(app, "des"), X.text(app, "url"), source=source,
                              app_id=X.text(app, "weappinfo/appid"), page=X.text(app, "weappinfo/pagepath")),
                    hints={"thumb": True})


def _app_quote(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    reply = replace_emoji(X.text(app, "title"))
    ref = X.find(app, "refermsg")
    quote = None
    if ref is not None:
        ref_type = X.as_int(X.text(ref, "type"), 1)
        ref_body = X.text(ref, "content")
        who = X.text(ref, "chatusr") or X.text(ref, "fromusr")
        if ref_type != 1:
            _, ref_body = split_group_sender(ref_body)
            ref_text = render(ref_type, ref_body, name_of).text
        else:
            ref_text = replace_emoji(ref_body)
        quote = {"sender": X.text(ref, "displayname") or (name_of(who) if who else ""), "sender_id": who,
                 "text": ref_text, "type": ref_type, "server_id": X.text(ref, "svrid")}
    return Rendered(reply, "quote", quote=quote)


def _record_items(record_xml: str, name_of: NameOf, depth: int = 0) -> list[dict[str, Any]]:
    root = X.parse(record_xml)
    items: list[dict[str, Any]] = []
    if root is None:
        return items
    for item in root.iter("dataitem"):
        kind = X.as_int(item.get("datatype"), 1)
        name = RECORD_ITEM.get(kind, f"type-{kind}")
        text = X.text(item, "datadesc") or X.text(item, "datatitle")
        if kind == 5:
            text = X.text(item, "weburlitem/title") or text or X.text(item, "link")
        elif kind == 6:
            text = X.text(item, "locitem/poiname") or X.text(item, "locitem/label") or text
        elif kind == 2:
            text = "[Photo]"
        elif kind == 4:
            text = "[Video]"
        elif kind == 8:
            text = f"[File] {X.text(item, 'datatitle') or text}"
        items.append({
            "sender": X.text(item, "sourcename") or name_of(X.text(item, "dataitemsource/fromusr")),
            "time": X.text(item, "sourcetime"),
            "type": name,
            "text": text,
            "data_id": item.get("dataid", ""),
            "format": X.text(item, "datafmt"),
        })
    return items


def _app_chat_history(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    title = X.text(app, "title") or "Chat history"
    items = _record_items(X.text(app, "recorditem"), name_of)
    lines = [f"[Chat history] {title}"]
    lines.extend(f"{i['time']} {i['sender']}: {i['text']}".strip() for i in items)
    return Rendered("\n".join(lines), "chat-history",
                    card=card("chat-history", title, X.text(app, "des"), "", items=items),
                    hints={"record_items": items})


def _app_pat(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    text = ""
    for record in (app.iter("record") if app is not None else ()):
        template = X.text(record, "templete") or X.text(record, "template")
        for user in (X.text(record, "fromUser"), X.text(record, "pattedUser")):
            if user:
                template = template.replace(f"${{{user}}}", name_of(user))
        text = template or text
    return Rendered(text or X.text(app, "title") or "[Pat]", "pat", system=True)


def _app_sticker(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    return Rendered("[Sticker]", "sticker", card=card("sticker", X.text(app, "title") or "Sticker"))


def _app_group_notice(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    notice = X.text(app, "textannouncement") or X.text(app, "title")
    return Rendered(f"[Group notice] {notice}", "group-notice", card=card("app", "Group notice", notice))


def _app_live_location(root: ET.Element, app: ET.Element | None, sub: int, name_of: NameOf) -> Rendered:
    return Rendered("[Live location sharing] " + X.text(app, "title"), "live-location", system=False)


_APP_HANDLERS: dict[int, Callable[[ET.Element, ET.Element | None, int, NameOf], Rendered]] = {
    5: _app_link, 6: _app_file, 8: _app_sticker, 15: _app_sticker, 17: _app_live_location, 19: _app_chat_history,
    33: _app_mini_program, 36: _app_mini_program, 57: _app_quote, 62: _app_pat, 87: _app_group_notice,
    2000: _app_transfer, 2001: _app_red_packet,
}

_HANDLERS: dict[int, Callable[[str, NameOf], Rendered]] = {
    3: _image, 34: _voice, 35: _mail, 37: _friend_request, 42: _contact_card, 43: _video, 47: _sticker,
    48: _location, 49: _app, 50: _call, 62: _video, 64: _json_notice, 66: _contact_card, 9999: _json_notice,
    10000: _system, 10002: _system,
}
