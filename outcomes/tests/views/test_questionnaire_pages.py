"""The clinic admin's questionnaire pages: list, upload, confirm, refusals, and who may see them."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.models import AuditEvent
from outcomes.demo_wording import import_test_wording, questionnaire_with_test_wording
from outcomes.fhir_questionnaire import MAX_BYTES
from outcomes.models import ImportedQuestionnaire
from outcomes.tests.fixtures import fixture_bytes
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
LIST = reverse("outcomes:questionnaires")
IMPORT = reverse("outcomes:questionnaire-import")


def upload(client, raw: bytes | None, name="questionnaire.json", **fields):
    file = {} if raw is None else {"file": SimpleUploadedFile(name, raw, content_type="application/json")}
    return client.post(IMPORT, {**file, "instrument": "", **fields})


def test_happy_path_imports_and_lists_it_audited(client, world):
    client.force_login(world.admin_a)
    response = upload(client, fixture_bytes("koos_pf_test_wording.json"))
    assert response.status_code == 302 and response["Location"] == LIST
    imported = ImportedQuestionnaire.objects.get()
    assert imported.clinic == world.clinic_a and imported.instrument_id == "koos-pf"
    event = AuditEvent.objects.filter(object_type="questionnaire_import", method="POST").get()
    assert event.object_id == str(imported.pk) and event.clinic_id == world.clinic_a.pk
    page = client.get(LIST)
    assert "Imported the wording of KOOS-PF" in page.content.decode()
    assert "Test wording — not the licensed text" in page.content.decode()


def test_an_unmatched_file_asks_for_the_instrument_then_imports(client, world):
    client.force_login(world.admin_a)
    response = upload(client, fixture_bytes("lefs_unmatched_linkids.json"))
    assert response.status_code == 400
    assert "cannot tell which instrument" in response.content.decode()
    assert "Choose the instrument below" in response.content.decode()
    assert not ImportedQuestionnaire.objects.exists()
    pending = response.context["form"]["pending"].value()
    assert pending == fixture_bytes("lefs_unmatched_linkids.json").decode()
    assert 'type="hidden" name="pending"' in response.content.decode()
    response = client.post(IMPORT, {"pending": pending, "instrument": "lefs", "is_test_wording": "on"})
    assert response.status_code == 302
    assert ImportedQuestionnaire.objects.get().instrument_id == "lefs"


def test_a_count_mismatch_names_the_item(client, world):
    resource = questionnaire_with_test_wording("akps")
    resource["item"][3]["answerOption"].pop()
    client.force_login(world.admin_a)
    response = upload(client, json.dumps(resource).encode())
    assert response.status_code == 400
    assert "Item K4 has 4 answers" in response.content.decode()
    assert not ImportedQuestionnaire.objects.exists()


@pytest.mark.parametrize(("raw", "message"), [
    (b"{not json", "not valid JSON"),
    (b'{"resourceType": "Patient", "id": "x"}', "not a FHIR Questionnaire"),
    (b"", "The file is empty."),
    (None, "Choose the Questionnaire"),
])
def test_malformed_files_are_refused_in_words(client, world, raw, message):
    client.force_login(world.admin_a)
    response = upload(client, raw)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_huge_file_is_refused_unread(client, world):
    client.force_login(world.admin_a)
    response = upload(client, b" " * (2 * MAX_BYTES + 64 * 1024))
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not ImportedQuestionnaire.objects.exists()


def test_a_file_just_over_the_cap_is_refused(client, world):
    client.force_login(world.admin_a)
    response = upload(client, b" " * (MAX_BYTES + 10))
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_another_clinic_never_sees_the_import(client, world):
    import_test_wording(world.clinic_a, world.admin_a)
    admin_b = MembershipFactory(clinic=world.clinic_b, role="admin", user__email="admin@b.test").user
    client.force_login(admin_b)
    page = client.get(LIST).content.decode()
    assert "Test wording" not in page and "No questionnaires imported yet" in page


def test_non_admins_are_refused(client, world):
    client.force_login(world.therapist_a)
    assert client.get(LIST).status_code == 403
    assert upload(client, fixture_bytes("koos_pf_test_wording.json")).status_code == 403
    client.force_login(world.patient_a1.user)
    assert client.get(IMPORT).status_code == 403
    assert not ImportedQuestionnaire.objects.exists()


def test_anonymous_goes_to_sign_in(client):
    assert client.get(LIST)["Location"].startswith("/accounts/login/")
    assert client.post(IMPORT, {})["Location"].startswith("/accounts/login/")


def test_the_list_is_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for instrument_id in ("koos-pf", "akps", "lefs", "koos"):
        import_test_wording(world.clinic_a, world.admin_a, instrument_id)
        import_test_wording(world.clinic_a, world.admin_a, instrument_id)
    client.force_login(world.admin_a)
    with django_assert_max_num_queries(14):
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.content.decode().count("Replaced") >= 4


def test_a_pending_file_that_is_not_json_is_refused_in_words(client, world):
    client.force_login(world.admin_a)
    response = client.post(IMPORT, {"pending": "{nope", "instrument": "lefs"})
    assert response.status_code == 400 and "not valid JSON" in response.content.decode()
