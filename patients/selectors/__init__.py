"""Reads for patients, by behaviour; callers read `from patients import selectors`.

- `plans`: the current phase and ladder step, today's plan, phase readiness;
- `charts`: the pain and weekly training charts;
- `checks`: the exercises the progression checks cover and the engine's input;
- `flags`: the inbox (unresolved flags, the sessions behind them, unseen notes);
- `patients`: the patient list, the patient page, page visits, invitations.

The adherence report is `patients.adherence_report`, its arithmetic
`patients.adherence`. Each selector runs a fixed number of queries whatever
the number of rows, so list pages stay fast as a clinic grows (guarded by
query-count tests).
"""

from patients.selectors.charts import day_in_words, pain_by_day, pain_history, step_changes, weeks_chart
from patients.selectors.checks import (
    CATCH_UP_DAYS,
    CheckInput,
    Evidence,
    active_assignment_ids,
    active_ladder_exercises,
    adherence_window_start,
    assignments_with_unchecked_evidence,
    check_input,
    engine_input,
    engine_inputs,
    ladder_exercises_to_check,
    latest_checks,
    plan_training_days,
    read_evidence,
    recent_training_by_assignment,
)
from patients.selectors.entries import (
    checkin_on,
    exercise_with_current_load,
    own_session_get,
    patient_sessions,
    recent_checkins,
    session_check,
    session_with_client_uuid,
)
from patients.selectors.flags import (
    NOTES_IN_INBOX,
    SEVERITY_ORDER,
    UNRESOLVED,
    flag_get,
    flag_inbox,
    flags_get,
    inbox_mine_by_default,
    open_flag_count,
    sessions_behind_flags,
    unresolved_flag_count,
    unseen_patient_notes,
    with_red_pain_beside,
)
from patients.selectors.patients import (
    PATIENT_SORTS,
    InvitationInvalid,
    PatientOverview,
    assignable_protocols,
    invitation_account_for,
    invitation_check,
    invitation_offer,
    is_new,
    join_code_open,
    last_page_visits,
    latest_pain_during,
    mark_new,
    open_invitation_exists,
    patient_get,
    patient_latest_pain_during,
    patient_list,
    patient_overview,
    therapist_choices,
    with_patient_summary,
)
from patients.selectors.plans import (
    PhaseReadiness,
    PlanControls,
    TodayPlan,
    active_assignment,
    active_assignments,
    current_phase,
    current_phase_ids,
    current_steps_for_assignments,
    latest_measurement,
    phase_readiness,
    phase_readings,
    plan_controls,
    plan_exercises,
    step_in_force,
    step_in_words,
    today_plan,
    with_current_load,
    with_current_phase,
)

__all__ = [
    "CATCH_UP_DAYS", "NOTES_IN_INBOX", "PATIENT_SORTS", "SEVERITY_ORDER", "UNRESOLVED", "CheckInput", "Evidence",
    "InvitationInvalid", "PatientOverview", "PhaseReadiness", "PlanControls", "TodayPlan", "active_assignment",
    "active_assignment_ids", "active_assignments", "active_ladder_exercises", "adherence_window_start",
    "assignable_protocols", "assignments_with_unchecked_evidence", "check_input", "checkin_on", "current_phase",
    "current_phase_ids", "current_steps_for_assignments", "day_in_words", "engine_input", "engine_inputs",
    "exercise_with_current_load", "flag_get", "flag_inbox", "flags_get", "inbox_mine_by_default",
    "invitation_account_for", "invitation_check", "invitation_offer", "join_code_open", "is_new",
    "ladder_exercises_to_check",
    "last_page_visits", "latest_checks", "latest_measurement", "latest_pain_during", "mark_new", "open_flag_count",
    "open_invitation_exists", "own_session_get", "pain_by_day", "pain_history", "patient_get",
    "patient_latest_pain_during", "patient_list",
    "patient_overview", "patient_sessions", "phase_readiness", "phase_readings", "plan_controls", "plan_exercises",
    "plan_training_days", "read_evidence", "recent_checkins", "recent_training_by_assignment", "session_check",
    "session_with_client_uuid", "sessions_behind_flags", "step_changes", "step_in_force", "step_in_words",
    "therapist_choices", "today_plan", "unresolved_flag_count", "unseen_patient_notes", "weeks_chart",
    "with_current_load", "with_current_phase", "with_patient_summary", "with_red_pain_beside",
]
