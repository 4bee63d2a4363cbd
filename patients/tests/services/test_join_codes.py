"""Joining by code: format, hashing, one use, expiry, voiding, the lockout, and activated patients."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.models import JoinCode
from patients.services import JoinRefused, join_code_check, join_code_create, join_code_redeem
from patients.services.join_codes import ALPHABET, FAILURES_PER_ADDRESS, code_hash, normalize_code
from tests.factories import PASSWORD, PatientFactory

NEW_PASSWORD = "a knee that climbs hills"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newcomer(world):
    return PatientFactory(clinic=world.clinic_a, therapist=world.therapist_a, email="new@patient.test", user=None)


def test_a_code_is_short_grouped_unambiguous_and_stored_hashed(newcomer, world):
    row, code = join_code_create(patient=newcomer, created_by=world.therapist_a)
    assert len(code) == 9 and code[4] == "-" and set(code.replace("-", "")) <= set(ALPHABET)
    assert row.code_hash == code_hash(code) and code.replace("-", "") not in row.code_hash
    assert row.expires_at - timezone.now() <= dt.timedelta(minutes=15)
    assert normalize_code(" abcd 2345 ") == normalize_code("ABCD-2345") == "ABCD2345"


def test_a_code_joins_once_and_signs_in_with_the_clinics_email(newcomer):
    _row, code = join_code_create(patient=newcomer)
    checked = join_code_check(code=code.lower().replace("-", " "), address="10.0.0.1")
    user = join_code_redeem(join_code_id=checked.pk, password=NEW_PASSWORD)
    newcomer.refresh_from_db()
    assert newcomer.user == user and user.email == "new@patient.test" and user.check_password(NEW_PASSWORD)
    with pytest.raises(JoinRefused) as used:
        join_code_check(code=code, address="10.0.0.1")
    assert used.value.reason == "used"
    with pytest.raises(JoinRefused):
        join_code_redeem(join_code_id=checked.pk, password=NEW_PASSWORD)


def test_a_patient_without_email_types_one_and_a_taken_address_is_refused(world):
    patient = PatientFactory(clinic=world.clinic_a, email="", user=None)
    row, _code = join_code_create(patient=patient)
    with pytest.raises(ValidationError):
        join_code_redeem(join_code_id=row.pk, password=NEW_PASSWORD)
    with pytest.raises(ValidationError):
        join_code_redeem(join_code_id=row.pk, password=NEW_PASSWORD, email=world.therapist_a.email)
    user = join_code_redeem(join_code_id=row.pk, password=NEW_PASSWORD, email="Mine@Example.test")
    patient.refresh_from_db()
    assert user.email == patient.email == "mine@example.test"


def test_a_new_code_voids_the_previous_one_and_expired_codes_are_refused(newcomer):
    _first, first = join_code_create(patient=newcomer)
    second_row, second = join_code_create(patient=newcomer)
    with pytest.raises(JoinRefused) as voided:
        join_code_check(code=first, address="10.0.0.1")
    assert voided.value.reason == "expired"
    JoinCode.objects.filter(pk=second_row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(JoinRefused) as expired:
        join_code_check(code=second, address="10.0.0.1")
    assert expired.value.reason == "expired"


def test_an_activated_patient_gets_no_code(world):
    world.patient_a1.user.set_password(PASSWORD)
    world.patient_a1.user.save()
    with pytest.raises(ValidationError):
        join_code_create(patient=world.patient_a1)


def test_wrong_codes_lock_the_address_out_even_for_a_right_code(newcomer):
    _row, code = join_code_create(patient=newcomer)
    for _ in range(FAILURES_PER_ADDRESS):
        with pytest.raises(JoinRefused) as wrong:
            join_code_check(code="ZZZZ-ZZZZ", address="10.0.0.9")
        assert wrong.value.reason == "unknown"
    with pytest.raises(JoinRefused) as locked:
        join_code_check(code=code, address="10.0.0.9")
    assert locked.value.reason == "locked"
    assert join_code_check(code=code, address="10.0.0.10").patient == newcomer  # another address still may


def test_the_global_limit_locks_everyone(newcomer, monkeypatch):
    monkeypatch.setattr("patients.services.join_codes.FAILURES_IN_TOTAL", 3)
    _row, code = join_code_create(patient=newcomer)
    for n in range(3):
        with pytest.raises(JoinRefused):
            join_code_check(code="ZZZZ-ZZZZ", address=f"10.0.1.{n}")
    with pytest.raises(JoinRefused) as locked:
        join_code_check(code=code, address="10.0.2.1")
    assert locked.value.reason == "locked"
