"""The demo has questionnaires: SANE, GROC and PSFS answered over the weeks, KOOS-PF with test wording (labelled
as such) and its scores, outcome flags in the inbox, and a questionnaire due on the login patient's phone."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.clock import clinic_today
from clinic.models import Clinic
from outcomes.due import due_questionnaires
from outcomes.models import ClinicThreshold, ImportedQuestionnaire, QuestionnaireResponse
from patients.models import Flag, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_questionnaires_scores_flags_and_a_due_one(demo, client):
    clinic = Clinic.objects.get(slug="demo-clinic")
    assert "questionnaire responses" in demo
    submitted = QuestionnaireResponse.objects.filter(patient__clinic=clinic, status="submitted")
    for instrument_id in ("sane", "groc", "psfs", "koos-pf"):
        answered = submitted.filter(instrument_id=instrument_id)
        assert answered.values("patient").distinct().count() >= 4, instrument_id
        assert answered.values("due_date").distinct().count() >= 2, instrument_id
    assert ImportedQuestionnaire.objects.get(clinic=clinic, instrument_id="koos-pf").is_test_wording
    assert ClinicThreshold.objects.get(clinic=clinic).scale_id == "worst"
    koos = submitted.filter(instrument_id="koos-pf").first()
    assert koos.primary_score is not None and koos.scores["scales"][0]["reason"] is None
    psfs = submitted.filter(instrument_id="psfs").first()
    assert len(psfs.activities) == 3
    assert Flag.objects.filter(patient__clinic=clinic, kind="outcome_improved").exists()
    assert Flag.objects.filter(patient__clinic=clinic, kind="outcome_worse").exists()
    login = Patient.objects.get(user__email="patient@demo.clinic")
    assert "sane" in [d.instrument_id for d in due_questionnaires(patient=login, today=clinic_today(clinic))]
    client.force_login(login.user)
    assert "SANE" in client.get(reverse("patients:today")).content.decode()
    page = client.get(reverse("outcomes:answer", args=["sane"]))
    assert page.status_code == 200
    # Staff see the scores and the clinic page.
    client.force_login(login.therapist)
    detail = client.get(reverse("patients:detail", args=[login.pk])).content.decode()
    assert "KOOS-PF" in detail and "SANE" in detail
    overview = client.get(reverse("outcomes:clinic")).content.decode()
    assert "PSFS" in overview and "no follow-up yet" not in overview.split("PSFS")[1].split("</tr>")[0]
