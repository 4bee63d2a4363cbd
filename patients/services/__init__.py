"""Writes for patients, one module per behaviour, re-exported so callers read `from patients import services`:

- `plans`: patients, assigning a protocol, step and phase changes, ending a plan, page visits;
- `entries`: what a patient logs (sessions and their corrections, morning check-ins) and clinic measurements;
  each asks for its plan's check after commit;
- `checks`: the progression checks: engine inputs in, step changes and flags out;
- `flags`: a therapist's approve, decline, acknowledge and resolve;
- `notifications`: the urgent-flag e-mail and the daily digest;
- `sweeps`: the nightly sweep of every active plan;
- `invitations`: patients' one-time invitation links;
- `join_codes`: joining by a short code or QR shown in the clinic.

Reads live in `patients.selectors`; "today in the clinic" in `clinic.clock`. `invitation_check` and
`InvitationInvalid` moved to the selectors (issue 14) and are still named here for the pages that call
them through `services`; `clinic_today` likewise for its many callers.
"""

from clinic.clock import clinic_today
from patients.services.checks import ENGINE_CLEARED_NOTE, CheckOutcome, assignments_check
from patients.services.entries import (
    BACKDATE_LIMIT_DAYS,
    EVIDENCE_CHANGED,
    SESSION_CORRECTABLE_FIELDS,
    CheckInAnswer,
    CheckInNeedsConfirmation,
    CheckInOutcome,
    IdempotencyConflict,
    SavedSession,
    checkin_answer,
    checkin_record,
    enqueue_assignment_check,
    measurement_record,
    session_log_create,
    session_log_delete,
    session_log_update,
    validate_session_date,
)
from patients.services.flags import ApprovalRefused, flag_acknowledge, flag_approve, flag_decline, flag_resolve
from patients.services.invitations import invitation_accept, invitation_create, invitation_revoke
from patients.services.join_codes import (
    JoinRefused,
    join_code_check,
    join_code_create,
    join_code_redeem,
    join_locked,
)
from patients.services.notifications import daily_digests_send, flag_notify_urgent
from patients.services.plans import (
    assignment_create,
    assignment_end,
    patient_create,
    patient_page_visit_record,
    patient_update,
    phase_change,
    plan_assign,
    step_change,
)
from patients.services.sweeps import (
    SWEEP_RECLAIM_AFTER,
    clinics_due_for_sweep,
    enqueue_checks,
    publish_checks,
    sweeps_run,
)

__all__ = [
    "BACKDATE_LIMIT_DAYS", "ENGINE_CLEARED_NOTE", "EVIDENCE_CHANGED", "SESSION_CORRECTABLE_FIELDS",
    "SWEEP_RECLAIM_AFTER", "ApprovalRefused", "CheckInAnswer", "CheckInNeedsConfirmation", "CheckInOutcome",
    "CheckOutcome", "IdempotencyConflict", "SavedSession", "assignment_create", "assignment_end",
    "assignments_check", "checkin_answer", "checkin_record", "clinic_today", "clinics_due_for_sweep",
    "daily_digests_send", "enqueue_assignment_check", "enqueue_checks", "flag_acknowledge", "flag_approve",
    "flag_decline", "flag_notify_urgent", "flag_resolve", "invitation_accept", "invitation_create",
    "invitation_revoke", "JoinRefused", "join_code_check", "join_code_create", "join_code_redeem",
    "join_locked", "measurement_record", "patient_create", "patient_page_visit_record", "patient_update",
    "phase_change", "plan_assign", "publish_checks", "session_log_create", "session_log_delete",
    "session_log_update", "step_change", "sweeps_run", "validate_session_date",
]
