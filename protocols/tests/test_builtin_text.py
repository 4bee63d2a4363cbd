"""Backstep's built-in library in the reader's language; what a clinic made or edited, exactly as written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from clinic.builtin_text import builtin_text, is_builtin_text
from clinic.tests.language_support import read_in
from patients.services import assignment_create
from protocols.library import PROTOCOLS, TEMPLATES, library_texts
from protocols.models import ExerciseTemplate, Protocol
from protocols.services import library_install, template_clone, template_update
from protocols.services.editing import copy_name

BALANCE = next(t for t in TEMPLATES if t.slug == "single-leg-balance")
WALK = next(t for t in TEMPLATES if t.slug == "retro-treadmill-walk")
PFP = next(p for p in PROTOCOLS if p.slug == "pfp-retro-incline-6-weeks")


@pytest.fixture
def speaking(client, world):
    """speaking(language): everyone of clinic A (and the browser) reads `language`; the headers to send."""

    def speaking(language: str) -> dict:
        return read_in(client, language, world.therapist_a, world.admin_a, world.patient_a1.user,
                       world.patient_a1)

    return speaking


def test_every_library_text_is_registered_and_translated_in_german_and_spanish():
    texts = library_texts()
    assert len(texts) > 50
    for text in texts:
        assert is_builtin_text(text)
        for language in ("de", "es"):
            with translation.override(language):
                assert builtin_text(text) != text, (language, text)


def test_only_backsteps_own_unedited_text_is_translated():
    with translation.override("de"):
        assert builtin_text(BALANCE.name) == "Einbeinstand"
        assert builtin_text(BALANCE.instructions).startswith("Stellen Sie sich mit leicht gebeugtem Knie")
        # Edited by one character: the clinic's own text now.
        assert builtin_text(BALANCE.name + ".") == BALANCE.name + "."
        assert builtin_text(BALANCE.instructions.replace("towel", "cushion")) == \
            BALANCE.instructions.replace("towel", "cushion")
        # Text that is not the library's is never looked up, even when the interface has a message like it.
        assert not is_builtin_text("Trace") and not is_builtin_text("Today")
        assert builtin_text("") == "" and builtin_text(None) is None and builtin_text(3) == 3
    with translation.override("es"):
        assert builtin_text(BALANCE.name) == "Equilibrio sobre una pierna"
    with translation.override("en"):
        assert builtin_text(BALANCE.name) == BALANCE.name


def test_the_database_keeps_the_english_library(db):
    library_install()
    walk = ExerciseTemplate.objects.builtin().get(slug=WALK.slug)
    assert (walk.name, walk.instructions, walk.safety_notes) == (WALK.name, WALK.instructions, WALK.safety_notes)
    with translation.override("de"):
        report = library_install()  # the installer compares stored English, whatever the language
    assert report.count("templates", "unchanged") == len(TEMPLATES)
    assert report.count("protocols", "unchanged") == len(PROTOCOLS)


@pytest.mark.django_db
@pytest.mark.parametrize("language, name, instructions", [
    ("de", "Einbeinstand", "Stellen Sie sich mit leicht gebeugtem Knie auf das betroffene Bein"),
    ("es", "Equilibrio sobre una pierna", "Póngase de pie sobre la pierna afectada"),
])
def test_library_pages_show_built_ins_in_the_readers_language(client, world, language, name, instructions, speaking):
    library_install()
    balance = ExerciseTemplate.objects.builtin().get(slug=BALANCE.slug)
    client.force_login(world.therapist_a)
    listing = client.get(reverse("protocols:library"), **speaking(language)).content.decode()
    assert name in listing and BALANCE.name not in listing
    detail = client.get(reverse("protocols:template-detail", args=[balance.pk]), **speaking(language))
    body = detail.content.decode()
    assert name in body and instructions in body and BALANCE.instructions not in body
    protocol = Protocol.objects.get(clinic=None, slug=PFP.slug)
    page = client.get(reverse("protocols:detail", args=[protocol.pk]), **speaking(language)).content.decode()
    with translation.override(language):
        for text in (PFP.name, PFP.phases[0].name, PFP.phases[0].goals, PFP.phases[1].exercises[1].notes):
            assert translation.gettext(text) in page and text not in page


@pytest.mark.django_db
def test_english_readers_see_the_library_as_before(client, world, speaking):
    library_install()
    client.force_login(world.therapist_a)
    listing = client.get(reverse("protocols:library"), **speaking("en")).content.decode()
    assert BALANCE.name in listing and "Einbeinstand" not in listing


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_a_clinic_edited_copy_stays_as_written_in_any_language(client, world, language, speaking):
    library_install()
    builtin = ExerciseTemplate.objects.builtin().get(slug=BALANCE.slug)
    ours = template_clone(template=builtin, clinic=world.clinic_a, name="Balance on the wobble board")
    template_update(template=ours, instructions="Stand on the wobble board by the bars, as shown in clinic.")
    client.force_login(world.therapist_a)
    body = client.get(reverse("protocols:template-detail", args=[ours.pk]), **speaking(language)).content.decode()
    assert "Balance on the wobble board" in body
    assert "Stand on the wobble board by the bars, as shown in clinic." in body
    # The safety notes the clinic did not touch are still Backstep's: in the reader's language.
    with translation.override(language):
        assert translation.gettext(BALANCE.safety_notes) in body


@pytest.mark.django_db
def test_a_copy_is_named_in_the_language_of_whoever_copies_it(world):
    library_install()
    builtin = ExerciseTemplate.objects.builtin().get(slug=BALANCE.slug)
    with translation.override("de"):
        assert template_clone(template=builtin, clinic=world.clinic_a).name == "Einbeinstand (Kopie)"
        assert copy_name("x" * 200, 120).endswith(" (Kopie)") and len(copy_name("x" * 200, 120)) == 120
    with translation.override("en"):
        assert template_clone(template=builtin, clinic=world.clinic_b).name == "Single-leg balance (copy)"


@pytest.fixture
def builtin_plan(world):
    """Patient A1 on the built-in PFP protocol (a snapshot of its texts)."""
    library_install()
    world.assignment_a1.status = "stopped"
    world.assignment_a1.save(update_fields=["status"])
    protocol = Protocol.objects.get(clinic=None, slug=PFP.slug)
    return assignment_create(patient=world.patient_a1, protocol=protocol, baseline_pain=2,
                             start_date=dt.date.today() - dt.timedelta(days=2), assigned_by=world.therapist_a)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "es"])
def test_the_phone_shows_a_built_in_plan_in_the_patients_language(client, world, builtin_plan, language, speaking):
    client.force_login(world.patient_a1.user)
    today = client.get(reverse("patients:today"), **speaking(language)).content.decode()
    log = client.get(reverse("patients:log-session"), **speaking(language)).content.decode()
    walk = next(t for t in TEMPLATES if t.slug == "retro-treadmill-walk")
    first = PFP.phases[0]
    with translation.override(language):
        for text in (walk.instructions, first.exercises[0].notes, PFP.name, first.name):
            assert translation.gettext(text) in today and text not in today, text
        for text in (walk.name, "Quad sets"):
            assert translation.gettext(text) in log
    client.force_login(world.therapist_a)
    handout = client.get(reverse("patients:handout", args=[world.patient_a1.pk]), **speaking(language))
    with translation.override(language):
        assert translation.gettext(walk.instructions) in handout.content.decode()
        assert walk.instructions not in handout.content.decode()


@pytest.mark.django_db
def test_the_phone_shows_what_the_clinic_changed_on_the_plan_as_written(client, world, builtin_plan, speaking):
    exercise = builtin_plan.exercises.get(order=0, phase__order=0)
    exercise.notes = "Warm up for 5 minutes on the bike first."
    exercise.save(update_fields=["notes"])
    client.force_login(world.patient_a1.user)
    today = client.get(reverse("patients:today"), **speaking("de")).content.decode()
    assert "Warm up for 5 minutes on the bike first." in today
    with translation.override("de"):
        assert translation.gettext(WALK.instructions) in today  # the rest of the exercise is still Backstep's


@pytest.mark.django_db
def test_a_search_in_the_readers_language_finds_the_built_ins_it_reads(client, world, speaking):
    library_install()
    client.force_login(world.therapist_a)
    german = client.get(reverse("protocols:library"), {"q": "einbein"}, **speaking("de")).content.decode()
    assert "Einbeinstand" in german and "Wandsitzen" not in german
    spanish = client.get(reverse("protocols:list"), {"q": "rótula"}, **speaking("es")).content.decode()
    with translation.override("es"):
        assert translation.gettext(PFP.name) in spanish
    english = client.get(reverse("protocols:library"), {"q": "einbein"}, **speaking("en")).content.decode()
    assert BALANCE.name not in english
