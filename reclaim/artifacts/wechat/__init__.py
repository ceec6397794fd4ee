"""WeChat for iOS: every account's chats, contacts, groups and media, live and deleted.

Five kinds: ``wechat`` (messages, shown as conversations), ``wechat-contacts``
(the accounts on the phone, friends, groups with their members, official
accounts), ``wechat-favorites`` (:mod:`.favorites`), ``wechat-moments``
(:mod:`.moments`) and ``wechat-friend-requests`` (:mod:`.friend_requests`).
The classes here are thin; the work is in the submodules:
:mod:`.accounts` (who is logged in), :mod:`.contacts` (names), :mod:`.messages`
(chat tables, deleted rows), :mod:`.content` (what each message type says),
:mod:`.media` (photos, voice, video, files), :mod:`.leftovers` (files of deleted messages),
:mod:`.compression` (zstd rows),
:mod:`.fallback` (search index and chat list), :mod:`.emoji` (smiley codes),
:mod:`.wxgf` (WeChat's HEVC pictures as JPEG), :mod:`.xmltools` (forgiving XML).
"""

from __future__ import annotations

from collections.abc import Iterator

from reclaim.artifacts.base import Artifact, FileSpec, NothingFound
from reclaim.artifacts.wechat import favorites, friend_requests, messages, moments
from reclaim.artifacts.wechat.accounts import DOMAIN, Account, inventory
from reclaim.artifacts.wechat.contacts import Contact, Directory, iter_sorted, load
from reclaim.artifacts.wechat.favorites import WeChatFavorite
from reclaim.artifacts.wechat.friend_requests import WeChatFriendRequest
from reclaim.artifacts.wechat.media import MediaFinder
from reclaim.artifacts.wechat.moments import WeChatMoment
from reclaim.artifacts.wechat.records import WeChatContact, WeChatMessage
from reclaim.case.context import ScanContext

__all__ = ["WeChatContact", "WeChatContacts", "WeChatFavorite", "WeChatFavorites", "WeChatFriendRequest",
           "WeChatFriendRequests", "WeChatMessage", "WeChatMessages", "WeChatMoment", "WeChatMoments"]

_FILES = (
    FileSpec(DOMAIN, "Documents/*/DB/MM.sqlite"),
    FileSpec(DOMAIN, "Documents/*/DB/message_*.sqlite"),
    FileSpec(DOMAIN, "Documents/*/DB/WCDB_Contact.sqlite", required=False),
)


def _check(ctx: ScanContext) -> None:
    if not inventory(ctx.fs).accounts:
        if next(ctx.fs.find(DOMAIN, "*"), None) is None:
            raise NothingFound(f"WeChat is not in this source (no {DOMAIN} files)")
        raise NothingFound("WeChat is installed but no account folder with chat databases was found")


class WeChatMessages(Artifact):
    """Messages of every WeChat account: text, photos, voice, video, files, transfers, calls, system notices."""

    kind = "wechat"
    title = "WeChat"
    record = WeChatMessage
    files = _FILES
    view = "chat"
    formats = ("html", "txt")

    def check(self, ctx: ScanContext) -> None:
        _check(ctx)

    def extract(self, ctx: ScanContext) -> Iterator[WeChatMessage]:
        yield from messages.extract(ctx)


class WeChatContacts(Artifact):
    """The WeChat accounts on the phone, their friends, groups (with members) and official accounts."""

    kind = "wechat-contacts"
    title = "WeChat contacts"
    record = WeChatContact
    files = _FILES
    view = "cards"

    def check(self, ctx: ScanContext) -> None:
        _check(ctx)

    def extract(self, ctx: ScanContext) -> Iterator[WeChatContact]:
        inv = inventory(ctx.fs)
        for account in inv.accounts:
            directory = load(ctx, account, lookup=False)  # (its records: a damaged one stops the kind)
            media = MediaFinder(ctx, account)
            record = _account_record(account, directory, inv.version)
            record.photo = media.avatar(account.wxid) if account.wxid else None
            yield record
            for contact in iter_sorted(directory):
                if contact.username == account.wxid:
                    continue
                record = _contact_record(account, directory, contact)
                record.photo = media.avatar(contact.username)
                yield record


class WeChatFavorites(Artifact):
    """Every account's WeChat Favorites: saved texts, photos, voice, videos, links, places, files, chats, notes."""

    kind = "wechat-favorites"
    title = "WeChat favorites"
    record = WeChatFavorite
    files = (FileSpec(DOMAIN, "Library/WechatPrivate/*/Favorites/fav.db"),)
    view = "cards"

    def extract(self, ctx: ScanContext) -> Iterator[WeChatFavorite]:
        yield from favorites.extract(ctx)


class WeChatMoments(Artifact):
    """Every account's cached Moments posts (own and friends'), with likes and comments."""

    kind = "wechat-moments"
    title = "WeChat Moments"
    record = WeChatMoment
    files = (FileSpec(DOMAIN, "Documents/*/wc/wc005_008.db"),)
    view = "cards"

    def extract(self, ctx: ScanContext) -> Iterator[WeChatMoment]:
        yield from moments.extract(ctx)


class WeChatFriendRequests(Artifact):
    """Friend requests each WeChat account received and sent (the "New Friends" list)."""

    kind = "wechat-friend-requests"
    title = "WeChat friend requests"
    record = WeChatFriendRequest
    files = _FILES[:2]
    view = "table"

    def extract(self, ctx: ScanContext) -> Iterator[WeChatFriendRequest]:
        yield from friend_requests.extract(ctx)


_SEX = {1: "male", 2: "female"}


def _account_record(account: Account, directory: Directory, version: str) -> WeChatContact:
    own = directory.contacts.get(account.wxid)
    details = dict(account.details)
    details.update({"folder": account.folder, "found_in": account.found_in, "wechat_version": version})
    entry = account.message_dbs[0] if account.message_dbs else None
    return WeChatContact(
        id=f"wechat-contacts:{account.id}:account", source=f"{entry.domain}/{account.root}" if entry else "",
        account=account.id, username=account.wxid, name=account.display, nickname=account.nickname,
        alias=account.alias, category="account", avatar_url=account.avatar_url or (own.avatar_hd_url if own else ""),
        sex=_SEX.get(int(details.pop("Sex", 0) or 0), "") or (_SEX.get(own.sex, "") if own else ""),
        region=str(details.pop("City", "") or ""), signature=str(details.pop("Signature", "") or ""),
        details=details,
    )


def _contact_record(account: Account, directory: Directory, contact: Contact) -> WeChatContact:
    members = [{"username": u, "name": directory.member_name(contact.username, u), "group_nickname": nick}
               for u, nick in contact.members]
    region = ", ".join(p for p in (contact.city, contact.province) if p)
    return WeChatContact(
        id=f"wechat-contacts:{account.id}:{contact.username}", source=directory.source, account=account.id,
        username=contact.username, name=directory.chat_name(contact.username), nickname=contact.nickname,
        remark=contact.remark, alias=contact.alias, category=contact.category, sex=_SEX.get(contact.sex, ""),
        region=region, signature=contact.signature, description=contact.description,
        avatar_url=contact.avatar_hd_url or contact.avatar_url, members=members, member_count=len(members),
        group_owner=directory.name(contact.owner) if contact.owner else "",
        chat_id=f"{account.id}:{contact.username}",
    )
