"""Liveness checks behind GET /healthz: can we reach the database and the broker?"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 2


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return Check(True, connection.vendor)
    except Exception as exc:  # any driver error means "not usable"
        logger.warning("health: database unreachable: %s", type(exc).__name__)
        return Check(False, f"unreachable ({type(exc).__name__})")


def check_broker() -> Check:
    """Eager mode has no broker to reach; otherwise connect with a short timeout."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Check(True, "eager (tasks run in-process)")
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_S,
            transport_options={"socket_timeout": BROKER_TIMEOUT_S, "socket_connect_timeout": BROKER_TIMEOUT_S},
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
            scheme = settings.CELERY_BROKER_URL.split(":", 1)[0]
        return Check(True, scheme)
    except Exception as exc:
        logger.warning("health: broker unreachable: %s", type(exc).__name__)
        return Check(False, f"unreachable ({type(exc).__name__})")
