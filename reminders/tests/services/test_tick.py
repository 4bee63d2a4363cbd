"""The tick and one send, in-process: who gets what at their local time, once, and never after doing it."""

import datetime as dt
import re
import zoneinfo
from unittest import mock

import pytest
from django.core import mail

from outcomes.due import due_questionnaires
from outcomes.plan_questionnaires import plan_questionnaire_add
from patients.services import assignment_create
from reminders.models import ClinicReminderDefaults, PushSubscription, ReminderDelivery, ReminderPreference
from reminders.push import SubscriptionGone
from reminders.services import delivery_send, reminders_tick
from reminders.services.tick import STALE_SENDING
from tests.api.support import walk
from tests.factories import MorningCheckInFactory, PatientFactory, SessionLogFactory, UserFactory

# The sends run in this process (as on a laptop), even when REDIS_URL names a real broker.
pytestmark = pytest.mark.usefixtures("eager_celery")
LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = dt.date.today()
EVENING = dt.datetime.combine(TODAY, dt.time(18, 5), tzinfo=LONDON)
MORNING = dt.datetime.combine(TODAY, dt.time(8, 5), tzinfo=LONDON)


@pytest.fixture
def sent_pushes(monkeypatch):
    sent = []

    def fake_push_send(*, endpoint, p256dh, auth, payload):
        if "gone" in endpoint:
            raise SubscriptionGone()
        sent.append((endpoint, payload))

    monkeypatch.setattr("reminders.services.sending.push_send", fake_push_send)
    return sent


def prefer(patient, **fields):
    values = {"training_weekdays": "0123456", "nudge_enabled": False, "email_enabled": True, **fields}
    return ReminderPreference.objects.create(patient=patient, **values)


def subscribe(patient, endpoint="https://push.example.test/sub/1"):
    return PushSubscription.objects.create(patient=patient, endpoint=endpoint, p256dh="key", auth="secret")


def run_tick(django_capture_on_commit_callbacks, now):
    """The tick at `now`, and its send tasks (queued on commit) at that moment too: a send that ran at the real
    time would find an evening reminder hours old whenever the suite runs late in the day, and fail it."""
    with mock.patch("reminders.services.sending.timezone.now", return_value=now), \
            django_capture_on_commit_callbacks(execute=True):
        return reminders_tick(now=now)


def test_training_reminder_goes_through_both_channels_once(world, sent_pushes, django_capture_on_commit_callbacks):
    prefer(world.patient_a1)
    subscribe(world.patient_a1)
    run_tick(django_capture_on_commit_callbacks, EVENING)
    run_tick(django_capture_on_commit_callbacks, EVENING + dt.timedelta(minutes=5))  # the next tick: nothing new
    rows = ReminderDelivery.objects.filter(patient=world.patient_a1)
    assert sorted(rows.values_list("kind", "channel", "status")) == [("training", "email", "sent"),
                                                                     ("training", "push", "sent")]
    assert [payload for _, payload in sent_pushes] == [
        {"title": "Time for today's session", "body": "Your exercises for today are ready.", "url": "/today/"}]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.patient_a1.user.email]


def test_no_message_carries_pain_diagnosis_or_clinic_name(world, sent_pushes, django_capture_on_commit_callbacks):
    prefer(world.patient_a1)
    subscribe(world.patient_a1)
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=1), pain_during=7)
    run_tick(django_capture_on_commit_callbacks, EVENING)
    text = str([payload for _, payload in sent_pushes]) + mail.outbox[0].subject + mail.outbox[0].body
    # Links are checked by their shape: the unsubscribe link's signed token is random letters, which may spell
    # anything (a CI run once found "pfp" in one).
    links = re.findall(r"https?://\S+", text)
    assert links and all(re.fullmatch(r"https?://[^/\s]+/(today/|reminders/unsubscribe/[\w:.-]+/)", link)
                         for link in links), links
    words = re.sub(r"https?://\S+", " ", text)
    for secret in ("Clinic A", "pain", "7/10", "pfp", "Patellofemoral", world.patient_a1.last_name):
        assert secret.lower() not in words.lower()


def test_nothing_on_a_day_already_trained(world, sent_pushes, django_capture_on_commit_callbacks):
    prefer(world.patient_a1)
    subscribe(world.patient_a1)
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY)
    run_tick(django_capture_on_commit_callbacks, EVENING)
    assert not ReminderDelivery.objects.exists() and not sent_pushes and not mail.outbox


def test_checkin_reminder_skipped_when_checked_in_between_tick_and_send(world, sent_pushes):
    prefer(world.patient_a1, push_enabled=False)
    pending = reminders_tick(now=MORNING)  # on_commit not run: the sends wait
    assert ReminderDelivery.objects.get(pk__in=pending).kind == "checkin"
    MorningCheckInFactory(patient=world.patient_a1, date=TODAY)
    assert delivery_send(delivery_id=pending[0], now=MORNING) == "skipped"
    assert not mail.outbox


def test_a_delivery_enqueued_twice_is_sent_once(world, sent_pushes):
    prefer(world.patient_a1, email_enabled=False)
    subscribe(world.patient_a1)
    [pk] = reminders_tick(now=EVENING)
    assert reminders_tick(now=EVENING + dt.timedelta(minutes=5)) == [pk]  # still pending: enqueued again
    assert delivery_send(delivery_id=pk, now=EVENING) == "sent"
    assert delivery_send(delivery_id=pk, now=EVENING) is None
    assert len(sent_pushes) == 1


