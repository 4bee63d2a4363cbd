"""POST /api/v1/outcomes/score/: every score or the reason, 400 naming what is wrong, nothing stored."""

import json

import pytest

from clinic.services import api_key_create
from outcomes.models import ImportedQuestionnaire

pytestmark = pytest.mark.django_db
URL = "/api/v1/outcomes/score/"


def post(client, body, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def test_staff_get_every_scale_with_values_as_strings(client, world, django_assert_max_num_queries):
    client.force_login(world.therapist_a)
    body = {"instrument": "koos-12", "answers": {"P1": 1, "P2": 1, "P3": 2, "P4": 2, "F1": 0, "F2": 0, "Q1": None}}
    with django_assert_max_num_queries(6):  # session and role only: scoring reads nothing
        response = post(client, body)
    assert response.status_code == 200
    data = response.json()
    assert data["instrument"] == "koos-12" and data["primary"] == "summary"
    scales = {s["scale"]: s for s in data["scales"]}
    assert scales["pain"]["value"] == "62.5"
    assert scales["qol"]["value"] is None and scales["qol"]["reason"].startswith("Only 0 of 4")
    assert scales["summary"]["reason"] == "Needs every scale scored; not scorable: qol."
    assert not ImportedQuestionnaire.objects.exists()


def test_an_api_key_may_score(client, world):
    _key, raw = api_key_create(clinic=world.clinic_a, name="reporting")
    response = post(client, {"instrument": "sane", "answers": {"SANE": 70}}, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200 and response.json()["scales"][0]["value"] == "70.0"


def test_anonymous_is_401_and_a_patient_is_403(client, world):
    assert post(client, {"instrument": "sane", "answers": {"SANE": 70}}).status_code == 401
    client.force_login(world.patient_a1.user)
    assert post(client, {"instrument": "sane", "answers": {"SANE": 70}}).status_code == 403


@pytest.mark.parametrize(("body", "errors"), [
    ({"instrument": "koos-99", "answers": {}}, {"instrument"}),
    ({"instrument": "koos", "answers": {"X9": 1}}, {"answers"}),
    ({"answers": {"P1": 1}}, {"instrument"}),
    ({"instrument": "koos"}, {"answers"}),
    ({"instrument": "koos", "answers": [1, 2]}, {"answers"}),
    ({"instrument": "koos", "answers": {"P1": "2"}}, {"answers"}),
    ({"instrument": "koos", "answers": {"P1": 2.5}}, {"answers"}),
    ({"instrument": "koos", "answers": {"P1": True}}, {"answers"}),
    ({"instrument": "koos", "answers": {f"K{n}": 1 for n in range(101)}}, {"answers"}),
])
def test_bad_input_is_a_400_naming_the_field(client, world, body, errors):
    client.force_login(world.therapist_a)
    response = post(client, body)
    assert response.status_code == 400
    assert set(response.json()) == errors


def test_a_value_the_item_does_not_allow_names_the_item(client, world):
    client.force_login(world.therapist_b)
    response = post(client, {"instrument": "akps", "answers": {"K1": 5, "K3": 4}})
    assert response.status_code == 400
    assert response.json() == {"answers": {"K3": ["4 is not an allowed answer; allowed: 0, 2, 3, 5."]}}


def test_not_json_is_refused(client, world):
    client.force_login(world.therapist_a)
    response = client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400
