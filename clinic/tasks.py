"""Operational tasks of the project package."""

from celery import shared_task


@shared_task(name="clinic.ping", acks_late=False)
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker.

    Used by the integration tests and by operators:
    `celery -A clinic call clinic.ping`.
    """
    return "pong"
