"""Two-factor sign-in: who must use it, what a signed-in user still needs, and the device services.

Staff (therapists and clinic admins) and everyone who can open Django's admin
(staff or superuser status), never patients, use TOTP two-factor (django-otp)
with single-use recovery codes. A code is asked for whenever they have an
authenticator set up; setting one up is required always under
DJANGO_ENV=production, else for staff when their clinic says so
(ClinicSettings.require_two_factor) and for admin users when the site says so
(ADMIN_REQUIRE_TWO_FACTOR) or any clinic they belong to does.
`two_factor_required` is that rule, in one place.

The services below (`two_factor_*`, `recovery_codes_*`) are the only code that
creates, confirms or removes devices.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import ClinicSettings
from clinic.qr import qr_svg

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"

TWO_FACTOR_API_MESSAGE = "Two-factor verification required: finish signing in in the browser."

# What stands between a signed-in user and the app (`two_factor_need`).
NEED_NOTHING = ""
NEED_VERIFY = "verify"
NEED_SETUP = "setup"


def can_open_site_admin(user) -> bool:
    """Whether Django's admin may let `user` in: an active account with staff or superuser status."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def uses_two_factor(*, user, actor) -> bool:
    """Who signs in with a second factor at all: clinic staff and anyone who can open Django's admin.

    Patients (without admin rights) never are.
    """
    return actor.is_staff_member or can_open_site_admin(user)


def two_factor_required(*, user, actor) -> bool:
    """Whether `user` must have an authenticator: the one rule, for clinic staff and site administrators alike.

    - DJANGO_ENV=production: everyone who uses two-factor (see `uses_two_factor`);
    - clinic staff: when their clinic's settings require it;
    - anyone who can open Django's admin: when the site setting ADMIN_REQUIRE_TWO_FACTOR is on, or when any
      clinic they are staff of requires it (the admin reaches every clinic's patients).
    """
    if not uses_two_factor(user=user, actor=actor):
        return False
    if settings.PRODUCTION:
        return True
    if can_open_site_admin(user):
        if settings.ADMIN_REQUIRE_TWO_FACTOR:
            return True
        return ClinicSettings.objects.filter(
            require_two_factor=True, clinic__is_active=True, clinic__memberships__user=user).exists()
    return ClinicSettings.objects.filter(clinic=actor.clinic, require_two_factor=True).exists()


@dataclass(frozen=True)
class TwoFactorState:
    """What two-factor asks of a user, resolved with their clinic role and cached with it (clinic.tenancy).

    `device_ids`: the persistent ids of their confirmed devices (authenticator and recovery codes), which a
    session's verification must name; `setup_required`: no authenticator yet, and `two_factor_required` says
    they must set one up. Any device or requirement change drops the cached state.
    """

    device_ids: frozenset[str]
    has_authenticator: bool
    setup_required: bool


_AUTHENTICATOR_LABEL = TOTPDevice._meta.label_lower


def two_factor_state(*, user, actor) -> TwoFactorState | None:
    """The two-factor facts of `user` (None for those who never use it): one query, two without an authenticator."""
    if not uses_two_factor(user=user, actor=actor):
        return None
    devices = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        .values_list(Value(_AUTHENTICATOR_LABEL, output_field=CharField()), "id")
        .union(StaticDevice.objects.filter(user=user, confirmed=True)
               .values_list(Value(StaticDevice._meta.label_lower, output_field=CharField()), "id"), all=True)
    )
    device_ids = frozenset(f"{label}/{pk}" for label, pk in devices)
    has_authenticator = any(device_id.startswith(_AUTHENTICATOR_LABEL + "/") for device_id in device_ids)
    return TwoFactorState(device_ids=device_ids, has_authenticator=has_authenticator,
                          setup_required=not has_authenticator and two_factor_required(user=user, actor=actor))


