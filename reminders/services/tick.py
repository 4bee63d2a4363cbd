"""The beat tick: claim every reminder due now in a ledger row, then send each one in its own task.

`reminders_tick` runs every five minutes (CELERY_BEAT_SCHEDULE "reminders-tick"):

1. `reminders.selectors.tick_candidates` reads every candidate patient (a
   fixed number of queries) and `reminders.due.due_now` says, in the
   patient's own time zone, which kinds are due.
2. One ReminderDelivery row per (patient, kind, local date, channel) is
   inserted with ON CONFLICT DO NOTHING: a second tick in the same window
   finds the rows there and adds none.
3. After commit, one `reminders.send_delivery` task per pending row of the
   window (new, or whose message was lost) is enqueued; the task claims the
   row before it sends, so a row enqueued twice is sent once.
4. Housekeeping: a row still `sending` after STALE_SENDING (its worker was
   killed mid-send) is marked failed, never sent again; a pending row older
   than the grace window is failed as too late.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from clinic.celery import enqueue, task_named
from reminders.due import GRACE, due_now
from reminders.models import Channel, ReminderDelivery
from reminders.selectors import tick_candidates

logger = logging.getLogger(__name__)

STALE_SENDING = dt.timedelta(minutes=10)


def reminders_tick(*, now: dt.datetime | None = None) -> list[int]:
    """Claim what is due now and enqueue its sends; returns the ids of the pending rows enqueued."""
    now = now or timezone.now()
    rows = []
    for candidate in tick_candidates(now):
        channels = ([Channel.PUSH] if candidate.push else []) + ([Channel.EMAIL] if candidate.email else [])
        for kind in due_now(candidate.choice, candidate.day, candidate.local_now):
            rows += [ReminderDelivery(patient_id=candidate.patient_id, kind=kind, channel=channel,
                                      local_date=candidate.local_now.date(), created_at=now) for channel in channels]
    with transaction.atomic():
        ReminderDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        _fail_stale(now)
        pending = list(ReminderDelivery.objects.filter(status=ReminderDelivery.Status.PENDING,
                                                       created_at__gte=now - GRACE).values_list("pk", flat=True))
        send = task_named("reminders.send_delivery")
        transaction.on_commit(lambda: [enqueue(send, pk) for pk in pending])
    if rows:
        logger.info("reminders tick: %d due, %d pending to send", len(rows), len(pending))
    return pending


def _fail_stale(now: dt.datetime) -> None:
    """A dead worker's half-done send is failed (outcome unknown: never risk a second copy); old pending too."""
    interrupted = ReminderDelivery.objects.filter(status=ReminderDelivery.Status.SENDING,
                                                  attempted_at__lt=now - STALE_SENDING).update(
        status=ReminderDelivery.Status.FAILED, detail="interrupted: worker stopped during the send")
    late = ReminderDelivery.objects.filter(status=ReminderDelivery.Status.PENDING,
                                           created_at__lt=now - GRACE).update(
        status=ReminderDelivery.Status.FAILED, detail="too late: not sent within the reminder's window")
    if interrupted or late:
        logger.warning("reminders: %d interrupted and %d late deliveries marked failed", interrupted, late)
