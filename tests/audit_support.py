"""What the audit-trail suites (test_audit.py, test_audit_patients.py) share: a signed-in browser, the one event
a request wrote, and the trail as a clinic member reads it over the API."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from clinic.models import AuditEvent


def signed_in(user) -> Client:
    client = Client(HTTP_USER_AGENT="AuditTest/1.0")
    client.force_login(user)
    return client


def only_event(**lookup) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**lookup))
    assert len(events) == 1, events
    return events[0]


def api_events(world, role) -> list[dict]:
    client = APIClient()
    client.force_login(getattr(world, role))
    return client.get("/api/v1/audit-events/").json()["results"]
