"""Sign-in and sign-out: each role lands on its page, e-mail in any case, clear refusals, no role no pages."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password}, follow=True)


@pytest.mark.parametrize(
    ("who", "landing"),
    [("therapist@a.test", "patients:list"), ("admin@a.test", "patients:list"), ("a1@a.test", "patients:today")],
)
def test_sign_in_lands_each_role_on_its_page(client, world, who, landing):
    response = sign_in(client, who)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(landing)


def test_sign_in_is_case_insensitive_on_email(client, world):
    response = sign_in(client, "Therapist@A.test")
    assert response.redirect_chain[-1][0] == reverse("patients:list")


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = sign_in(client, "therapist@a.test", "not-the-password")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "do not match an account" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("home", "patients:list", "patients:today"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_sign_out_ends_the_session(client, world):
    client.force_login(world.therapist_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 302


def test_user_without_a_role_is_told_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not linked to a clinic" in response.content.decode()
