"""Failed sign-ins (django-axes): counted per (e-mail, client address), locked out with our 429 page.

The fifth failure locks that pair for SIGN_IN_LOCKOUT_MINUTES, so an attacker
on another network cannot lock the real user out. A success, or a password
reset (`sign_in_failures_clear`), clears the count. Settings point axes here:
AUTHENTICATION_BACKENDS and AXES_USERNAME/CLIENT_IP/LOCKOUT_CALLABLE.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.shortcuts import render
from django.utils.translation import gettext as _

from clinic.forms import SignInForm
from clinic.request_identity import client_ip


class SignInLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out (e-mail, address) pair before the password is checked.

    Axes' own backend raises when called without a request; code that calls
    `authenticate()` directly (scripts, tests) has no client address to lock,
    so it is let through to the model backend, which checks the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_username(request, credentials) -> str | None:
    """The e-mail a sign-in attempt is counted under: case and spaces do not make a new one."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    if not username:
        return None
    return str(username).strip().lower()


def sign_in_client_ip(request) -> str | None:
    """The client address a sign-in attempt is counted under: the same one the audit trail records."""
    return client_ip(request)


def sign_in_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, status 429, saying why and for how long (axes' AXES_LOCKOUT_CALLABLE)."""
    minutes = settings.SIGN_IN_LOCKOUT_MINUTES
    form = SignInForm(request, initial={"username": sign_in_username(request, credentials) or ""})
    response = render(request, "registration/login.html", {
        "form": form,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
        "locked_out_message": _(
            "Too many failed attempts for this e-mail from this network. Try again in %(minutes)s minutes "
            "or reset your password."
        ) % {"minutes": minutes},
    }, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def sign_in_failures_clear(*, email: str) -> int:
    """Forget failed sign-ins for `email` from every address, e.g. after a password reset; returns how many."""
    return reset(username=email.strip().lower())


def password_proves(request, *, user, password: str) -> bool:
    """Whether `password` is `user`'s current password, checked as a sign-in is.

    Pages that ask for an existing password outside the sign-in page (an
    invitation to an existing account) go through this, so failures count
    towards the same (e-mail, address) lockout and a locked-out pair gets the
    same 429 page: such a page is no way round the limit for guessing passwords.
    """
    # An account without a usable password goes through authenticate() too: Django then hashes anyway and
    # axes counts the failure, so neither the time taken nor the lockout tells such an account apart.
    if not password:
        return False
    signed_in = authenticate(request, username=user.email, password=password)
    return signed_in is not None and signed_in.pk == user.pk
