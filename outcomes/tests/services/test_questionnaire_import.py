"""Importing a clinic's questionnaire wording: matching, refusals, replacement and test wording."""

import json

import pytest
from django.db import IntegrityError, transaction

from outcomes import instruments, selectors
from outcomes.demo_wording import import_test_wording, questionnaire_with_test_wording
from outcomes.fhir_questionnaire import NeedsConfirmation, QuestionnaireImportError
from outcomes.models import ImportedQuestionnaire
from outcomes.services import questionnaire_import
from outcomes.tests.fixtures import fixture_bytes

pytestmark = pytest.mark.django_db


def test_happy_path_stores_the_wording_for_that_clinic_only(world):
    imported = questionnaire_import(world.clinic_a, world.admin_a, fixture_bytes("koos_pf_test_wording.json"))
    assert (imported.instrument_id, imported.instrument_version) == ("koos-pf", "1")
    assert imported.is_test_wording  # the file's meta.tag says so
    assert imported.uploaded_by == world.admin_a
    assert imported.fhir["resourceType"] == "Questionnaire"
    koos_pf = instruments.get("koos-pf")
    wording = selectors.instrument_wording(world.clinic_a, koos_pf)
    assert wording.label("PF1", 2) == "Moderate (test)" and wording.is_test_wording
    assert selectors.instrument_wording(world.clinic_b, koos_pf) is None
    assert koos_pf in selectors.available_instruments(world.clinic_a)
    assert koos_pf not in selectors.available_instruments(world.clinic_b)


def test_unmatched_file_needs_confirmation_and_nothing_is_stored(world):
    with pytest.raises(NeedsConfirmation):
        questionnaire_import(world.clinic_a, world.admin_a, fixture_bytes("lefs_unmatched_linkids.json"))
    assert not ImportedQuestionnaire.objects.exists()
    imported = questionnaire_import(world.clinic_a, world.admin_a, fixture_bytes("lefs_unmatched_linkids.json"),
                                    "lefs", is_test_wording=True)
    assert imported.instrument_id == "lefs" and imported.is_test_wording


def test_count_mismatch_names_the_item_and_stores_nothing(world):
    resource = questionnaire_with_test_wording("akps")
    resource["item"][9]["answerOption"].pop()
    with pytest.raises(QuestionnaireImportError) as error:
        questionnaire_import(world.clinic_a, world.admin_a, json.dumps(resource).encode())
    assert error.value.item_id == "K10"
    assert not ImportedQuestionnaire.objects.exists()


def test_reimport_replaces_the_active_wording_and_keeps_the_old_row(world):
    first = import_test_wording(world.clinic_a, world.admin_a)
    resource = questionnaire_with_test_wording("koos-pf")
    resource["item"][0]["text"] = "Reworded first question (test)"
    second = questionnaire_import(world.clinic_a, world.admin_a, json.dumps(resource).encode())
    first.refresh_from_db()
    assert first.replaced_at is not None and second.replaced_at is None
    assert selectors.instrument_wording(world.clinic_a, instruments.get("koos-pf")).text("PF1") == \
        "Reworded first question (test)"
    assert list(selectors.active_imports(world.clinic_a)) == [second]
    assert list(selectors.import_history(world.clinic_a)) == [second, first]


def test_files_are_not_test_wording_unless_marked(world):
    imported = questionnaire_import(world.clinic_a, world.admin_a, fixture_bytes("akps_test_wording.json"))
    assert not imported.is_test_wording


def test_built_ins_need_no_import(world):
    wordings = selectors.clinic_wordings(world.clinic_b)
    assert set(wordings) == {"sane", "groc", "psfs", "knee-pain-weekly"}
    assert wordings["groc"].label("GROC", 0) == "About the same"
    assert wordings["sane"].items["SANE"].maximum_label.startswith("100")


def test_clinic_wordings_is_one_query(world, django_assert_max_num_queries):
    import_test_wording(world.clinic_a, world.admin_a)
    import_test_wording(world.clinic_a, world.admin_a, "akps")
    with django_assert_max_num_queries(1):
        wordings = selectors.clinic_wordings(world.clinic_a)
    assert {"koos-pf", "akps"} <= set(wordings)


def test_the_database_allows_one_active_import_per_clinic_and_instrument(world):
    first = import_test_wording(world.clinic_a, world.admin_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportedQuestionnaire.objects.create(
            clinic=world.clinic_a, instrument_id="koos-pf", instrument_version="1", title="Second", fhir={},
            wording={})
    assert import_test_wording(world.clinic_b, world.therapist_b).replaced_at is None  # another clinic: its own
    first.refresh_from_db()
    assert first.replaced_at is None
