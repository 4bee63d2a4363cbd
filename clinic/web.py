"""Page helpers every app's HTML views share, written once: role checks, a service's errors on a form,
a safe `next`, an id read from a query, and no-store responses.

The role checks only wrap clinic.tenancy's `require_*` (tenancy stays in one
place); the API has its own permission classes (clinic.api).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.tenancy import require_clinic_admin, require_patient, require_staff

MAX_ID = 2**63 - 1  # the largest id a database row can have (a signed 64-bit key)


def signed_in_and(check, view):
    """`view` for signed-in users `check(request)` lets through: anonymous users go to sign in; `check` raises
    PermissionDenied (403) for anyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        check(request)
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    """Signed-in clinic staff (therapists and admins) only: anonymous users go to sign in, anyone else gets 403."""
    return signed_in_and(lambda request: require_staff(request.actor), view)


def clinic_admin_required(view):
    """Signed-in clinic admins only: anonymous users go to sign in, everyone else gets 403."""
    return signed_in_and(lambda request: require_clinic_admin(request.actor), view)


def patient_required(view):
    """Signed-in patients only (their phone pages): anonymous users go to sign in, staff get 403."""
    return signed_in_and(lambda request: require_patient(request.actor), view)


def service_errors_to_form(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: beside the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def safe_next_url(request, candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else "".

    Only a path: a bare word handed to redirect() is taken for a URL name
    (an unknown one is a server error), and another host is an open redirect.
    """
    candidate = candidate or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return ""


def no_store(response):
    """A page carrying a secret (a key, a link, a QR code, recovery codes): never cached or kept by the browser."""
    add_never_cache_headers(response)
    return response


def id_or_none(value: str) -> int | None:
    """A database id from a query or form value, or None for anything else ("", "²", "-1", 10**30)."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
