"""Reminder e-mails: one message with a one-click unsubscribe link (RFC 8058) and its signed token.

The token is signed (not stored) and names only the patient; it does not
expire, since an unsubscribe link must keep working in an old e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _

from clinic.validators import single_line

UNSUBSCRIBE_SALT = "reminders.unsubscribe"


def unsubscribe_token(patient_id: int) -> str:
    return signing.dumps({"p": patient_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_patient_id(token: str) -> int | None:
    """The patient a token was made for, or None when it was not made by this server."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(patient_id: int) -> str:
    return settings.SITE_URL + reverse("reminders:unsubscribe", args=[unsubscribe_token(patient_id)])


def reminder_email(*, to: str, patient_id: int, title: str, body: str, path: str) -> EmailMessage:
    """The reminder as an e-mail: its words, a link to the page, and the unsubscribe link and headers (in the
    active language: the caller overrides it with the patient's)."""
    link = unsubscribe_url(patient_id)
    open_line = _("Open Backstep: %(link)s") % {"link": settings.SITE_URL + path}
    stop_line = _("You get this because you chose e-mail reminders. Stop them: %(link)s") % {"link": link}
    text = f"{body}\n\n{open_line}\n\n{stop_line}\n"
    return EmailMessage(subject=single_line(title), body=text, to=[to], headers={
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    })
