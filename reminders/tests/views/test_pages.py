"""The reminder pages: the patient's settings, push subscribe, the clinic's defaults, the unsubscribe link."""

import datetime as dt

from django.urls import reverse

from reminders.mail import unsubscribe_token
from reminders.models import ClinicReminderDefaults, PushSubscription, ReminderPreference

SETTINGS = reverse("reminders:settings")
SUBSCRIBE = reverse("reminders:push-subscribe")
UNSUBSCRIBE_PUSH = reverse("reminders:push-unsubscribe")
DEFAULTS = reverse("reminders:clinic-defaults")
CHOICE = {"training_enabled": "on", "training_time": "17:30", "training_weekdays": ["1", "3"],
          "checkin_enabled": "on", "checkin_time": "07:45", "nudge_after_days": "4", "quiet_start": "22:00",
          "quiet_end": "06:30", "push_enabled": "on", "timezone": "Europe/Berlin"}


def test_patient_page_starts_from_the_clinic_defaults_and_saves_a_choice(client, world):
    ClinicReminderDefaults.objects.create(clinic=world.clinic_a, checkin_time=dt.time(9, 15))
    client.force_login(world.patient_a1.user)
    page = client.get(SETTINGS)
    assert page.status_code == 200 and 'value="09:15"' in page.content.decode()
    assert "Install/open the app to enable notifications" not in page.content.decode()  # no VAPID keys here
    response = client.post(SETTINGS, CHOICE)
    assert response.status_code == 302
    saved = ReminderPreference.objects.get(patient=world.patient_a1)
    assert (saved.training_time, saved.training_weekdays, saved.nudge_enabled, saved.email_enabled,
            saved.timezone) == (dt.time(17, 30), "13", False, False, "Europe/Berlin")


def test_page_asks_to_install_the_app_when_push_is_configured(client, world, settings):
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = "BPublic", "private"
    client.force_login(world.patient_a1.user)
    body = client.get(SETTINGS).content.decode()
    assert "Install/open the app to enable notifications." in body and 'data-vapid-key="BPublic"' in body


def test_bad_choices_are_refused_with_the_reason(client, world):
    client.force_login(world.patient_a1.user)
    response = client.post(SETTINGS, {**CHOICE, "nudge_after_days": "0", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"nudge_after_days", "timezone"}
    assert not ReminderPreference.objects.exists()


def test_staff_and_anonymous_cannot_use_the_patient_page(client, world):
    assert client.get(SETTINGS).status_code == 302
    client.force_login(world.therapist_a)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SUBSCRIBE, {"endpoint": "https://push.example.test/x"}).status_code == 403


def test_push_subscribe_and_unsubscribe_for_the_signed_in_patient_only(client, world):
    client.force_login(world.patient_a1.user)
    endpoint = "https://push.example.test/abc"
    response = client.post(SUBSCRIBE, {"endpoint": endpoint, "p256dh": "BKey", "auth": "secret"})
    assert response.status_code == 201
    assert PushSubscription.objects.get(endpoint=endpoint).patient == world.patient_a1
    assert client.post(SUBSCRIBE, {"endpoint": "http://insecure.test/x", "p256dh": "k", "auth": "a"}).status_code == 400
    assert client.post(SUBSCRIBE, {"endpoint": endpoint}).status_code == 400  # keys missing
    for inside in ("https://127.0.0.1/x", "https://10.1.2.3/x", "https://localhost/x", "https://[::1]/x"):
        assert client.post(SUBSCRIBE, {"endpoint": inside, "p256dh": "k", "auth": "a"}).status_code == 400, inside
    client.force_login(world.patient_a2.user)
    assert client.post(UNSUBSCRIBE_PUSH, {"endpoint": endpoint}).json() == {"removed": 0}  # not A2's
    client.force_login(world.patient_a1.user)
    assert client.post(UNSUBSCRIBE_PUSH, {"endpoint": endpoint}).json() == {"removed": 1}


def test_clinic_admin_sets_defaults_for_their_clinic_only(client, world):
    client.force_login(world.admin_a)
    data = {k: v for k, v in CHOICE.items() if k != "timezone"} | {"email_enabled": "on"}
    assert client.post(DEFAULTS, data).status_code == 302
    defaults = ClinicReminderDefaults.objects.get()
    assert (defaults.clinic, defaults.email_enabled, defaults.checkin_time) == (world.clinic_a, True, dt.time(7, 45))
    client.force_login(world.therapist_a)
    assert client.get(DEFAULTS).status_code == 403
    client.force_login(world.patient_a1.user)
    assert client.get(DEFAULTS).status_code == 403


def test_unsubscribe_link_confirms_on_get_and_unsubscribes_on_post_without_sign_in(client, world):
    ReminderPreference.objects.create(patient=world.patient_a1, email_enabled=True)
    url = reverse("reminders:unsubscribe", args=[unsubscribe_token(world.patient_a1.pk)])
    page = client.get(url)
    assert page.status_code == 200 and "Stop e-mail reminders" in page.content.decode()
    assert ReminderPreference.objects.get().email_enabled is True  # a link scanner's GET changes nothing
    assert client.post(url).status_code == 200
    assert ReminderPreference.objects.get().email_enabled is False


def test_a_forged_unsubscribe_token_is_refused(client, world):
    url = reverse("reminders:unsubscribe", args=[unsubscribe_token(world.patient_a1.pk)[:-3] + "abc"])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not ReminderPreference.objects.exists()
