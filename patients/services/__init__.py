"""Writes for patients, one module per behaviour, re-exported so callers read `from patients import services`:

- `plans`: patients, assigning a protocol, step and phase changes, ending a plan, page visits;
- `entries`: what a patient logs (sessions and their corrections, morning check-ins) and clinic measurements;
  each asks for its plan's check after commit;
- `checks`: the progression checks: engine inputs in, step changes and flags out;
- `flags`: a therapist's approve, decline, acknowledge and resolve;
- `notifications`: the urgent-flag e-mail and the daily digest;
- `sweeps`: the nightly sweep of every active plan;
- `invitations`: patients' one-time invitation links.

Reads live in `patients.selectors`; "today in the clinic" in `clinic.clock`.
"""

from clinic.clock import clinic_today
from patients.services.checks import ENGINE_CLEARED_NOTE, CheckOutcome, assignments_check
from patients.services.entries import (
    BACKDATE_LIMIT_DAYS,
    EVIDENCE_CHANGED,
    SESSION_CORRECTABLE_FIELDS,
    IdempotencyConflict,
    SavedSession,
    checkin_record,
    enqueue_assignment_check,
    measurement_record,
    session_log_create,
    session_log_delete,
    session_log_update,
    step_in_force,
    validate_session_date,
)
from patients.services.flags import ApprovalRefused, flag_acknowledge, flag_approve, flag_decline, flag_resolve
from patients.services.invitations import (
    InvitationInvalid,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
)
from patients.services.notifications import daily_digests_send, flag_notify_urgent
from patients.services.plans import (
    assignment_create,
    assignment_end,
    patient_create,
    patient_page_visit_record,
    patient_update,
    phase_change,
    step_change,
)
from patients.services.sweeps import (
    SWEEP_RECLAIM_AFTER,
    assignments_with_unchecked_evidence,
    clinics_due_for_sweep,
    enqueue_checks,
    publish_checks,
    sweeps_run,
)

__all__ = [
    "BACKDATE_LIMIT_DAYS", "ENGINE_CLEARED_NOTE", "EVIDENCE_CHANGED", "SESSION_CORRECTABLE_FIELDS",
    "SWEEP_RECLAIM_AFTER", "ApprovalRefused", "CheckOutcome", "IdempotencyConflict", "InvitationInvalid",
    "SavedSession", "assignment_create", "assignment_end", "assignments_check", "assignments_with_unchecked_evidence",
    "checkin_record", "clinic_today", "clinics_due_for_sweep", "daily_digests_send", "enqueue_assignment_check",
    "enqueue_checks", "flag_acknowledge", "flag_approve", "flag_decline", "flag_notify_urgent", "flag_resolve",
    "invitation_accept", "invitation_check", "invitation_create", "invitation_revoke", "measurement_record",
    "patient_create", "patient_page_visit_record", "patient_update", "phase_change", "publish_checks",
    "session_log_create", "session_log_delete", "session_log_update", "step_change", "step_in_force", "sweeps_run",
    "validate_session_date",
]
