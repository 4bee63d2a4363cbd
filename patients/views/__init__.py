"""The patients app's pages, by who uses them.

- `phone`: the patient's phone (today's plan, logging and correcting sessions, the morning check-in, the
  history, the invitation link);
- `workspace`: the therapist's patient list and patient page, and every change made from it;
- `flags`: the therapist's flag inbox.

Views only read through `patients.selectors` and write through `patients.services`; the page helpers they
share (role checks, a service's errors on a form, a safe `next`) are `clinic.web`'s.
"""

from patients.views.flags import flag_action, flag_bulk, flag_inbox
from patients.views.join import join, join_password, patient_join_code
from patients.views.phone import (
    checkin,
    history,
    invitation,
    log_session,
    session_delete,
    session_edit,
    session_saved,
    today,
)
from patients.views.workspace import (
    patient_assign,
    patient_create,
    patient_detail,
    patient_edit,
    patient_end_plan,
    patient_handout,
    patient_invite,
    patient_invite_revoke,
    patient_list,
    patient_measurement,
    patient_phase_change,
    patient_step_change,
)

__all__ = [
    "checkin", "flag_action", "flag_bulk", "flag_inbox", "history", "invitation", "log_session", "patient_assign",
    "patient_create", "patient_detail", "patient_edit", "patient_end_plan", "patient_handout", "patient_invite",
    "patient_invite_revoke", "patient_list", "patient_measurement", "patient_phase_change", "patient_step_change",
    "session_delete", "session_edit", "session_saved", "today", "join", "join_password", "patient_join_code",
]
