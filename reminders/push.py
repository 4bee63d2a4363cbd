"""Web Push with VAPID: the server's keys (from settings) and one encrypted send to one subscription.

`manage.py webpush_keys` makes a key pair (`vapid_key_pair`) and prints the
environment lines; keys never live in the repository. The browser subscribes
with the public key (`applicationServerKey`); the private key signs each send.
"""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

# A push service answers 404 or 410 for a subscription that is gone for good.
GONE_STATUSES = (404, 410)
PUSH_TIMEOUT_SECONDS = 10
PUSH_TTL_SECONDS = 2 * 3600  # a reminder two hours late is no use


class SubscriptionGone(Exception):
    """The push service says this subscription no longer exists: delete it."""


class PushNotConfigured(Exception):
    """No VAPID keys in the settings."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def vapid_key_pair() -> tuple[str, str]:
    """A new P-256 key pair as (public: uncompressed point, private: 32 raw bytes), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def push_configured() -> bool:
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)


def push_send(*, endpoint: str, p256dh: str, auth: str, payload: dict) -> None:
    """Encrypt `payload` (aes128gcm) for one subscription and post it; raises SubscriptionGone on 404/410."""
    if not push_configured():
        raise PushNotConfigured()
    try:
        webpush(subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                data=json.dumps(payload), vapid_private_key=Vapid.from_raw(settings.WEBPUSH_VAPID_PRIVATE_KEY.encode()),
                vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT}, ttl=PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS)
    except WebPushException as error:
        if error.response is not None and error.response.status_code in GONE_STATUSES:
            raise SubscriptionGone() from error
        raise
