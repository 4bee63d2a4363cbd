"""The audit trail's patients: whose data a list, a report or an admin page held, filed under their clinic.

A list records the patients it contained (the first hundred, with the count of all) and what narrowed it; a
filter naming a patient the caller may not see records no such patient; a site administrator's read is filed
under each clinic whose patients it showed. The events themselves are in test_audit.py.
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from clinic.api.base import ScopedAPIMixin
from clinic.api.urls import router
from clinic.audit import AuditedModelAdmin
from clinic.audit_policy import PATIENT_API_RESOURCES
from clinic.models import AuditEvent, AuditEventPatient
from tests.api.support import api, rows, walk  # noqa: F401 (fixtures)
from tests.audit_support import api_events, only_event, signed_in
from tests.factories import PatientFactory, SessionLogFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


# --- Lists: whose data a list response held, and what narrowed it -------------------------------------------

def contained(event: AuditEvent) -> list[int]:
    return [row.patient_id for row in AuditEventPatient.objects.filter(event=event)]


def test_api_list_records_the_patients_it_contained_and_its_filters(world, rows, api):
    SessionLogFactory(exercise=walk(world.assignment_a2), date=rows.session_a1.date)
    response = api("key_a").get("/api/v1/sessions/", {"completed": "true", "date_from": "2000-01-01"})
    assert response.status_code == 200 and {r["patient"] for r in response.json()["results"]} == {
        world.patient_a1.pk, world.patient_a2.pk}
    event = only_event(route="session-list")
    assert event.patient_id is None  # a list of several patients names nobody in particular
    assert sorted(contained(event)) == sorted([world.patient_a1.pk, world.patient_a2.pk]) and event.patient_count == 2
    assert event.query == {"completed": True, "date_from": "2000-01-01", "page": 1}


def test_one_patients_sessions_pulled_with_a_filter_are_found_under_that_patient(world, rows, api):
    """?patient=1 once left nothing under patient 1: the clinic admin's filter now finds that read."""
    assert api("key_a").get("/api/v1/sessions/", {"patient": world.patient_a1.pk}).status_code == 200
    event = only_event(route="session-list")
    assert event.patient_id == world.patient_a1.pk and contained(event) == [world.patient_a1.pk]
    assert event.query["patient"] == world.patient_a1.pk

    admin = api("admin_a")
    found = admin.get("/api/v1/audit-events/", {"patient": world.patient_a1.pk}).json()["results"]
    assert [row["route"] for row in found] == ["session-list"]
    assert found[0]["patient_ids"] == [world.patient_a1.pk] and found[0]["label"] == "viewed logged sessions"
    assert admin.get("/api/v1/audit-events/", {"patient": world.patient_a2.pk}).json()["count"] == 0
    page = signed_in(world.admin_a).get(reverse("clinic-admin:audit"), {"patient": world.patient_a1.pk})
    html = page.content.decode()
    assert "1 event" in html and "viewed logged sessions" in html and world.patient_a1.full_name in html


def test_an_empty_list_for_a_patient_of_the_clinic_is_still_under_that_patient(world, api):
    assert api("key_a").get("/api/v1/measurements/", {"patient": world.patient_a2.pk}).json()["count"] == 0
    event = only_event(route="measurement-list")
    assert event.patient_id == world.patient_a2.pk and event.patient_count == 0 and contained(event) == []


@pytest.mark.parametrize("url", ["/api/v1/sessions/", "/api/v1/checkins/", "/api/v1/reports/adherence/"])
def test_a_filter_naming_another_clinics_patient_records_no_such_patient(world, rows, api, url):
    other = world.patient_b1.pk
    response = api("key_a").get(url, {"patient": other})
    assert response.status_code == 200
    event = only_event()
    assert event.clinic_id == world.clinic_a.pk
    assert event.patient_id is None and other not in contained(event)
    assert event.query["patient"] == {"not_visible": True}
    assert other not in event.query.values() and other not in (event.detail or {}).values()
    assert not AuditEventPatient.objects.filter(patient_id=other).exists()


def test_a_patient_filtering_for_another_patient_of_their_clinic_records_no_such_patient(world, rows, api):
    assert api("patient_a1").get("/api/v1/sessions/", {"patient": world.patient_a2.pk}).json()["count"] == 0
    event = only_event()
    assert event.patient_id == world.patient_a1.pk  # the caller themself, as on every patient request
    assert event.query["patient"] == {"not_visible": True} and contained(event) == []


def test_report_records_the_patients_in_its_rows_and_its_window(world, api):
    assert api("key_a").get("/api/v1/reports/adherence/", {"format": "csv", "condition": "pfp"}).status_code == 200
    event = only_event()
    assert sorted(contained(event)) == sorted([world.patient_a1.pk, world.patient_a2.pk])
    assert event.query["condition"] == "pfp" and event.query["format"] == "csv" and "start" in event.query
    assert event.label == "pulled the adherence report"


def test_patient_list_page_records_its_page_and_keeps_a_search_as_its_length_only(world):
    client = signed_in(world.therapist_a)
    assert client.get(reverse("patients:list"), {"q": "Alma", "condition": "pfp", "scope": "all"}).status_code == 200
    event = only_event()
    assert contained(event) == [world.patient_a1.pk] and event.patient_count == 1
    assert event.query == {"page": 1, "scope": "all", "condition": "pfp", "q": {"length": 4}}
    assert "Alma" not in json.dumps(event.query) + json.dumps(event.detail)
    page = signed_in(world.admin_a).get(reverse("clinic-admin:audit")).content.decode()
    assert "searched (4 characters)" in page and "viewed the patient list" in page


