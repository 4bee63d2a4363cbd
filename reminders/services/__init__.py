"""Writes for reminders: the tick (`tick`), one send (`sending`), the settings pages (`preferences`)."""

from reminders.services.preferences import (
    clinic_defaults_save,
    email_unsubscribe,
    preference_save,
    push_subscribe,
    push_unsubscribe,
)
from reminders.services.sending import delivery_send, reminder_payload
from reminders.services.tick import reminders_tick

__all__ = ["clinic_defaults_save", "delivery_send", "email_unsubscribe", "preference_save", "push_subscribe",
           "push_unsubscribe", "reminder_payload", "reminders_tick"]
