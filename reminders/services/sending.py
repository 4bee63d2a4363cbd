"""Sending one claimed reminder: claim the row, check it is still wanted, send through its channel, record.

The words never carry pain scores, a diagnosis or the clinic's name: only
what kind of reminder it is and where to tap.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.language import patient_language
from outcomes.due import due_questionnaires
from patients.models import MorningCheckIn, Patient, SessionLog
from reminders.due import GRACE, NUDGE, TRAINING
from reminders.mail import reminder_email
from reminders.models import Channel, PushSubscription, ReminderDelivery
from reminders.push import SubscriptionGone, push_send

logger = logging.getLogger(__name__)

MESSAGES = {
    "training": (_("Time for today's session"), _("Your exercises for today are ready."), "/today/"),
    "checkin": (_("Morning check-in"), _("How is your knee this morning? It takes ten seconds."), "/checkin/"),
    "nudge": (_("A short session today?"), _("It has been a few days. Even a short session keeps you on track."),
              "/today/"),
}
Status = ReminderDelivery.Status


class NothingToSendTo(Exception):
    """No push subscription left, or no e-mail address: the reminder is skipped."""


def reminder_words(kind: str, questionnaires_due: int = 0) -> tuple[str, str, str]:
    """Title, body and path of a reminder, in the active language (the patient's: `delivery_send`); questionnaires
    due that day are mentioned by count, never by name."""
    title, body, path = MESSAGES[kind]
    title, body = str(title), str(body)
    if questionnaires_due:
        waiting = ngettext("A short questionnaire for your therapist is waiting too.",
                           "%(n)d short questionnaires for your therapist are waiting too.",
                           questionnaires_due) % {"n": questionnaires_due}
        body = f"{body} {waiting}"
    return title, body, path


def reminder_payload(kind: str, questionnaires_due: int = 0) -> dict:
    title, body, url = reminder_words(kind, questionnaires_due)
    return {"title": title, "body": body, "url": url}


def questionnaires_due_on(delivery: ReminderDelivery) -> int:
    """How many questionnaires the patient has due on the reminder's day (read when sending, not in the tick)."""
    return len(due_questionnaires(patient=delivery.patient, today=delivery.local_date))


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> str | None:
    """Send one pending delivery at most once; returns its final status (None when it was not ours to send)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    if delivery.status == Status.SKIPPED:
        return Status.SKIPPED
    try:
        waiting = questionnaires_due_on(delivery)
        with translation.override(patient_language(delivery.patient)):  # the words in the patient's language
            if delivery.channel == Channel.PUSH:
                _send_push(delivery, now, waiting)
            else:
                _send_email(delivery, waiting)
    except NothingToSendTo as reason:
        return _finish(delivery, Status.SKIPPED, str(reason), now)
    except Exception as error:  # the push service or mail server refused: recorded, not retried
        logger.warning("reminder delivery %s failed (%s)", delivery.pk, type(error).__name__)
        return _finish(delivery, Status.FAILED, type(error).__name__, now)
    return _finish(delivery, Status.SENT, "", now)


def _claim(delivery_id: int, now: dt.datetime) -> ReminderDelivery | None:
    """pending → sending, committed before any network call; or skipped when no longer wanted."""
    with transaction.atomic():
        delivery = (ReminderDelivery.objects.select_for_update(of=("self",))
                    .select_related("patient__user", "patient__clinic__settings")
                    .filter(pk=delivery_id, status=Status.PENDING).first())
        if delivery is None:
            return None  # sent, being sent, or settled by an earlier run of this task
        if delivery.created_at < now - GRACE:
            delivery.status, delivery.detail = Status.FAILED, "too late: not sent within the reminder's window"
        elif already_done(delivery):
            delivery.status, delivery.detail = Status.SKIPPED, "already done today"
        else:
            delivery.status, delivery.attempted_at = Status.SENDING, now
        delivery.save(update_fields=["status", "detail", "attempted_at"])
    return delivery if delivery.status in (Status.SENDING, Status.SKIPPED) else None


def already_done(delivery: ReminderDelivery) -> bool:
    """Whether the patient trained (training, nudge) or checked in (check-in) on the reminder's day since."""
    if delivery.kind in (TRAINING, NUDGE):
        return SessionLog.objects.filter(patient_id=delivery.patient_id, date=delivery.local_date,
                                         completed=True).exists()
    return MorningCheckIn.objects.filter(patient_id=delivery.patient_id, date=delivery.local_date).exists()


def _send_push(delivery: ReminderDelivery, now: dt.datetime, waiting: int) -> None:
    subscriptions = list(PushSubscription.objects.filter(patient_id=delivery.patient_id))
    delivered = 0
    for subscription in subscriptions:
        try:
            push_send(endpoint=subscription.endpoint, p256dh=subscription.p256dh, auth=subscription.auth,
                      payload=reminder_payload(delivery.kind, waiting))
        except SubscriptionGone:
            subscription.delete()
            logger.info("push subscription %s gone (404/410): removed", subscription.pk)
            continue
        delivered += 1
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success=now)
    if not delivered:
        raise NothingToSendTo("no live push subscription")


def _send_email(delivery: ReminderDelivery, waiting: int) -> None:
    patient: Patient = delivery.patient
    if not patient.user or not patient.user.is_active or not patient.user.email:
        raise NothingToSendTo("no e-mail address")
    title, body, path = reminder_words(delivery.kind, waiting)
    reminder_email(to=patient.user.email, patient_id=patient.pk, title=title, body=body, path=path).send()


def _finish(delivery: ReminderDelivery, status: str, detail: str, now: dt.datetime) -> str:
    ReminderDelivery.objects.filter(pk=delivery.pk).update(
        status=status, detail=detail[:100], sent_at=now if status == Status.SENT else None)
    return status
