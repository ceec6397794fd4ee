"""Warnings that need no indicator list, each explained in plain words.

They are hints, not verdicts: a shortened link is often harmless, but a person
checking a parent's or child's phone wants to look at it twice.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from reclaim.links.urls import ParsedUrl, host_within, parse_url, registrable_domain

SHORTENERS = frozenset({
    "bit.ly", "bitly.com", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "buff.ly", "cutt.ly", "rebrand.ly",
    "t.cn", "url.cn", "dwz.cn", "suo.im", "s.id", "rb.gy", "shorturl.at", "tiny.cc", "v.gd", "bl.ink", "t.ly",
    "lnkd.in", "qrco.de", "u.to", "clck.ru", "x.gd", "surl.li", "shorturl.asia", "w.url.cn", "0x0.st",
})

#: Domains where payment pages legitimately live.
PAYMENT_DOMAINS = frozenset({
    "alipay.com", "tenpay.com", "wechatpay.com", "weixin.qq.com", "wechat.com", "qq.com", "paypal.com",
    "apple.com", "stripe.com", "unionpay.com", "95516.com", "revolut.com", "wise.com", "venmo.com",
    "cash.app", "squareup.com", "google.com", "amazon.com", "taobao.com", "tmall.com", "jd.com",
})
PAYMENT_WORDS = ("pay", "wallet", "redpacket", "red-packet", "hongbao", "transfer", "refund", "bank", "checkout",
                 "支付", "红包", "转账", "退款", "收款", "付款")

#: Brands people are lured with, and the domains they really use.
BRANDS: dict[str, frozenset[str]] = {
    "apple": frozenset({"apple.com", "icloud.com", "apple.co"}),
    "icloud": frozenset({"icloud.com", "apple.com"}),
    "wechat": frozenset({"wechat.com", "qq.com", "weixin.qq.com", "wechatpay.com"}),
    "weixin": frozenset({"qq.com", "wechat.com"}),
    "alipay": frozenset({"alipay.com", "alipayobjects.com"}),
    "paypal": frozenset({"paypal.com", "paypal.me"}),
    "whatsapp": frozenset({"whatsapp.com", "whatsapp.net", "wa.me"}),
    "google": frozenset({"google.com", "goo.gl", "youtube.com", "google.co.uk"}),
    "microsoft": frozenset({"microsoft.com", "live.com", "office.com", "outlook.com"}),
    "amazon": frozenset({"amazon.com", "amazon.co.uk", "amazon.cn", "amzn.to"}),
    "taobao": frozenset({"taobao.com"}),
    "tenpay": frozenset({"tenpay.com"}),
    "unionpay": frozenset({"unionpay.com", "95516.com"}),
    "icbc": frozenset({"icbc.com.cn"}),
    "hsbc": frozenset({"hsbc.com", "hsbc.co.uk", "hsbc.com.hk"}),
}
_HOMOGLYPHS = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a"})
LURE_WORDS = frozenset({"pay", "id", "login", "verify", "support", "service", "secure", "account", "help", "cn",
                        "hk", "bank", "wallet", "online", "update"})
PACKAGE_SUFFIXES = (".apk", ".ipa", ".mobileconfig", ".exe", ".msi", ".dmg", ".pkg", ".xapk", ".scr")


@dataclass(frozen=True, slots=True)
class Warning:
    """A plain-language reason to look at a link twice."""

    code: str
    severity: str  # "danger" or "caution"
    message: str


def check_link(url: str, visible_text: str | None = None) -> list[Warning]:
    """Every warning that applies to a link (optionally shown to the user as ``visible_text``)."""
    link = parse_url(url)
    warnings: list[Warning] = []
    if not link.host and link.scheme not in {"itms-services"}:
        return warnings
    if visible_text:
        warnings += _text_mismatch(link, visible_text)
    if any(label.startswith("xn--") for label in link.host.split(".")):
        shown = _unicode_host(link.host)
        warnings.append(Warning("punycode", "danger",
                                f"The address uses international letters that can imitate another site: it reads "
                                f"'{shown}'."))
    if _looks_alike(link.host):
        warnings.append(Warning("lookalike", "danger",
                                f"'{link.host}' looks like a well-known brand's address but is not one of its sites."))
    if link.is_ip:
        warnings.append(Warning("ip-address", "caution",
                                "The link goes to a bare number (IP address) instead of a named site, which "
                                "legitimate services rarely do."))
    if link.host in SHORTENERS:
        warnings.append(Warning("shortener", "caution",
                                f"'{link.host}' is a link shortener: the real destination is hidden until opened."))
    path = link.path.lower()
    if link.scheme == "itms-services" or path.endswith(PACKAGE_SUFFIXES):
        what = "a configuration profile" if path.endswith(".mobileconfig") else "an app to install"
        warnings.append(Warning("app-package", "danger",
                                f"The link downloads {what} from outside the App Store, a common way to install "
                                "spyware or take control of a phone."))
    if _payment_like(link):
        warnings.append(Warning("payment-page", "danger",
                                f"It looks like a payment or red-packet page, but '{registrable_domain(link.host)}' is "
                                "not a known payment site."))
    return warnings


def _unicode_host(host: str) -> str:
    try:
        return host.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return host


def _text_mismatch(link: ParsedUrl, visible: str) -> list[Warning]:
    shown = visible.strip()
    if " " in shown or "." not in shown:
        return []
    shown_link = parse_url(shown)
    if not shown_link.host or "." not in shown_link.host:
        return []
    if registrable_domain(shown_link.host) != registrable_domain(link.host):
        return [Warning("text-mismatch", "danger",
                        f"The link shows '{shown}' but really goes to '{link.host}'.")]
    return []


def _skeleton(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return text.translate(_HOMOGLYPHS).replace("rn", "m").replace("vv", "w")


@functools.lru_cache(maxsize=1 << 14)
def _looks_alike(host: str) -> bool:
    """Whether a host imitates a brand's (decided once per host: a chat's links repeat a few sites)."""
    domain = registrable_domain(_unicode_host(host))
    tokens = [t for t in re.split(r"[-_.]+", _skeleton(domain.split(".")[0])) if t]
    for brand, homes in BRANDS.items():
        if domain in homes or any(host_within(host, home) for home in homes):
            return False
        for token in tokens:
            if token == brand or (token.startswith(brand) and token[len(brand):] in LURE_WORDS):
                return True  # brand on a foreign domain or with lure words: paypal.top, apple-id-verify.com
        if len(brand) >= 5 and any(_distance(token, brand) == 1 for token in tokens):
            return True  # one letter off: paypa1.com, goog1e.com
    return False


def _distance(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 1:
        return 2
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _payment_like(link: ParsedUrl) -> bool:
    if link.scheme in {"wxp", "weixin", "alipay", "alipays"}:
        return False
    domain = registrable_domain(link.host)
    if domain in PAYMENT_DOMAINS or any(link.host_matches(d) for d in PAYMENT_DOMAINS):
        return False
    haystack = (link.host + link.path).lower()
    return any(word in haystack for word in PAYMENT_WORDS)
