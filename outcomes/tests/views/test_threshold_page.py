"""The clinic's change thresholds page (/outcomes/thresholds/): staff read it, clinic admins set and reset."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from outcomes.models import ClinicThreshold
from outcomes.services import threshold_set

pytestmark = pytest.mark.django_db
PAGE = reverse("outcomes:thresholds")


def test_admin_sets_and_resets_a_threshold_audited(client, world):
    client.force_login(world.admin_a)
    response = client.post(PAGE, {"instrument": "sane", "scale": "sane", "value": "15", "action": "set"})
    assert response.status_code == 302 and response["Location"] == PAGE
    row = ClinicThreshold.objects.get()
    assert row.clinic == world.clinic_a and row.important_change == Decimal(15)
    event = AuditEvent.objects.filter(object_type="outcome_threshold", method="POST").get()
    assert event.object_id == str(row.pk) and event.detail["value"] == "15.0"
    body = client.get(PAGE).content.decode()
    assert "Saved your clinic&#x27;s threshold." in body or "Saved your clinic's threshold." in body
    assert 'value="15.0"' in body and 'value="reset"' in body
    response = client.post(PAGE, {"instrument": "sane", "scale": "sane", "value": "", "action": "reset"})
    assert response.status_code == 302 and not ClinicThreshold.objects.exists()


def test_the_page_says_which_defaults_are_unverified_and_which_are_published(client, world):
    client.force_login(world.admin_a)
    body = client.get(PAGE).content.decode()
    assert "Unverified default" in body and "Crossley 2018" in body and "Binkley 1999" in body
    assert body.count('name="scale"') == sum(1 for _ in _editable_rows())


def _editable_rows():
    from outcomes import instruments
    from outcomes.instruments.base import NO_THRESHOLD
    return [s for i in instruments.all_instruments() for s in i.scales
            if not s.threshold_verified and s.change_kind != NO_THRESHOLD]


@pytest.mark.parametrize(("fields", "words"), [
    ({"instrument": "lefs", "scale": "total", "value": "5", "action": "set"}, "published threshold"),
    ({"instrument": "sane", "scale": "sane", "value": "150", "action": "set"}, "at most 100"),
    ({"instrument": "sane", "scale": "sane", "value": "", "action": "set"}, "Give the threshold"),
    ({"instrument": "sane", "scale": "nope", "value": "5", "action": "set"}, "no scale"),
])
def test_refusals_are_shown_in_words_with_400(client, world, fields, words):
    client.force_login(world.admin_a)
    response = client.post(PAGE, fields)
    assert response.status_code == 400 and words in response.content.decode()
    assert not ClinicThreshold.objects.exists()


def test_a_therapist_sees_the_values_but_cannot_change_them(client, world):
    threshold_set(world.clinic_a, world.admin_a, "koos", "pain", 15)
    client.force_login(world.therapist_a)
    body = client.get(PAGE).content.decode()
    assert "15.0" in body and "<form" not in body.split("<table", 1)[1]
    response = client.post(PAGE, {"instrument": "sane", "scale": "sane", "value": "15", "action": "set"})
    assert response.status_code == 403
    assert ClinicThreshold.objects.count() == 1


def test_another_clinic_sees_its_own_defaults_and_cannot_change_clinic_a(client, world):
    threshold_set(world.clinic_a, world.admin_a, "koos", "pain", 15)
    client.force_login(world.therapist_b)
    body = client.get(PAGE).content.decode()
    assert "15.0" not in body
    assert client.post(PAGE, {"instrument": "koos", "scale": "pain", "value": "", "action": "reset"}).status_code \
        == 403
    assert ClinicThreshold.objects.get().important_change == Decimal(15)


def test_signed_out_and_patients_are_turned_away(client, world):
    assert client.get(PAGE)["Location"].startswith("/accounts/login/")
    client.force_login(world.patient_a1.user)
    assert client.get(PAGE).status_code == 403


def test_the_page_is_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for scale_id in ("pain", "symptoms", "adl", "sport", "qol"):
        threshold_set(world.clinic_a, world.admin_a, "koos", scale_id, 12)
    client.force_login(world.admin_a)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200


def test_a_german_admin_reads_the_licensed_instruments_and_scales_in_german(client, world):
    from clinic.tests.language_support import read_in

    client.force_login(world.admin_a)
    body = client.get(PAGE, **read_in(client, "de", world.admin_a)).content.decode()
    assert "KOOS (Fragebogen zu Knieverletzungen und Arthrose)" in body
    assert "Aktivitäten des täglichen Lebens" in body and "Tegner-Aktivitätsniveau" in body
    assert "Activities of daily living" not in body and "Tegner activity level" not in body
