"""The rules every request to the local web page passes before it reaches a route.

The page shows someone's private messages and can write files, so being on
127.0.0.1 is not enough: any web site the user visits could otherwise send requests
to it. In order:

1. **Host**: only the loopback address and our port (a DNS-rebinding page arrives
   with its own host name).
2. **Token**: the URL printed at start carries a random token; ``GET /?token=…`` turns
   it into an HttpOnly, SameSite=Strict cookie and redirects to a clean URL. Every
   other request needs that cookie.
3. **Same origin** for anything that changes state (POST): the ``Origin`` (or
   ``Referer``) must be the page itself, and the page's script must send the CSRF
   token from the page in the ``X-Reclaim-CSRF`` header.

Every response also carries a strict Content-Security-Policy and no-sniff headers.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_HEADER = "x-reclaim-csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

#: The page's own policy: nothing from anywhere else, no inline script.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self'; connect-src 'self'; frame-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def cookie_name(port: int) -> str:
    """The session cookie's name (per port: cookies are shared by every port of a host)."""
    return f"reclaim_{port}"


def loopback_hosts(port: int) -> set[str]:
    """The Host header values a request to our server may carry."""
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    jar = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar[name] = value
    return jar


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


class SecurityMiddleware:
    """Applies the host, token and same-origin rules, and adds security headers to every response."""

    def __init__(self, app: ASGIApp, *, token: str, csrf: str, port: int) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf
        self.port = port
        self.hosts = loopback_hosts(port)
        self.origins = {f"http://{h}" for h in self.hosts}
        self.cookie = cookie_name(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        page = "text/html" in headers.get("accept", "")  # a person's browser, not a script: answer with a page
        if headers.get("host", "") not in self.hosts:
            await _deny(send, 403, "This address is not allowed. Open the link reclaim printed.", page=page)
            return
        method = scope["method"].upper()
        path = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if path == "/" and method == "GET" and "token" in query:
            if _same(query["token"][0], self.token):
                await _redirect_with_cookie(send, self.cookie, self.token)
            else:
                await _deny(send, 403, "This link is out of date. Open the link reclaim printed in the terminal.",
                            page=page)
            return
        cookie = _cookies(headers.get("cookie", "")).get(self.cookie, "")
        if not cookie or not _same(cookie, self.token):
            await _deny(send, 403, "Open the link reclaim printed in the terminal (it carries a key).", page=page)
            return
        if method not in SAFE_METHODS and not self._same_origin(headers):
            await _deny(send, 403, "Refused: this request did not come from reclaim's page.", page=page)
            return
        await self.app(scope, receive, _with_security_headers(send, api=path.startswith("/api/")))

    def _same_origin(self, headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            if origin not in self.origins:
                return False
        else:
            referer = headers.get("referer", "")
            if not any(referer.startswith(o + "/") for o in self.origins):
                return False
        return _same(headers.get(CSRF_HEADER, ""), self.csrf)


def _with_security_headers(send: Send, *, api: bool) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            present = {k.lower() for k, _ in raw}
            extra = {
                b"x-content-type-options": b"nosniff",
                b"referrer-policy": b"same-origin",
                b"x-frame-options": b"SAMEORIGIN",
                b"cross-origin-opener-policy": b"same-origin",
                b"cross-origin-resource-policy": b"same-origin",
                b"content-security-policy": PAGE_CSP.encode(),
            }
            if api:
                extra[b"cache-control"] = b"no-store"
            for key, value in extra.items():
                if key not in present:
                    raw.append((key, value))
            message["headers"] = raw
        await send(message)

    return wrapped


#: The page a browser gets instead of the bare sentence: no script, no outside resource, only its own style.
_DENY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>reclaim: open the link from the terminal</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}}
main{{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}}h1{{font-size:1.3rem;margin:0 0 .75rem}}
code{{background:#eef1f5;padding:.1rem .3rem;border-radius:4px}}</style></head>
<body><main><h1>{text}</h1>
<p>reclaim's page only opens from the address it printed when it started, for example
<code>http://127.0.0.1:8000/?token=…</code>. The token keeps other programs and web sites on this
computer away from your data.</p>
<p>Look in the terminal where you ran <code>reclaim serve</code> (or <code>./run serve</code>) and open that link.</p>
</main></body></html>
"""
_DENY_CSP = (b"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
             b"frame-ancestors 'none'")


async def _deny(send: Send, status: int, text: str, *, page: bool = False) -> None:
    """Refuse a request: one sentence for scripts, a short explanatory page for a browser."""
    if page:
        body = _DENY_PAGE.format(text=html.escape(text)).encode("utf-8")
        kind = b"text/html; charset=utf-8"
    else:
        body = text.encode("utf-8")
        kind = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    if page:
        headers.append((b"content-security-policy", _DENY_CSP))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, name: str, token: str) -> None:
    cookie = f"{name}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send({
        "type": "http.response.start",
        "status": 303,
        "headers": [
            (b"location", b"/"),
            (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-length", b"0"),
        ],
    })
    await send({"type": "http.response.body", "body": b""})