def authenticator_get(*, user):
    """The staff member's confirmed authenticator (TOTP) device, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def two_factor_need(*, user, actor) -> str:
    """What stands between a signed-in user and the app: nothing, a code (verify) or an authenticator (setup).

    Only clinic staff and those who can open Django's admin are ever asked
    (`uses_two_factor`). One already verified in this session needs nothing;
    one with an authenticator always gives a code; one without needs to set
    one up only when `two_factor_required` says so.
    """
    if not uses_two_factor(user=user, actor=actor):
        return NEED_NOTHING
    # django-otp's middleware adds is_verified to request.user; a user without it (at sign-in) is not verified.
    if getattr(user, "is_verified", None) and user.is_verified():
        return NEED_NOTHING
    state = getattr(actor, "two_factor", None)  # cached with the caller's role (clinic.tenancy.cached_actor)
    if state.has_authenticator if state is not None else authenticator_get(user=user) is not None:
        return NEED_VERIFY
    if state.setup_required if state is not None else two_factor_required(user=user, actor=actor):
        return NEED_SETUP
    return NEED_NOTHING


def authenticator_pending(*, user):
    """The unconfirmed authenticator being set up, created on first call.

    Reused on every visit to the set-up page, so reloading it does not change
    the QR code the staff member may already have scanned.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_secret(device) -> str:
    """The device's secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def authenticator_qr_svg(device) -> str:
    """The device's otpauth:// link as an inline SVG QR code: drawn here, no request to anyone."""
    return qr_svg(device.config_url, title=_("QR code for your authenticator app"))


def is_recovery_code_device(device) -> bool:
    return isinstance(device, StaticDevice)


def _normalized_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


class TwoFactorThrottled(ValidationError):
    """Too many wrong codes: django-otp makes the device wait before it checks another."""


def _recovery_codes_create(*, user) -> list[str]:
    # Same device, new tokens: a session verified with a recovery code stays verified.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_confirm(*, user, code: str):
    """Turn on two-factor: check `code` against the pending authenticator.

    On success the authenticator is confirmed (any older one removed) and ten
    new recovery codes replace the old ones; returns (device, codes), the codes
    to be shown once. Returns None when the code is wrong.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        return None
    _raise_if_throttled(device)
    if not device.verify_token(_normalized_code(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_create(user=user)
    logger.info("user %s turned on two-factor sign-in", user.pk)
    return device, codes


def _raise_if_throttled(device) -> None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return
    locked_until = (info or {}).get("locked_until")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 1
    raise TwoFactorThrottled(
        _("Too many wrong codes. Wait %(seconds)s seconds, then try the newest code.") % {"seconds": seconds}
    )


@transaction.atomic
def two_factor_verify(*, user, code: str):
    """The device that accepts `code`: a 6-digit authenticator code or an unused recovery code; else None.

    A recovery code is used up. Wrong codes slow further tries down
    (django-otp's throttling); TwoFactorThrottled says how long to wait.
    """
    code = _normalized_code(code)
    if not code:
        return None
    # Route by shape, so a recovery code never counts as a wrong authenticator code.
    model = TOTPDevice if (code.isdigit() and len(code) == 6) else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True).order_by("id"):
        _raise_if_throttled(device)
        if device.verify_token(code):
            if model is StaticDevice:
                logger.info("user %s used a recovery code (%s left)", user.pk, device.token_set.count())
            return device
    return None


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the staff member's recovery codes with ten new ones; the old ones stop working. Returns them."""
    if authenticator_get(user=user) is None:
        raise ValidationError(_("Turn on two-factor sign-in first."))
    codes = _recovery_codes_create(user=user)
    logger.info("user %s made new recovery codes", user.pk)
    return codes


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_disable(*, user, actor) -> None:
    """Turn two-factor off: remove the authenticator and recovery codes. Refused where it is required."""
    if two_factor_required(user=user, actor=actor):
        if actor.is_staff_member:
            raise ValidationError(_("Your clinic requires two-factor sign-in, so it cannot be turned off."))
        raise ValidationError(_("Site administrators must use two-factor sign-in, so it cannot be turned off."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    logger.info("user %s turned off two-factor sign-in", user.pk)
