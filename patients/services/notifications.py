"""E-mails about flags: the urgent-flag e-mail to the patient's therapist (or the clinic's admins) and each
therapist's daily digest. They are Notification rows (`clinic.notifications`), sent after commit and retried;
they never name a pain score, diagnosis or patient.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.clock import clinic_now
from clinic.language import staff_language
from clinic.models import Clinic, Membership, Notification, User
from clinic.notifications import notification_queue
from patients.models import DigestLog, Flag, Patient

logger = logging.getLogger(__name__)


DIGEST_LOCAL_HOUR = 7


def _flag_link() -> str:
    """The therapist's flag list: e-mails link there, never to a patient (the link names no one)."""
    return settings.SITE_URL + reverse("patients:flags")


def _staff_to_tell(patient: Patient) -> list:
    """Who hears about a patient's urgent flag: their therapist, or the clinic's admins when there is none."""
    if patient.therapist_id and patient.therapist.is_active:
        return [patient.therapist]
    return list(User.objects.filter(
        pk__in=Membership.objects.filter(clinic_id=patient.clinic_id, role=Membership.Role.ADMIN).values("user_id"),
        is_active=True,
    ).order_by("pk"))


@transaction.atomic
def flag_notify_urgent(*, flag_id: int) -> int:
    """Queue the e-mail about an urgent flag to the patient's therapist (or the clinic admins), once.

    Once per piece of evidence: `notified_at` records that the e-mail was
    decided, and only new evidence clears it (`_sync_flags`). The e-mails are
    Notification rows written here and sent after commit, retried, and shown
    to the clinic's admins if they still fail. They name no pain score,
    diagnosis or patient name: only the clinic's reference and a link into
    Backstep, where the details are. Returns how many e-mails were queued.
    """
    flag = (Flag.objects.select_for_update(of=("self",)).select_related("patient__therapist",
                                                                    "patient__clinic__settings")
            .filter(pk=flag_id).first())
    if flag is None or flag.notified_at is not None or flag.status == Flag.Status.RESOLVED:
        return 0
    recipients = _staff_to_tell(flag.patient)
    reference = flag.patient.external_ref or f"#{flag.patient_id}"
    clinic = flag.patient.clinic
    for user in recipients:
        with translation.override(staff_language(user, clinic)):  # each recipient's own language
            body = render_to_string("emails/urgent_flag.txt", {"reference": reference, "link": _flag_link()})
            subject = _("Backstep: urgent flag for patient %(reference)s") % {"reference": reference}
        notification_queue(kind=Notification.Kind.URGENT_FLAG, clinic=clinic, recipient=user,
                           flag=flag, subject=subject, body=body)
    flag.notified_at = timezone.now()
    flag.save(update_fields=["notified_at"])
    logger.info("urgent flag %s: e-mail queued for %d recipient(s)", flag.pk, len(recipients))
    return len(recipients)


def daily_digests_send(*, now=None) -> int:
    """From 07:00 clinic time, queue each therapist one e-mail a day counting their new flags; returns how many."""
    sent = 0
    for clinic in Clinic.objects.filter(is_active=True).select_related("settings").order_by("pk"):
        local = clinic_now(clinic, now)
        if local.hour < DIGEST_LOCAL_HOUR:
            continue
        since = local.replace(hour=DIGEST_LOCAL_HOUR, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
        staff = Membership.objects.filter(clinic=clinic, user__is_active=True).select_related("user")
        for membership in staff:
            user = membership.user
            flags = Flag.objects.filter(patient__clinic=clinic, patient__therapist=user, created_at__gte=since,
                                        status__in=[Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
            count = flags.count()
            with transaction.atomic():
                _log, created = DigestLog.objects.get_or_create(
                    user=user, local_date=local.date(), defaults={"flag_count": count}
                )
                if not created or count == 0:
                    continue
                urgent = flags.filter(severity=Flag.Severity.URGENT).count()
                with translation.override(staff_language(user, clinic)):  # the therapist's own language
                    body = render_to_string("emails/daily_digest.txt",
                                            {"count": count, "urgent": urgent, "link": _flag_link()})
                    subject = ngettext("Backstep: %(count)d new flag today", "Backstep: %(count)d new flags today",
                                       count) % {"count": count}
                # The digest's row and its e-mail commit together: a day's digest is decided once, sent after.
                notification_queue(kind=Notification.Kind.DAILY_DIGEST, clinic=clinic, recipient=user, body=body,
                                   subject=subject)
                sent += 1
    return sent
