"""Reminder tasks: the five-minute tick and one send per claimed delivery. Both take ids and are safe twice."""

from celery import shared_task

from clinic.celery import RETRY
from reminders.services import delivery_send, reminders_tick


@shared_task(name="reminders.tick", **RETRY)
def tick() -> int:
    return len(reminders_tick())


@shared_task(name="reminders.send_delivery", **RETRY)
def send_delivery(delivery_id: int) -> str | None:
    return delivery_send(delivery_id=delivery_id)
