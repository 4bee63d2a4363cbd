"""Whose language a page, an e-mail or a reminder is in: decided here, activated in one middleware.

- A patient: their own language (Patient.language, set by their therapist or on their Language page), else
  their clinic's default.
- A staff member: their own (User.language, on their Language page), else their clinic's default.
- A clinic's default: ClinicSettings.default_language (the clinic settings page), else settings.LANGUAGE_CODE.
- Anyone signed out (sign-in, join, password reset): Django's LocaleMiddleware, from the language cookie or the
  browser's Accept-Language, as before. After sign-in the person's choice wins. One signed-out page knows its
  visitor: a patient's invitation link, which speaks the invited patient's language (patients/views/phone.py);
  likewise the join-by-code password page once the typed code names the patient (patients/views/join.py).
- The browser remembers a signed-in person's language in Django's language cookie (set by the middleware
  below when it differs), so after sign-out the sign-in page still speaks the language they chose.

Pages: `LanguageMiddleware` (after TenancyMiddleware) activates the signed-in person's language from the
actor the request already holds, whose clinic settings tenancy selected with it: no query of its own.
E-mails and reminders are rendered inside `translation.override(<recipient's language>)`.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_or_default(code: str | None) -> str:
    """`code` when it is one of ours, else the site's language."""
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE


def language_choices(clinic_language_code: str) -> list[tuple[str, str]]:
    """A person's choices: "the clinic's language" (blank, naming the clinic's), then each language named in
    itself (a Spanish reader looks for "Español")."""
    clinic_name = dict(settings.LANGUAGES).get(clinic_language_code, clinic_language_code)
    return [("", _("The clinic's language (%(language)s)") % {"language": clinic_name}), *settings.LANGUAGES]


def clinic_language(clinic) -> str:
    """The clinic's default language. Reads `clinic.settings` (selected with the clinic on every request)."""
    if clinic is None:
        return settings.LANGUAGE_CODE
    from clinic.models import ClinicSettings

    try:
        row = clinic.settings
    except ClinicSettings.DoesNotExist:
        return settings.LANGUAGE_CODE
    return language_or_default(row.default_language)


def patient_language(patient) -> str:
    """The language of a patient's pages, e-mails and reminders: theirs, else their clinic's default."""
    if patient.language in LANGUAGE_CODES:
        return patient.language
    return clinic_language(patient.clinic)


def staff_language(user, clinic) -> str:
    """A staff member's language: theirs, else the clinic's default."""
    if getattr(user, "language", "") in LANGUAGE_CODES:
        return user.language
    return clinic_language(clinic)


def actor_language(actor) -> str | None:
    """The language of a signed-in person's pages; None for anyone signed out or without a clinic role
    (LocaleMiddleware's choice stands)."""
    if actor.patient is not None:
        return patient_language(actor.patient)
    if actor.membership is not None:
        return staff_language(actor.user, actor.clinic)
    return None


def user_language(user) -> str:
    """The language of e-mails to an account that is not signed in (a password reset, say): as its pages are."""
    from clinic.tenancy import resolve_actor

    return actor_language(resolve_actor(user)) or language_or_default(getattr(user, "language", ""))


def activate_for_request(request, language: str) -> None:
    """Speak `language` for the rest of this request (the middleware below, and a signed-out page whose visitor
    a token names: a patient's invitation link)."""
    translation.activate(language)
    request.LANGUAGE_CODE = language


def activate_for_patient(request, patient) -> str:
    """A signed-out page whose visitor a token or a code names as `patient` speaks the patient's language (the
    invitation link, the join-by-code password page). Returns the language."""
    language = patient_language(patient)
    activate_for_request(request, language)
    return language


def remember_language(request, response, language: str) -> None:
    """Keep `language` in Django's language cookie on this browser (read by LocaleMiddleware once signed out),
    when the cookie says otherwise and the response is a page (HTML)."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) == language:
        return
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LanguageMiddleware:
    """Activate the signed-in person's language (after TenancyMiddleware, which resolves the actor).

    Signed out, LocaleMiddleware's choice (cookie, Accept-Language) stands. The response says which language
    it is in (Content-Language); templates/base.html puts the same code in <html lang>. A signed-in person's
    language (as it is after the view: the Language page may just have changed it) goes into the language
    cookie, so the sign-in page after sign-out keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = getattr(request, "actor", None)
        language = actor_language(actor) if actor is not None else None
        if language is not None:
            activate_for_request(request, language)
        response = self.get_response(request)
        if language is not None:
            response.headers["Content-Language"] = language
            chosen = actor_language(actor)  # the Language page may have changed it during this request
            if chosen is not None:
                remember_language(request, response, chosen)
        return response
