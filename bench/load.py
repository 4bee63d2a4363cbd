"""Session logging over HTTP: a gunicorn server and a small load generator written for the bench.

The generator is threads, each with its own `http.client` connection
(keep-alive when the server keeps the connection open; gunicorn's sync
workers close it after each response, and http.client then reconnects).
It talks to 127.0.0.1 only, and stops at a time limit or a request count,
whichever comes first.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

LOOPBACK = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(RuntimeError):
    """The bench could not measure something (a server did not start, a response was wrong)."""


def database_env() -> dict[str, str]:
    """Environment for a child process (gunicorn, a Celery worker) that must use the database we use.

    Taken from the live connection, so under pytest it is the test database.
    """
    config = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        user = quote(config.get("USER") or "")
        password = f":{quote(config['PASSWORD'])}" if config.get("PASSWORD") else ""
        host = config.get("HOST") or "127.0.0.1"
        port = config.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"
    elif connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(config["NAME"])
    env.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    return env


def shareable_database() -> bool:
    """Can another process open our database? Not an in-memory SQLite one (the test suite's)."""
    if connection.vendor != "sqlite":
        return True
    name = str(connection.settings_dict["NAME"])
    return not (name == ":memory:" or "mode=memory" in name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn clinic.wsgi:application` with 2 workers on a free loopback port, same environment."""

    def __init__(self, workers: int = 2, env: dict[str, str] | None = None):
        self.workers = workers
        self.env = env or database_env()
        self.port = free_port()
        self.log_path = Path(tempfile.gettempdir()) / f"backstep-bench-gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "--workers", str(self.workers),
             "--bind", f"{LOOPBACK}:{self.port}", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited early; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise BenchError(f"gunicorn did not answer /healthz within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.requests - self.errors

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def run_load(*, port: int, make_request: Callable[[int, int], Request], expect: int, concurrency: int = 8,
             seconds: float = 20.0, max_requests: int = 1_000_000) -> LoadResult:
    """`concurrency` threads send requests for `seconds` (or until `max_requests`); latency per request.

    `make_request(thread, n)` gives each request; a response whose status is
    not `expect`, or any connection error, counts as an error.
    """
    result = LoadResult()
    lock = threading.Lock()
    sent = 0
    start = time.perf_counter()
    deadline = start + seconds
    finished: list[float] = []

    def worker(thread: int) -> None:
        nonlocal sent
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        n = 0
        latencies, statuses, errors, count = [], {}, 0, 0
        while True:
            with lock:
                if sent >= max_requests or time.perf_counter() >= deadline:
                    break
                sent += 1
            method, path, body, headers = make_request(thread, n)
            n += 1
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 0
            took = (time.perf_counter() - began) * 1000
            count += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status == expect:
                latencies.append(took)
            else:
                errors += 1
        conn.close()
        with lock:
            result.requests += count
            result.errors += errors
            result.latencies_ms += latencies
            for status, k in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + k
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed_s = (max(finished) if finished else time.perf_counter()) - start
    return result


@dataclass(frozen=True)
class PostingPatient:
    """A signed-in patient: session and CSRF cookies, the form token, and the plan's values to log."""

    cookie: str
    csrf_token: str
    exercise_id: int
    duration_min: int
    speed_kmh: str
    incline_pct: str


def signed_in_patients(user_ids: list[int], sessions: list[str]) -> list[PostingPatient]:
    """Sign each patient in (Django's test client + force_login: a real session row) and read /log/ once.

    The session cookie, the CSRF cookie and the form's token are then used by
    the load generator exactly as a phone's browser would send them.
    """
    from django.test import Client

    from clinic.clock import clinic_today
    from clinic.models import User
    from patients import selectors
    from patients.models import Patient

    users = User.objects.in_bulk(user_ids)
    patients = {p.user_id: p for p in Patient.objects.filter(user_id__in=user_ids).select_related("clinic")}
    posting = []
    for user_id in user_ids:
        client = Client()
        client.force_login(users[user_id])
        response = client.get("/log/")
        if response.status_code != 200:
            raise BenchError(f"GET /log/ as a bench patient answered {response.status_code}")
        token = CSRF_INPUT.search(response.content.decode())
        patient = patients[user_id]
        plan = selectors.today_plan(patient=patient, today=clinic_today(patient.clinic))
        walk = next(e for e in plan.exercises if e.has_ladder)
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
        sessions.append(session_key)
        posting.append(PostingPatient(
            cookie=f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf_cookie}",
            csrf_token=token.group(1) if token else csrf_cookie,
            exercise_id=walk.pk,
            duration_min=walk.step_duration or walk.duration_min or 10,
            speed_kmh=str(walk.step_speed),
            incline_pct=str(walk.step_incline),
        ))
    return posting


def session_post_maker(patients: list[PostingPatient], today_iso: str,
                       concurrency: int) -> Callable[[int, int], Request]:
    """Each request: a different patient than the last (threads take turns through the list), a new client_uuid."""

    def make(thread: int, n: int) -> Request:
        patient = patients[(thread + n * concurrency) % len(patients)]
        body = urlencode({
            "csrfmiddlewaretoken": patient.csrf_token,
            "exercise": patient.exercise_id,
            "date": today_iso,
            "completed": "yes",
            "duration_min": patient.duration_min,
            "speed_kmh": patient.speed_kmh,
            "incline_pct": patient.incline_pct,
            "pain_during": 1 + n % 3,
            "pain_after": n % 3,
            "rpe": 4,
            "notes": "",
            "client_uuid": str(uuid.uuid4()),
        }).encode()
        return "POST", "/log/", body, {
            "Cookie": patient.cookie,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Connection": "keep-alive",
        }

    return make


def healthz_maker(thread: int, n: int) -> Request:
    return "GET", "/healthz", None, {"Connection": "keep-alive"}
