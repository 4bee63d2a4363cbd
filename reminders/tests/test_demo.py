"""The demo shows reminders: clinic defaults, the login patient's choice and a week of sent reminders."""

import io

from django.core.management import call_command

from reminders.models import ClinicReminderDefaults, ReminderDelivery, ReminderPreference


def test_seed_demo_sets_up_reminders_and_reseeding_keeps_the_counts(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (ClinicReminderDefaults.objects.count(), ReminderPreference.objects.count(),
              ReminderDelivery.objects.count())
    assert counts == (1, 1, 7)
    call_command("seed_demo", stdout=io.StringIO())
    assert (ClinicReminderDefaults.objects.count(), ReminderPreference.objects.count(),
            ReminderDelivery.objects.count()) == counts


def test_webpush_keys_prints_a_usable_pair_and_writes_nothing(capsys, tmp_path, monkeypatch):
    from py_vapid import Vapid

    monkeypatch.chdir(tmp_path)
    call_command("webpush_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert set(lines) == {"WEBPUSH_VAPID_PUBLIC_KEY", "WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_SUBJECT"}
    Vapid.from_raw(lines["WEBPUSH_VAPID_PRIVATE_KEY"].encode())  # a valid P-256 private key
    assert len(lines["WEBPUSH_VAPID_PUBLIC_KEY"]) == 87  # 65 bytes, base64url without padding
    assert list(tmp_path.iterdir()) == []
