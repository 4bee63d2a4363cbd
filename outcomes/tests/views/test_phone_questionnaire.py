"""The phone's questionnaire pages: the due card on today's page, the flow, save-as-you-go, the once-only submit;
a patient answers only their own questionnaire."""

import pytest
from django.urls import reverse

from outcomes.models import QuestionnaireResponse
from patients.outbox import outbox_owner

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def test_today_shows_the_due_questionnaire_and_the_flow_answers_it(client, world, ask):
    ask("groc")
    client.force_login(world.patient_a1.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "GROC (Global Rating of Change)" in today and reverse("outcomes:answer", args=["groc"]) in today
    page = client.get(reverse("outcomes:answer", args=["groc"])).content.decode()
    assert "how has your knee changed overall" in page and "A very great deal better" in page
    assert 'data-save-url="/outcomes/answer/groc/save/"' in page
    saved = client.post(reverse("outcomes:answer-save", args=["groc"]), {"item": "GROC", "value": "4"}, **JSON)
    assert saved.status_code == 200 and saved.json() == {"saved": 1, "status": "draft"}
    sent = client.post(reverse("outcomes:answer", args=["groc"]), {}, **JSON)
    assert sent.status_code == 201 and sent.json()["done"] == reverse("outcomes:answered", args=["groc"])
    again = client.post(reverse("outcomes:answer", args=["groc"]), {"a:GROC": "-7"}, **JSON)
    assert again.status_code == 200 and again.json()["response"] == sent.json()["response"]
    response = QuestionnaireResponse.objects.get()
    assert response.answers == {"GROC": 4} and str(response.primary_score) == "4.0"
    done = client.get(reverse("outcomes:answered", args=["groc"])).content.decode()
    assert "Change since starting" in done and "4.0" in done
    assert "GROC" not in client.get(reverse("patients:today")).content.decode()
    # The form again, once submitted, goes to the scores.
    assert client.get(reverse("outcomes:answer", args=["groc"])).status_code == 302


def test_refusals_are_said_in_words(client, world, ask):
    ask("sane")
    client.force_login(world.patient_a1.user)
    url = reverse("outcomes:answer", args=["sane"])
    bad = client.post(reverse("outcomes:answer-save", args=["sane"]), {"item": "SANE", "value": "101"}, **JSON)
    assert bad.status_code == 400 and "not an answer" in str(bad.json())
    page = client.post(url, {"a:SANE": "abc"})
    assert page.status_code == 400 and "whole number" in page.content.decode()
    assert client.post(url, {}).status_code == 400  # nothing answered
    other = client.post(url, {"a:SANE": "50", "outbox_owner": outbox_owner(world.patient_a2)}, **JSON)
    assert other.status_code == 409 and not QuestionnaireResponse.objects.filter(status="submitted").exists()


def test_a_patient_answers_only_their_own_and_staff_none(client, world, ask):
    ask("sane")
    client.force_login(world.patient_a2.user)
    assert client.get(reverse("outcomes:answer", args=["sane"])).status_code == 404
    assert client.post(reverse("outcomes:answer", args=["sane"]), {"a:SANE": "5"}).status_code == 404
    assert client.post(reverse("outcomes:answer-save", args=["sane"]), {"item": "SANE", "value": "5"},
                       **JSON).status_code == 400
    assert client.get(reverse("outcomes:answer", args=["nope"])).status_code == 404
    client.force_login(world.patient_b1.user)
    assert client.get(reverse("outcomes:answer", args=["sane"])).status_code == 404
    client.force_login(world.therapist_a)
    assert client.get(reverse("outcomes:answer", args=["sane"])).status_code == 403
    assert not QuestionnaireResponse.objects.exists()


def test_psfs_asks_for_activities_then_one_screen_each(client, world, ask):
    ask("psfs")
    client.force_login(world.patient_a1.user)
    url = reverse("outcomes:answer", args=["psfs"])
    assert "Which activities are hard" in client.get(url).content.decode()
    named = client.post(reverse("outcomes:answer-save", args=["psfs"]), {"item": "", "activity": ["Stairs", "Kneel"]})
    assert named.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('class="bs-q-screen card') == 2 and "Stairs" in page and "Kneel" in page
    assert client.post(url, {"a:A1": "3", "a:A2": "5"}).status_code == 302
    assert str(QuestionnaireResponse.objects.get().primary_score) == "4.0"


def test_licensed_questionnaire_without_the_clinics_wording_is_not_asked(client, world, ask):
    ask("lefs")
    client.force_login(world.patient_a1.user)
    assert "LEFS" not in client.get(reverse("patients:today")).content.decode()
    assert client.get(reverse("outcomes:answer", args=["lefs"])).status_code == 404


def test_today_page_query_count_does_not_grow_with_questionnaires(client, world, ask, django_assert_max_num_queries):
    client.force_login(world.patient_a1.user)
    ask("sane")
    client.get(reverse("patients:today"))
    with django_assert_max_num_queries(60) as one:
        client.get(reverse("patients:today"))
    ask("groc")
    ask("psfs")
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("patients:today"))
