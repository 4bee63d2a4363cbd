"""The shared page helpers (clinic.web): one copy each, used by clinic, patients and protocols views."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from clinic.tenancy import resolve_actor
from clinic.web import (
    clinic_admin_required,
    id_or_none,
    no_store,
    patient_required,
    safe_next_url,
    service_errors_to_form,
    staff_required,
)


class NameForm(forms.Form):
    name = forms.CharField()


@pytest.mark.parametrize(("candidate", "expected"), [
    ("/patients/?page=2", "/patients/?page=2"),
    ("patients:list", ""),  # a bare word would be taken for a URL name by redirect()
    ("https://evil.test/", ""),
    ("//evil.test/", ""),
    ("", ""),
    (None, ""),
])
def test_safe_next_url_keeps_paths_of_this_site_only(candidate, expected):
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert safe_next_url(request, candidate) == expected


def test_service_errors_go_beside_their_field_or_to_the_top():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    service_errors_to_form(form, ValidationError({"name": "Taken.", "elsewhere": "Not a field."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Not a field."]
    other = NameForm({"name": "x"})
    other.is_valid()
    service_errors_to_form(other, ValidationError("Refused."))
    assert other.non_field_errors() == ["Refused."]


def test_no_store_forbids_caching():
    response = no_store(HttpResponse("secret"))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_role_checks_send_anonymous_to_sign_in_and_refuse_other_roles(world):
    def view(request):
        return HttpResponse("ok")

    def request_as(user):
        request = RequestFactory().get("/page/")
        request.user = user or AnonymousUser()
        request.actor = resolve_actor(user)
        return request

    for decorator in (staff_required, clinic_admin_required):
        assert decorator(view)(request_as(None)).status_code == 302
        with pytest.raises(PermissionDenied):
            decorator(view)(request_as(world.patient_a1.user))
    assert staff_required(view)(request_as(world.therapist_a)).status_code == 200
    with pytest.raises(PermissionDenied):
        clinic_admin_required(view)(request_as(world.therapist_a))
    assert clinic_admin_required(view)(request_as(world.admin_a)).status_code == 200

    assert patient_required(view)(request_as(None)).status_code == 302
    assert patient_required(view)(request_as(world.patient_a1.user)).status_code == 200
    for staff in (world.therapist_a, world.admin_a):
        with pytest.raises(PermissionDenied):
            patient_required(view)(request_as(staff))


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1), ("42", 42), (str(2**63 - 1), 2**63 - 1),
    ("", None), ("0", None), ("-1", None), ("²", None), ("١", None), ("1.5", None), (" 1", None),
    (str(2**63), None), (str(10**30), None),
])
def test_id_or_none_reads_only_a_possible_row_id(value, expected):
    assert id_or_none(value) == expected
