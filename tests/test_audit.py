"""The audit trail: one append-only event per read or write of patient data, in the write's transaction,
browsable by clinic admins (page and API) and by nobody else."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from patients.models import SessionLog
from tests.api.support import api, rows, walk  # noqa: F401 (fixtures)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def signed_in(user) -> Client:
    client = Client(HTTP_USER_AGENT="AuditTest/1.0")
    client.force_login(user)
    return client


def phone_session(world) -> dict:
    from patients.services import clinic_today

    return {"exercise": walk(world.assignment_a1).pk, "date": clinic_today(world.clinic_a).isoformat(),
            "completed": "yes", "duration_min": "12", "speed_kmh": "2.5", "incline_pct": "0", "pain_during": "2",
            "pain_after": "1",
            "client_uuid": str(uuid.uuid4())}


def only_event(**lookup) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**lookup))
    assert len(events) == 1, events
    return events[0]


def test_staff_page_read_records_who_what_when_and_where_from(world):
    client = signed_in(world.therapist_a)
    response = client.get(reverse("patients:detail", args=[world.patient_a1.pk]), REMOTE_ADDR="203.0.113.9",
                          HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 200
    event = only_event()
    assert (event.clinic_id, event.user_id, event.api_key_id) == (world.clinic_a.pk, world.therapist_a.pk, None)
    assert (event.actor_role, event.action, event.method) == ("therapist", "read", "GET")
    assert (event.route, event.object_type, event.object_id) == ("patients:detail", "patient", str(world.patient_a1.pk))
    assert event.patient_id == world.patient_a1.pk
    assert event.ip_address == "203.0.113.9" and event.user_agent == "AuditTest/1.0"
    assert event.request_id == "req-0123456789" == response["X-Request-ID"]
    assert event.status_code == 200 and event.occurred_at is not None


def test_request_id_is_made_when_missing_or_unsafe(world):
    client = signed_in(world.therapist_a)
    response = client.get(reverse("patients:list"), HTTP_X_REQUEST_ID="<script>")
    event = only_event()
    assert event.request_id == response["X-Request-ID"] != "<script>"
    assert len(event.request_id) == 32


def test_forwarded_address_is_trusted_only_when_configured(world, settings):
    client = signed_in(world.therapist_a)
    url = reverse("patients:list")
    client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7")
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7")
    first, second = AuditEvent.objects.order_by("id")
    assert first.ip_address == "10.0.0.2"
    assert second.ip_address == "192.0.2.7"  # the hop our own proxy added, not what the client claimed


def test_patient_phone_write_records_the_new_session(world):
    client = signed_in(world.patient_a1.user)
    response = client.post(reverse("patients:log-session"), phone_session(world))
    assert response.status_code == 302, response.content
    session = SessionLog.objects.get(patient=world.patient_a1)
    event = only_event(action="write")
    assert (event.route, event.object_type, event.object_id) == ("patients:log-session", "session", str(session.pk))
    assert event.patient_id == world.patient_a1.pk and event.actor_role == "patient"


def test_api_reads_and_writes_record_objects_and_patients(world, rows, api):
    therapist = api("therapist_a")
    assert therapist.get(f"/api/v1/sessions/{rows.session_a1.pk}/").status_code == 200
    event = only_event(route="session-detail")
    assert (event.object_type, event.object_id, event.patient_id) == ("session", str(rows.session_a1.pk),
                                                                      world.patient_a1.pk)
    created = therapist.post("/api/v1/measurements/", {"patient": world.patient_a1.pk, "effusion": "trace"})
    assert created.status_code == 201, created.content
    event = only_event(route="measurement-list", action="write")
    assert event.object_id == str(created.json()["id"]) and event.patient_id == world.patient_a1.pk


def test_api_key_report_pulls_json_and_csv_are_recorded_against_the_key(world, api):
    client = api("key_a")
    assert client.get("/api/v1/reports/adherence/").status_code == 200
    assert client.get("/api/v1/reports/adherence/?format=csv").status_code == 200
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.object_type for e in events] == ["adherence_report", "adherence_report"]
    assert all(e.api_key_id and e.user_id is None and e.actor_role == "api_key" for e in events)
    assert all(e.clinic_id == world.clinic_a.pk for e in events)
    assert events[0].detail["format"] == "json" and events[1].detail["format"] == "csv"


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("revoked_key_a", 401), ("therapist_b", 404),
                                          ("patient_a2", 404), ("patient_b1", 404)])
def test_refused_requests_read_nothing_and_record_nothing(world, rows, api, role, status):
    response = api(role).get(f"/api/v1/sessions/{rows.session_a1.pk}/")
    assert response.status_code == status
    assert not AuditEvent.objects.exists()


def test_a_failed_write_leaves_neither_rows_nor_an_event(world, api):
    response = api("patient_a1").post("/api/v1/sessions/", {"exercise": walk(world.assignment_a1).pk,
                                                              "duration_min": 10, "pain_during": 11,
                                                              "pain_after": 1})
    assert response.status_code == 400
    assert not SessionLog.objects.exists() and not AuditEvent.objects.exists()


def test_the_event_is_written_in_the_same_transaction_as_the_write(world):
    """If the event cannot be written, the session it describes is not kept either."""
    client = signed_in(world.patient_a1.user)
    client.raise_request_exception = False
    body = phone_session(world)
    with mock.patch("clinic.audit.AuditEvent.objects.create", side_effect=DatabaseError("audit store down")):
        response = client.post(reverse("patients:log-session"), body)
    assert response.status_code == 500
    assert not SessionLog.objects.exists()


def test_invitation_page_opened_by_token_is_recorded_for_the_patients_clinic(world):
    from patients.services import invitation_create

    world.patient_a2.email = "arlo@a.test"
    world.patient_a2.save(update_fields=["email"])
    _invitation, link = invitation_create(patient=world.patient_a2, created_by=world.therapist_a)
    assert Client().get(link.replace("http://127.0.0.1:8000", "")).status_code in (200, 410)
    event = only_event()
    assert (event.clinic_id, event.patient_id, event.user_id, event.actor_role) == (
        world.clinic_a.pk, world.patient_a2.pk, None, "anonymous")


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    signed_in(world.therapist_a).get(reverse("patients:list"))
    event = only_event()
    event.route = "forged"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).update(route="forged")
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).route == "patients:list"


def test_postgresql_refuses_updates_and_deletes_below_the_orm(world, require):
    require(connection.vendor == "postgresql", "the append-only trigger exists on PostgreSQL only")
    signed_in(world.therapist_a).get(reverse("patients:list"))
    event = only_event()
    for sql in ("UPDATE clinic_auditevent SET route = 'forged' WHERE id = %s",
                "DELETE FROM clinic_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).route == "patients:list"


def test_django_admin_shows_events_read_only(world):
    superuser = UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)
    signed_in(world.therapist_a).get(reverse("patients:list"))
    event = only_event()
    client = signed_in(superuser)
    assert client.get(reverse("admin:clinic_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:clinic_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:clinic_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:clinic_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    page = client.post(reverse("admin:clinic_auditevent_change", args=[event.pk]), {"route": "forged"})
    assert page.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).route == "patients:list"


def test_django_admin_reads_of_patient_data_are_audited(world):
    superuser = UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)
    client = signed_in(superuser)
    assert client.get(reverse("admin:patients_patient_change", args=[world.patient_a1.pk])).status_code == 200
    event = only_event()
    assert (event.actor_role, event.object_type, event.object_id) == ("site_admin", "patient", str(world.patient_a1.pk))


# --- Browsing the trail --------------------------------------------------------------------------------------

def _some_events(world, rows, api):
    signed_in(world.therapist_a).get(reverse("patients:detail", args=[world.patient_a1.pk]))
    signed_in(world.therapist_a).get(reverse("patients:detail", args=[world.patient_a2.pk]))
    signed_in(world.patient_a1.user).get(reverse("patients:history"))
    api("key_a").get("/api/v1/reports/adherence/")
    signed_in(world.therapist_b).get(reverse("patients:detail", args=[world.patient_b1.pk]))


def test_clinic_admin_page_lists_and_filters_the_clinics_events(world, rows, api, django_assert_max_num_queries):
    _some_events(world, rows, api)
    client = signed_in(world.admin_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("clinic-admin:audit"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "4 events" in html and world.patient_a1.full_name in html and world.patient_b1.full_name not in html
    filtered = client.get(reverse("clinic-admin:audit"), {"patient": world.patient_a1.pk})
    assert "2 events" in filtered.content.decode()
    writes = client.get(reverse("clinic-admin:audit"), {"action": "write"})
    assert "No events match these filters" in writes.content.decode()


def test_audit_page_is_for_clinic_admins_only(world):
    for user in (world.therapist_a, world.patient_a1.user):
        assert signed_in(user).get(reverse("clinic-admin:audit")).status_code == 403
    anonymous = Client().get(reverse("clinic-admin:audit"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_empty_trail_says_what_will_appear(world):
    page = signed_in(world.admin_a).get(reverse("clinic-admin:audit"))
    assert "Nothing recorded yet" in page.content.decode()


def test_audit_events_api_for_clinic_admins(world, rows, api):
    _some_events(world, rows, api)
    admin = api("admin_a")
    listing = admin.get("/api/v1/audit-events/")
    assert listing.status_code == 200
    body = listing.json()
    assert body["count"] == 4
    assert {row["clinic"] for row in body["results"]} == {world.clinic_a.pk}
    assert admin.get("/api/v1/audit-events/", {"object_type": "adherence_report"}).json()["count"] == 1
    assert admin.get("/api/v1/audit-events/", {"patient": world.patient_a2.pk}).json()["count"] == 1
    assert admin.get("/api/v1/audit-events/", {"action": "sideways"}).status_code == 400
    one = body["results"][0]["id"]
    assert admin.get(f"/api/v1/audit-events/{one}/").status_code == 200
    assert admin.delete(f"/api/v1/audit-events/{one}/").status_code == 405
    assert admin.patch(f"/api/v1/audit-events/{one}/", {"route": "forged"}).status_code == 405
    assert admin.post("/api/v1/audit-events/", {"route": "forged"}).status_code == 405
    for role, status in (("therapist_a", 403), ("patient_a1", 403), ("key_a", 403), ("anonymous", 401),
                         ("therapist_b", 403)):
        assert api(role).get("/api/v1/audit-events/").status_code == status, role
    other = AuditEvent.objects.filter(clinic=world.clinic_b).values_list("pk", flat=True).first()
    assert admin.get(f"/api/v1/audit-events/{other}/").status_code == 404