def test_flag_inbox_records_the_patients_of_its_flags(world, rows):
    assert signed_in(world.therapist_a).get(reverse("patients:flags"), {"scope": "x" * 300}).status_code == 200
    event = only_event()
    assert contained(event) == [world.patient_a1.pk]
    # What the page did, not what was typed: an unknown scope opens the therapist's default, their own patients.
    assert event.query == {"page": 1, "scope": "mine"}


def test_a_list_keeps_the_first_hundred_patients_and_counts_them_all(world, api):
    PatientFactory.create_batch(110, clinic=world.clinic_a, therapist=world.therapist_a)
    assert len(api("key_a").get("/api/v1/patients/", {"page_size": 200}).json()["results"]) == 112
    event = only_event()
    assert event.patient_count == 112 and len(contained(event)) == AuditEvent.PATIENTS_KEPT == 100


def test_patients_of_an_event_are_append_only_too(world, api):
    api("key_a").get("/api/v1/patients/")
    row = AuditEventPatient.objects.first()
    with pytest.raises(PermissionDenied):
        row.save()
    with pytest.raises(PermissionDenied):
        row.delete()
    with pytest.raises(PermissionDenied):
        AuditEventPatient.objects.all().update(patient_id=1)


def test_postgresql_refuses_changes_to_an_events_patients(world, api, require):
    require(connection.vendor == "postgresql", "the append-only trigger exists on PostgreSQL only")
    api("key_a").get("/api/v1/patients/")
    row = AuditEventPatient.objects.first()
    for sql in ("UPDATE clinic_auditeventpatient SET patient_id = 1 WHERE id = %s",
                "DELETE FROM clinic_auditeventpatient WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])


def test_every_patient_list_of_the_api_tells_the_trail_its_page():
    """The trail learns a list's patients from its page: an audited list endpoint must paginate."""
    audited = {basename for basename in PATIENT_API_RESOURCES if basename != "me"}  # "me" is one object
    for _prefix, viewset, basename in router.registry:
        if basename in audited:
            assert issubclass(viewset, ScopedAPIMixin) and viewset().pagination_class is not None, basename


def test_every_admin_page_of_patient_data_tells_the_trail_whose_data_it_showed():
    patient_models = [model for model in admin.site._registry if model._meta.app_label == "patients"]
    assert patient_models
    for model in patient_models:
        assert isinstance(admin.site._registry[model], AuditedModelAdmin), model


# --- Site administrators ---------------------------------------------------------------------------------------

def test_site_admin_list_read_is_filed_under_each_clinic_whose_patients_it_showed(world, rows):
    superuser = UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)
    page = signed_in(superuser).get(reverse("admin:patients_sessionlog_changelist"))
    assert page.status_code == 200
    events = {event.clinic_id: event for event in AuditEvent.objects.all()}
    assert set(events) == {world.clinic_a.pk, world.clinic_b.pk}
    assert contained(events[world.clinic_a.pk]) == [world.patient_a1.pk]
    assert contained(events[world.clinic_b.pk]) == [world.patient_b1.pk]
    assert all(e.actor_role == "site_admin" and e.user_id == superuser.pk for e in events.values())
    assert len({e.request_id for e in events.values()}) == 1  # one request, one event per clinic

    trail = signed_in(world.admin_a).get(reverse("clinic-admin:audit")).content.decode()
    assert "site administrator" in trail and "viewed a list of logged sessions in the site admin" in trail
    assert world.patient_a1.full_name in trail and world.patient_b1.full_name not in trail
    keys_view = api_events(world, "admin_a")
    assert [(row["actor_role"], row["patient_ids"]) for row in keys_view] == [("site_admin", [world.patient_a1.pk])]


def test_site_admin_opening_one_patients_row_is_filed_under_that_clinic(world, rows):
    superuser = UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)
    client = signed_in(superuser)
    assert client.get(reverse("admin:patients_sessionlog_change", args=[rows.session_b1.pk])).status_code == 200
    assert client.get(reverse("admin:patients_assignedexercise_change",
                              args=[walk(world.assignment_a1).pk])).status_code == 200
    first, second = AuditEvent.objects.order_by("id")
    assert (first.clinic_id, first.patient_id, first.object_id) == (
        world.clinic_b.pk, world.patient_b1.pk, str(rows.session_b1.pk))
    assert (second.clinic_id, second.patient_id) == (world.clinic_a.pk, world.patient_a1.pk)
    trail = signed_in(world.admin_a).get(reverse("clinic-admin:audit"), {"patient": world.patient_a1.pk})
    assert "viewed a plan exercise in the site admin" in trail.content.decode()


def test_a_site_admin_who_is_also_a_clinic_member_is_filed_under_the_data_read(world, rows):
    world_admin = world.admin_a
    world_admin.is_staff = world_admin.is_superuser = True
    world_admin.save(update_fields=["is_staff", "is_superuser"])
    assert signed_in(world_admin).get(reverse("admin:patients_patient_change",
                                              args=[world.patient_b1.pk])).status_code == 200
    event = only_event()
    assert (event.clinic_id, event.patient_id, event.actor_role) == (world.clinic_b.pk, world.patient_b1.pk,
                                                                     "site_admin")
