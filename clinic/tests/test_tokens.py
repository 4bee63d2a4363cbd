"""One token hash (clinic.tokens): API keys and patients' invitation links store the same SHA-256 of their token."""

from __future__ import annotations

import hashlib

import pytest

from clinic.models import ApiKey
from clinic.services import api_key_create
from clinic.tokens import token_hash
from patients.models import Invitation
from patients.services import invitation_create

pytestmark = pytest.mark.django_db


def test_token_hash_is_the_hex_sha256_of_the_token():
    assert token_hash("bsk_abc_def") == hashlib.sha256(b"bsk_abc_def").hexdigest()
    assert len(token_hash("x")) == 64  # fits the *_hash columns (max_length=64)


def test_api_keys_and_invitations_store_token_hash_of_their_token(world):
    key, raw = api_key_create(clinic=world.clinic_a, name="Reports")
    assert ApiKey.objects.get(pk=key.pk).key_hash == token_hash(raw)
    world.patient_a2.email = "arlo@a.test"
    world.patient_a2.save(update_fields=["email"])
    invitation, link = invitation_create(patient=world.patient_a2, send=False)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert Invitation.objects.get(pk=invitation.pk).token_hash == token_hash(token)
