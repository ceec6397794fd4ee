"""Finding URLs in text and taking them apart (host, registrable domain, path)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# http(s)/other schemes people get sent, and bare "www." links; stops at whitespace, quotes, brackets
# and CJK punctuation that chat apps put right after a link.
_URL = re.compile(
    r"""(?ix)
    \b(?:(?:https?|ftp|itms-services|wxp|weixin|alipays?)://[^\s<>"'`{}|\\^\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+
      |www\.[a-z0-9][a-z0-9\-.]*\.[a-z]{2,}(?:/[^\s<>"'`{}|\\^\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]*)?)
    """
)
_TRAILING = ".,;:!?)]}'\"»”’"


def find_urls(text: str) -> list[str]:
    """URLs in free text, in order, without trailing punctuation."""
    found = []
    for match in _URL.finditer(text or ""):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        if url:
            found.append(url)
    return found


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A URL's parts, lower-cased where case does not matter."""

    url: str
    scheme: str
    host: str  # IDNA/punycode form as sent, lower case, no port
    path: str
    query: str

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host.strip("[]"))
            return True
        except ValueError:
            return False

    def host_matches(self, domain: str) -> bool:
        """Whether the host is ``domain`` or one of its subdomains."""
        return host_within(self.host, domain.lower().strip("."))


def host_within(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` (lower case, no dots around) or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


def parse_url(url: str) -> ParsedUrl:
    """Split a URL (a bare ``www.`` link counts as http)."""
    candidate = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return ParsedUrl(url, "", "", "", "")
    return ParsedUrl(url, parts.scheme.lower(), host, parts.path, parts.query)


def registrable_domain(host: str) -> str:
    """The part of a host someone registered (good enough without a public-suffix list)."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in {"co", "com", "net", "org", "gov", "edu", "ac"} and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
