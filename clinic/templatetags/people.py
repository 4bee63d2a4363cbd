"""{% load people %}: how pages, e-mails and the handout word things for people, in one place.

- `level`: a 0-based ladder index as "level 5 of 9" (`{{ exercise.current_step|level:exercise.ladder_size }}`);
- `long_date` / `day` / `weekday_date` / `weekday_date_time`: "3 December 2026" / "Thu 3 Dec" /
  "Thursday 3 December" / "Thursday 3 December, 20:19", never an ISO date;
- `runs`: whether a speed is running by the clinic's threshold (walk or run wording);
- `clinic_guidance`: the clinic's contact and thresholds (`{% clinic_guidance as guide %}`);
- `stop_rule`, `clinic_contact`, `red_pain_notice`: the one wording of the stop rule, of the clinic's
  contact and of the notice after a red-pain session (templates/includes/);
- `sign_in_address`, `qr_code`: the sign-in page's address from SITE_URL and its QR code as inline SVG.

Levels are worded by protocols/wording.py, which the engine's reasons use too; dates by the language's formats
(clinic/formats/), the same as protocols.wording's in English.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, formats

from clinic.formats import our_format
from clinic.qr import qr_svg
from clinic.selectors import ClinicGuidance
from clinic.selectors import clinic_guidance as guidance_of
from clinic.selectors import patient_clinic_guidance as patient_guidance
from protocols.wording import format_level, is_running_speed

register = template.Library()


@register.filter
def level(index: int | None, count: int | None = None) -> str:
    """"level 5 of 9" for ladder index 4 of 9 steps; capitalise with |capfirst at the start of a sentence."""
    return format_level(index, count)


@register.filter
def long_date(value: dt.date | None) -> str:
    """"3 December 2026", "3. Dezember 2026", "3 de diciembre de 2026": the language's DATE_FORMAT."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


@register.filter
def day(value: dt.date | None) -> str:
    """"Thu 3 Dec", "Do., 3. Dez", "jue 3 dic": a recent day, short (clinic/formats: DAY)."""
    if not value:
        return ""
    return dateformat.format(value, our_format("DAY"))


@register.filter
def weekday_date(value: dt.date | None) -> str:
    """"Friday 4 December", "Freitag, 4. Dezember", "viernes 4 de diciembre" (clinic/formats: WEEKDAY_DATE)."""
    if not value:
        return ""
    return dateformat.format(value, our_format("WEEKDAY_DATE"))


@register.filter(expects_localtime=True)
def weekday_date_time(value: dt.datetime | None) -> str:
    """"Saturday 5 December, 20:19", "Samstag, 5. Dezember, 20:19 Uhr", "sábado 5 de diciembre, 20:19" in the
    page's time zone (clinic/formats: WEEKDAY_DATE_TIME)."""
    if not value:
        return ""
    return dateformat.format(value, our_format("WEEKDAY_DATE_TIME"))


@register.filter
def runs(speed, guidance: ClinicGuidance) -> bool:
    """True when `speed` (km/h) reaches the clinic's running threshold: the plan says "run", else "walk"."""
    return is_running_speed(speed, guidance.running_speed_kmh)


def _context_guidance(context, guidance: ClinicGuidance | None = None) -> ClinicGuidance:
    if guidance is not None:
        return guidance
    actor = context.get("actor")
    return guidance_of(getattr(actor, "clinic", None))


@register.simple_tag(takes_context=True)
def clinic_guidance(context, clinic=None) -> ClinicGuidance:
    """The given clinic's guidance, else the signed-in user's clinic's (defaults when there is none)."""
    return guidance_of(clinic) if clinic is not None else _context_guidance(context)


@register.simple_tag
def patient_clinic_guidance(user) -> ClinicGuidance | None:
    """For e-mails that may go to a patient (password reset): their clinic's guidance, else None."""
    return patient_guidance(user) if user is not None else None


@register.inclusion_tag("includes/stop_rule.html", takes_context=True)
def stop_rule(context, guidance: ClinicGuidance | None = None) -> dict:
    return {"guide": _context_guidance(context, guidance)}


@register.inclusion_tag("includes/clinic_contact.html", takes_context=True)
def clinic_contact(context, guidance: ClinicGuidance | None = None, compact: bool = False) -> dict:
    return {"guide": _context_guidance(context, guidance), "compact": compact}


@register.inclusion_tag("emails/includes/clinic_contact.txt", takes_context=True)
def clinic_contact_text(context, guidance: ClinicGuidance | None = None) -> dict:
    """The clinic's contact for a plain-text e-mail."""
    return {"guide": _context_guidance(context, guidance)}


@register.inclusion_tag("includes/red_pain_notice.html", takes_context=True)
def red_pain_notice(context, session=None) -> dict:
    """After a session whose pain during passed the clinic's red limit: how to reach the clinic, on every page.

    Shown while the patient's latest session (by date) is red; the next session below the limit ends it.
    The page of a session just saved passes it, so a red back-dated session shows the notice there too.
    """
    actor = context.get("actor")
    patient = getattr(actor, "patient", None)
    guide = _context_guidance(context)
    from patients.selectors import patient_latest_pain_during  # patients builds on clinic: read when shown

    latest = patient_latest_pain_during(patient) if patient is not None else None
    pains = [latest, getattr(session, "pain_during", None)]
    return {"guide": guide, "show": any(pain is not None and pain > guide.red_above for pain in pains)}


@register.simple_tag
def sign_in_address() -> str:
    """The sign-in page's full address, from SITE_URL (what a patient types or scans)."""
    return settings.SITE_URL + reverse("login")


@register.simple_tag
def qr_code(data: str, title: str):
    return qr_svg(data, title=title)