def test_a_killed_workers_half_done_send_is_failed_never_resent(world, sent_pushes):
    prefer(world.patient_a1, email_enabled=False)
    subscribe(world.patient_a1)
    [pk] = reminders_tick(now=EVENING)
    ReminderDelivery.objects.filter(pk=pk).update(status="sending", attempted_at=EVENING)  # the worker died here
    assert reminders_tick(now=EVENING + STALE_SENDING / 2) == []
    assert ReminderDelivery.objects.get(pk=pk).status == "sending"
    reminders_tick(now=EVENING + STALE_SENDING + dt.timedelta(minutes=1))
    row = ReminderDelivery.objects.get(pk=pk)
    assert (row.status, row.detail.startswith("interrupted")) == ("failed", True)
    assert delivery_send(delivery_id=pk) is None and not sent_pushes


def test_a_pending_row_past_its_window_is_failed_as_late(world, sent_pushes):
    prefer(world.patient_a1, email_enabled=False)
    subscribe(world.patient_a1)
    [pk] = reminders_tick(now=EVENING)
    ReminderDelivery.objects.filter(pk=pk).update(created_at=EVENING - dt.timedelta(hours=3))
    assert delivery_send(delivery_id=pk, now=EVENING) is None
    assert ReminderDelivery.objects.get(pk=pk).status == "failed" and not sent_pushes


def test_an_expired_subscription_is_removed(world, sent_pushes, django_capture_on_commit_callbacks):
    prefer(world.patient_a1, email_enabled=False)
    subscribe(world.patient_a1, "https://push.example.test/gone")
    live = subscribe(world.patient_a1, "https://push.example.test/live")
    run_tick(django_capture_on_commit_callbacks, EVENING)
    assert list(PushSubscription.objects.filter(patient=world.patient_a1)) == [live]
    assert ReminderDelivery.objects.get().status == "sent"
    live.refresh_from_db()
    assert live.last_success is not None


def test_clinic_defaults_apply_until_the_patient_chooses(world, sent_pushes, django_capture_on_commit_callbacks):
    ClinicReminderDefaults.objects.create(clinic=world.clinic_a, training_weekdays="0123456", nudge_enabled=False,
                                          email_enabled=True, checkin_enabled=False)
    run_tick(django_capture_on_commit_callbacks, EVENING)
    assert set(ReminderDelivery.objects.values_list("patient_id", "kind", "channel")) == {
        (world.patient_a1.pk, "training", "email"), (world.patient_a2.pk, "training", "email")}
    assert not ReminderDelivery.objects.filter(patient=world.patient_b1).exists()  # clinic B: built-in defaults


def test_the_patients_own_time_zone_wins(world, sent_pushes):
    prefer(world.patient_a1, timezone="America/New_York")
    assert reminders_tick(now=EVENING) == []  # 13:05 in New York
    assert reminders_tick(now=dt.datetime.combine(TODAY, dt.time(18, 5), zoneinfo.ZoneInfo("America/New_York")))


def test_nudge_after_days_without_training(world, sent_pushes):
    prefer(world.patient_a1, nudge_enabled=True, nudge_after_days=3, training_weekdays="")
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=2))
    assert reminders_tick(now=EVENING) == []
    SessionLogFactory(exercise=walk(world.assignment_a1), date=TODAY - dt.timedelta(days=3))
    assert reminders_tick(now=EVENING) == []  # trained two days ago still counts
    prefer_row = ReminderPreference.objects.get(patient=world.patient_a1)
    prefer_row.nudge_after_days = 2
    prefer_row.save()
    [pk] = reminders_tick(now=EVENING)
    assert ReminderDelivery.objects.get(pk=pk).kind == "nudge"


def test_the_tick_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(6):
        patient = PatientFactory(clinic=world.clinic_a, user=UserFactory())
        assignment_create(patient=patient, protocol=world.assignment_a1.protocol, start_date=TODAY,
                          baseline_pain=2, assigned_by=world.therapist_a)
        prefer(patient)
        subscribe(patient, f"https://push.example.test/{patient.pk}")
    with django_assert_max_num_queries(13):  # 7 reads, savepoint + release, insert, 2 updates, pending ids
        pending = reminders_tick(now=EVENING)
    assert len(pending) == 2 * 6  # six patients by push and e-mail (the world's patients have chosen nothing)


def test_a_questionnaire_due_that_day_is_mentioned_by_count_never_by_name(
        world, sent_pushes, django_capture_on_commit_callbacks):
    prefer(world.patient_a1)
    subscribe(world.patient_a1)
    plan_questionnaire_add(assignment=world.assignment_a1, instrument_id="sane", user=world.therapist_a)
    assert len(due_questionnaires(patient=world.patient_a1, today=EVENING.date())) == 1
    run_tick(django_capture_on_commit_callbacks, EVENING)
    waiting = "Your exercises for today are ready. A short questionnaire for your therapist is waiting too."
    assert [payload["body"] for _, payload in sent_pushes] == [waiting]
    assert waiting in mail.outbox[0].body
    assert "SANE" not in str(sent_pushes) + mail.outbox[0].body
