"""What the fault tests against the real PostgreSQL and Redis share: signed-in HTTP clients and request bodies
for a server in another thread or process, and that server (the production WSGI app on a free port)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import select
import socket
import string
import subprocess
import sys
import textwrap
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from conftest import _pg_url

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def signed_in_cookies(user) -> dict[str, str]:
    """Session and CSRF cookies of a signed-in user, usable against any server on the test database."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    # An unmasked 32-character CSRF secret is a valid cookie and a valid token.
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf}


def api_session_body(exercise, day: dt.date, pain: int, **extra) -> dict:
    return {"exercise": exercise.pk, "date": day.isoformat(), "duration_min": 10, "speed_kmh": 2.5,
            "incline_pct": 0, "pain_during": pain, "pain_after": min(pain, 3), **extra}


def form_session_body(exercise, day: dt.date, pain: int, client_uuid: uuid.UUID, csrf: str) -> dict:
    return {"exercise": exercise.pk, "date": day.isoformat(), "completed": "yes", "duration_min": 10,
            "speed_kmh": "2.5", "incline_pct": "0", "pain_during": pain, "pain_after": min(pain, 3),
            "client_uuid": str(client_uuid), "csrfmiddlewaretoken": csrf}


def web_env(*, redis_url: str) -> dict[str, str]:
    """Environment of a second process that shares the PostgreSQL test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = _pg_url(settings.DATABASES["default"])
    env["REDIS_URL"] = redis_url
    return env


SERVER_SCRIPT = textwrap.dedent("""
    # The production WSGI entry point behind Django's threaded development server, on a free port.
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from clinic.wsgi import application
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(application)
    print(server.server_address[1], flush=True)
    server.serve_forever()
""")


@contextmanager
def web_server(*, redis_url: str, log_name: str):
    """Run the app in its own process with `redis_url` as broker and cache; yields (base URL, log path)."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT], cwd=ROOT, env=web_env(redis_url=redis_url),
                                   stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline().strip() if ready else ""
            if not line.isdigit():
                pytest.fail(f"the web server did not start:\n{log_path.read_text()}")
            yield f"http://127.0.0.1:{line}", log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def hung_broker():
    """A Redis URL whose server accepts connections and never answers (a hung Redis, a half-open link)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()
        for conn in held:
            conn.close()
