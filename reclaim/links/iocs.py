"""Indicators of compromise: STIX 2 bundles (as published for spyware campaigns) and plain lists.

Only what can be matched against links is loaded: ``domain-name``, ``url`` and
``ipv4-addr``/``ipv6-addr`` patterns. Each indicator keeps its name and the name
of the malware or campaign it indicates, so a match can say what it means.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from reclaim.errors import ReclaimError
from reclaim.links.urls import ParsedUrl, parse_url

_COMPARISON = re.compile(
    r"(domain-name|url|ipv4-addr|ipv6-addr):value\s*=\s*'((?:[^'\\]|\\.)*)'", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One thing to look for, with what it is evidence of."""

    type: str  # "domain", "url" or "ip"
    value: str
    name: str  # indicator or campaign name
    source: str  # file it came from


@dataclass(frozen=True, slots=True)
class Match:
    """A link that matched an indicator."""

    indicator: Indicator
    how: str  # "exact domain", "subdomain", "url", "ip"


@dataclass
class IndicatorSet:
    """Indicators loaded from one or more files, indexed for fast matching."""

    domains: dict[str, list[Indicator]] = field(default_factory=dict)
    urls: dict[str, list[Indicator]] = field(default_factory=dict)
    ips: dict[str, list[Indicator]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(v) for v in (*self.domains.values(), *self.urls.values(), *self.ips.values()))

    def add(self, indicator: Indicator) -> None:
        table = {"domain": self.domains, "url": self.urls, "ip": self.ips}[indicator.type]
        key = normalise_url(indicator.value) if indicator.type == "url" else indicator.value.lower().strip(".")
        table.setdefault(key, []).append(indicator)

    def match(self, link: ParsedUrl) -> list[Match]:
        """Every indicator this link matches: its host (exactly or as a subdomain), its URL, or its IP."""
        found: list[Match] = []
        if link.is_ip:
            found += [Match(i, "ip") for i in self.ips.get(link.host.strip("[]"), [])]
        labels = link.host.split(".")
        for n in range(len(labels) - 1):
            candidate = ".".join(labels[n:])
            how = "exact domain" if n == 0 else "subdomain"
            found += [Match(i, how) for i in self.domains.get(candidate, [])]
        key = normalise_url(link.url)
        found += [Match(i, "url") for i in self.urls.get(key, [])]
        return found


def normalise_url(url: str) -> str:
    """A URL in the form indicators are compared in: scheme-less, lower-case host, no trailing slash."""
    parsed = parse_url(url)
    rest = parsed.path.rstrip("/") + (f"?{parsed.query}" if parsed.query else "")
    return parsed.host + rest


def load_indicators(paths: list[Path]) -> IndicatorSet:
    """Load STIX 2 bundles (``.json``/``.stix2``) and plain lists (one domain or URL per line)."""
    result = IndicatorSet()
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ReclaimError(f"cannot read indicator file ({exc.strerror})", path) from exc
        except UnicodeDecodeError as exc:
            raise ReclaimError("indicator file is not UTF-8 text", path) from exc
        stripped = text.lstrip()
        if stripped.startswith("{"):
            _load_stix(path, text, result)
        else:
            _load_list(path, text, result)
        result.files.append(str(path))
    return result


def _load_stix(path: Path, text: str, into: IndicatorSet) -> None:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReclaimError(f"not valid JSON (line {exc.lineno}): not a STIX 2 bundle", path) from exc
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    if not isinstance(objects, list):
        raise ReclaimError("a STIX 2 bundle needs an 'objects' list", path)
    names = {o.get("id"): o.get("name") for o in objects if isinstance(o, dict) and o.get("name")}
    indicates: dict[str, str] = {}
    for obj in objects:
        if isinstance(obj, dict) and obj.get("type") == "relationship" and obj.get("relationship_type") == "indicates":
            target = names.get(obj.get("target_ref"))
            if target:
                indicates[obj.get("source_ref")] = target
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        pattern = obj.get("pattern", "")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            continue
        label = indicates.get(obj.get("id")) or obj.get("name") or obj.get("id") or "indicator"
        for kind, value in _COMPARISON.findall(pattern):
            value = value.replace("\\'", "'").replace("\\\\", "\\")
            kind = kind.lower()
            typ = "domain" if kind == "domain-name" else "url" if kind == "url" else "ip"
            into.add(Indicator(typ, value, label, path.name))


def _load_list(path: Path, text: str, into: IndicatorSet) -> None:
    for line in text.splitlines():
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        parsed = parse_url(value)
        if "/" in value.split("://", 1)[-1] or "://" in value:
            into.add(Indicator("url", value, path.stem, path.name))
        elif parsed.is_ip:
            into.add(Indicator("ip", value, path.stem, path.name))
        else:
            into.add(Indicator("domain", value.lower(), path.stem, path.name))
