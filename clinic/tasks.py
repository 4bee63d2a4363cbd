"""Operational tasks of the project package, and the sending of staff e-mails."""

from celery import shared_task

from clinic.celery import RETRY, enqueue


@shared_task(name="clinic.ping", acks_late=False)
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker.

    Used by the integration tests and by operators:
    `celery -A clinic call clinic.ping`.
    """
    return "pong"


@shared_task(name="clinic.send_notification", bind=True, ignore_result=True, **RETRY)
def send_notification(self, notification_id: int) -> None:
    """One attempt at a notification's e-mail; a failed one asks for the next after its back-off.

    Safe to run twice: only a pending, due notification is sent. Run eagerly (no
    broker) the next attempt is not scheduled here, so nothing blocks or loops:
    the row waits, with its next attempt time, for the hourly tick or an admin.
    """
    from clinic.notifications import notification_send  # the service imports this task: a real cycle

    wait = notification_send(notification_id=notification_id)
    if wait is not None and not self.request.is_eager:
        enqueue(send_notification, notification_id, countdown=wait.total_seconds())


@shared_task(name="clinic.send_due_notifications", **RETRY)
def send_due_notifications() -> int:
    """Run hourly by beat: send again the pending notifications that are due (their message was lost)."""
    from clinic.notifications import notifications_due  # the service imports the task above: a real cycle

    return len(notifications_due())
