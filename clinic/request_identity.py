"""Where a request came from: its client address and request id, trusting our own proxy's headers only.

The audit trail files events under these, and the sign-in lockout counts
failures per client address (clinic.security.lockout).
"""

from __future__ import annotations

import ipaddress
import re
import uuid

from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def proxy_trusted() -> bool:
    """True behind exactly one reverse proxy of ours that sets X-Forwarded-For and X-Request-ID itself.

    Otherwise those headers are whatever the client chose to send.
    """
    return bool(getattr(settings, "TRUST_PROXY_HEADERS", False))


def request_id_of(request) -> str:
    """Our proxy's X-Request-ID when the proxy is trusted and the id is a sane token, else a new one.

    A client must not choose the id its requests are filed under (or make
    them share one with someone else's).
    """
    if proxy_trusted():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        if _REQUEST_ID_RE.fullmatch(incoming):
            return incoming
    return uuid.uuid4().hex


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address our own proxy appended to X-Forwarded-For.

    Only the last hop is trusted (TRUST_PROXY_HEADERS=true behind one
    reverse proxy): earlier entries are whatever the client chose to send.
    """
    if proxy_trusted():
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return _valid_ip(hops[-1])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
