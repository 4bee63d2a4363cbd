"""E-mails to staff: decided in a transaction, sent after it commits, retried, and never dropped silently.

What happens to an urgent flag's e-mail, say:

1. `notification_queue` writes a Notification row in the transaction that
   raised the flag, and asks for the task `clinic.send_notification` once that
   transaction commits (nothing is sent for a decision that rolled back).
2. The task calls `notification_send`: one attempt, under a row lock, only
   while the row is still pending, so a task run twice sends one e-mail.
3. A failed attempt is tried again after 1, 5, 25 and 125 minutes; after the
   fifth the row is marked failed, and the clinic's admins see it under
   Clinic → Notifications, where they can try again.
4. The hourly tick (`notifications_due`) re-sends anything pending and due
   whose message was lost (broker down, worker killed).

Every e-mail Backstep sends goes through `email_send`, which puts the subject
on one line, so a name or reference saved with a line break before the
single-line rule existed can never make a send fail. Logs name the
notification's id and the error's class, never an address, name or reference.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from clinic.celery import enqueue, enqueue_soon
from clinic.models import Clinic, Notification, User
from clinic.tasks import send_notification
from clinic.validators import single_line

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, 4th and 5th attempt; after the 5th a notification is failed.
RETRY_DELAYS = tuple(dt.timedelta(minutes=minutes) for minutes in (1, 5, 25, 125))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


class RecipientDeactivated(Exception):
    """The recipient's account was deactivated after the e-mail was decided: it is not sent."""


def email_send(*, subject: str, body: str, to: list[str]) -> None:
    """Send one e-mail now, its subject on one line. Raises what the mail backend raises."""
    send_mail(single_line(subject), body, None, to)


def notification_queue(*, kind: str, clinic: Clinic, recipient: User, subject: str, body: str,
                       flag=None) -> Notification:
    """Record an e-mail to a staff member and send it once the current transaction commits."""
    notification = Notification(kind=kind, clinic=clinic, recipient=recipient, flag=flag,
                                subject=single_line(subject)[:200], body=body)
    notification.full_clean(exclude=["clinic", "recipient", "flag"])  # the caller holds those rows
    notification.save()
    # In a web request the caller waits at most half a second for the broker; the hourly tick covers the rest.
    transaction.on_commit(lambda: enqueue_soon(send_notification, notification.pk))
    return notification


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> dt.timedelta | None:
    """Make one attempt to send a pending notification that is due; returns the wait before the next one.

    None means there is nothing more to do: sent (now or before), failed for
    good, not due yet, or gone. The row stays locked while the mail server is
    asked, so two runs of the task never send the same e-mail twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(of=("self",)).select_related("recipient")
                        .filter(pk=notification_id).first())
        if notification is None or notification.status != Notification.Status.PENDING:
            return None
        if notification.next_attempt_at is not None and notification.next_attempt_at > now:
            return None
        notification.attempts += 1
        try:
            if not notification.recipient.is_active:
                raise RecipientDeactivated()
            email_send(subject=notification.subject, body=notification.body, to=[notification.recipient.email])
        except Exception as error:  # any failure of the mail server or the message: recorded, retried
            return _attempt_failed(notification, error, now)
        notification.status, notification.sent_at, notification.next_attempt_at = (
            Notification.Status.SENT, now, None)
        notification.subject = notification.body = ""  # sent: the content is not kept
        notification.last_error = ""
        notification.save()
    logger.info("notification %s sent (attempt %d)", notification.pk, notification.attempts)
    return None


def _attempt_failed(notification: Notification, error: Exception, now: dt.datetime) -> dt.timedelta | None:
    """Record a failed attempt: the next one after the back-off, or failed for good after the last."""
    notification.last_error = type(error).__name__[:100]
    last = notification.attempts >= MAX_ATTEMPTS or isinstance(error, RecipientDeactivated)
    wait = None if last else RETRY_DELAYS[notification.attempts - 1]
    notification.status = Notification.Status.FAILED if last else Notification.Status.PENDING
    notification.next_attempt_at = None if last else now + wait
    notification.save()
    # The id and the error's class only: an SMTP error's text can quote the address.
    logger.warning("notification %s not sent (attempt %d of %d, %s); %s", notification.pk, notification.attempts,
                   MAX_ATTEMPTS, notification.last_error,
                   "marked failed for the clinic admin" if last else f"next attempt in {wait}")
    return wait


def notification_retry(*, notification: Notification) -> Notification:
    """A clinic admin's "try again now": a failed or waiting notification gets one more attempt at once.

    Succeeding sends it; failing again marks it failed again (it has had its
    automatic attempts already).
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification.pk)
        if notification.status == Notification.Status.SENT:
            return notification
        notification.status, notification.next_attempt_at = Notification.Status.PENDING, None
        notification.save(update_fields=["status", "next_attempt_at", "updated_at"])
        transaction.on_commit(lambda: enqueue_soon(send_notification, notification.pk))
    logger.info("notification %s queued again by a clinic admin", notification.pk)
    return notification


def notifications_due(*, now: dt.datetime | None = None) -> list[int]:
    """Send again every pending notification that is due (run hourly): those whose message was lost.

    A row younger than a minute is left to the message its commit sent.
    """
    now = now or timezone.now()
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lte=now - dt.timedelta(minutes=1))
        .exclude(next_attempt_at__gt=now).order_by("pk").values_list("pk", flat=True)
    )
    for notification_id in due:
        enqueue(send_notification, notification_id)
    return due
