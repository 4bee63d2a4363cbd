"""Writes for clinics and their staff, one module per behaviour, re-exported so callers read
`from clinic import services`:

- `clinics`: clinics, accounts, memberships;
- `staff`: inviting staff (new or existing logins), join links, deactivating and reactivating;
- `api_keys`: reporting systems' keys;
- `clinic_settings`: contact, engine thresholds, automatic progression, staff two-factor.
"""

from clinic.services.api_keys import (
    API_KEY_MARK,
    LAST_USED_RESOLUTION_S,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from clinic.services.clinic_settings import (
    clinic_contact_update,
    clinic_language_set,
    clinic_settings_change,
    clinic_settings_update,
    clinic_two_factor_require,
    engine_overrides_check,
)
from clinic.services.clinics import clinic_create, staff_member_add, user_create
from clinic.services.languages import language_choose
from clinic.services.staff import (
    STAFF_JOIN_SALT,
    StaffInvitation,
    StaffJoin,
    StaffJoinInvalid,
    staff_deactivate,
    staff_invite,
    staff_invite_resend,
    staff_join,
    staff_join_check,
    staff_join_link,
    staff_link_valid_days,
    staff_password_link,
    staff_reactivate,
    user_sessions_end,
)

__all__ = [
    "API_KEY_MARK", "LAST_USED_RESOLUTION_S", "STAFF_JOIN_SALT", "StaffInvitation", "StaffJoin", "StaffJoinInvalid",
    "api_key_authenticate", "api_key_create", "api_key_revoke", "clinic_contact_update", "clinic_create",
    "clinic_language_set", "clinic_settings_change", "clinic_settings_update", "clinic_two_factor_require",
    "engine_overrides_check", "language_choose",
    "staff_deactivate", "staff_invite", "staff_invite_resend", "staff_join", "staff_join_check", "staff_join_link",
    "staff_link_valid_days", "staff_member_add", "staff_password_link", "staff_reactivate", "user_create",
    "user_sessions_end",
]
