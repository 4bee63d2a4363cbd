"""Sign-in hardening, one module per behaviour.

- `lockout`: failed sign-ins are counted by django-axes per (e-mail, client
  address): the fifth failure locks that pair for SIGN_IN_LOCKOUT_MINUTES, so
  an attacker on another network cannot lock the real user out. A success, or
  a password reset, clears the count. The lockout shows our sign-in page with
  status 429.
- `two_factor`: staff (therapists and clinic admins) and everyone who can open
  Django's admin, never patients, use TOTP two-factor with single-use recovery
  codes; `two_factor_required` is the rule of who must, in one place. Its
  services are the only code that creates, confirms or removes devices.
- `sessions`: how long a signed-in session lasts. Staff sessions end after
  STAFF_SESSION_IDLE_SECONDS without a request and STAFF_SESSION_MAX_SECONDS
  after signing in; patients keep 30 days on their own phone.
- `middleware`: `SignInSecurityMiddleware` enforces the staff session limits
  and holds unverified staff at the two-factor pages.

The public names are re-exported here, so callers read `from clinic import security`.
Settings name the modules themselves (AXES_*_CALLABLE, MIDDLEWARE, AUTHENTICATION_BACKENDS).
"""

from clinic.security.lockout import (
    SignInLockoutBackend,
    password_proves,
    sign_in_client_ip,
    sign_in_failures_clear,
    sign_in_locked_out,
    sign_in_username,
)
from clinic.security.sessions import (
    LAST_SEEN,
    PATIENT_SESSION_SECONDS,
    SIGNED_IN_AT,
    TWO_FACTOR_NOT_NEEDED_UNTIL,
    on_user_logged_in,
)
from clinic.security.two_factor import (
    NEED_NOTHING,
    NEED_SETUP,
    NEED_VERIFY,
    TWO_FACTOR_API_MESSAGE,
    TwoFactorThrottled,
    authenticator_get,
    authenticator_pending,
    authenticator_qr_svg,
    authenticator_secret,
    can_open_site_admin,
    is_recovery_code_device,
    recovery_codes_left,
    recovery_codes_regenerate,
    two_factor_confirm,
    two_factor_disable,
    two_factor_need,
    two_factor_required,
    two_factor_verify,
    uses_two_factor,
)

__all__ = [
    "LAST_SEEN", "NEED_NOTHING", "NEED_SETUP", "NEED_VERIFY", "PATIENT_SESSION_SECONDS", "SIGNED_IN_AT",
    "TWO_FACTOR_API_MESSAGE", "TWO_FACTOR_NOT_NEEDED_UNTIL", "SignInLockoutBackend", "TwoFactorThrottled",
    "authenticator_get", "authenticator_pending", "authenticator_qr_svg", "authenticator_secret",
    "can_open_site_admin", "is_recovery_code_device", "on_user_logged_in",
    "password_proves", "recovery_codes_left", "recovery_codes_regenerate", "sign_in_client_ip",
    "sign_in_failures_clear", "sign_in_locked_out", "sign_in_username", "two_factor_confirm",
    "two_factor_disable", "two_factor_need", "two_factor_required", "two_factor_verify", "uses_two_factor",
]
