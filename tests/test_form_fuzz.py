"""Property-based posts to every HTML form: no server error, and invalid input is refused in words.

Every HTML route that takes POST (from the URL resolver; not /api/ or /admin/)
is listed in ROUTES with who posts to it and the objects its URL points at; a
route added later without a row here fails `test_every_post_route_is_fuzzed`.
For each route the page with its form is fetched to learn the field names
(inputs, selects with their options, textareas, named buttons), then hypothesis
posts generated data: plausible values, unicode and control characters, very
long strings, numbers out of any range, missing fields, fields sent several
times, unknown fields, urlencoded or multipart, sometimes asking for JSON (as the
offline outbox does). In two posts out of three one field the app validates gets
a NUL character, which no field accepts: the answer must then be a 4xx, the form
again with an error message, or a redirect to a page showing an error. Never a
5xx, whatever was sent.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.support import progression_flag, rows  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

# Per route; about 50 routes, so a run stays around a minute. Raise it for a deeper local search.
EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "10"))


# ---------------------------------------------------------------------------
# The objects the routes point at
# ---------------------------------------------------------------------------


@dataclass
class Objects:
    world: object
    rows: object
    patient_a3: object  # clinic A, no login yet, an open invitation, no plan
    patient_a4: object  # clinic A, on protocol A (two phases), so the phase can change
    invitation_token: str
    reset_link: str  # a password-reset link of patient A2's account
    membership_invited: object  # invited, no password yet
    joiner: object  # an existing account without a role, invited to join clinic A's staff
    staff_join_token: str
    membership_active: object  # a therapist the admin may deactivate
    membership_inactive: object  # a deactivated therapist
    key_a: object
    notification_failed: object  # a staff e-mail that failed for good, listed for the admin to retry
    protocol_archived: object
    phase_a: object
    exercise_a: object  # the retro walk, with its ladder
    step_a: object
    media_template_a: object  # a picture of clinic A's template A
    media_patient_a1: object  # a picture made for patient A1's plan


@pytest.fixture
def objects(world, rows, settings, tmp_path) -> Objects:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from clinic import services as clinic_services
    from clinic.models import Membership, Notification
    from exercise_media.tests.support import ready_picture, use_storage
    from patients.services import assignment_create, invitation_create
    from protocols.models import Phase, PrescribedExercise
    from protocols.services import protocol_archive
    from tests.factories import ExerciseTemplateFactory, MembershipFactory, PatientFactory, UserFactory, make_protocol

    a = world.clinic_a
    patient_a3 = PatientFactory(clinic=a, therapist=world.therapist_a, email="a3@a.test", user=None)
    _invitation, link = invitation_create(patient=patient_a3, created_by=world.therapist_a, send=False)
    user = world.patient_a2.user
    reset_link = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    invited = clinic_services.staff_invite(clinic=a, email="new@a.test", first_name="New",
                                               invited_by=world.admin_a).membership
    joiner = UserFactory(email="joiner@example.test")
    join_link = clinic_services.staff_join_link(clinic=a, user=joiner, role=Membership.Role.THERAPIST)
    active = MembershipFactory(clinic=a, role=Membership.Role.THERAPIST, user__email="other@a.test")
    inactive = MembershipFactory(clinic=a, role=Membership.Role.THERAPIST, user__email="gone@a.test")
    clinic_services.staff_deactivate(membership=inactive, by=world.admin_a)
    key_a, _raw = clinic_services.api_key_create(clinic=a, name="EHR")
    archived = make_protocol(clinic=a)
    protocol_archive(protocol=archived)
    phase = rows.protocol_a.phases.order_by("order").first()
    exercise = phase.exercises.order_by("order").first()
    # A second phase: phases can then be moved, and a patient on it moved to the next phase.
    second = Phase.objects.create(protocol=rows.protocol_a, order=1, name="Next", expected_weeks=2)
    PrescribedExercise.objects.create(phase=second, template=ExerciseTemplateFactory(), order=0, frequency_per_week=3)
    use_storage(settings, tmp_path)
    patient_a4 = PatientFactory(clinic=a, therapist=world.therapist_a)
    assignment_create(patient=patient_a4, protocol=rows.protocol_a, start_date=dt.date.today(), baseline_pain=2,
                      assigned_by=world.therapist_a)
    return Objects(
        world=world, rows=rows, patient_a3=patient_a3, patient_a4=patient_a4,
        invitation_token=link.rstrip("/").rsplit("/", 1)[1],
        reset_link=reset_link, membership_invited=invited, joiner=joiner,
        staff_join_token=join_link.rstrip("/").rsplit("/", 1)[1], membership_active=active,
        membership_inactive=inactive,
        key_a=key_a, notification_failed=Notification.objects.create(
            clinic=a, kind=Notification.Kind.URGENT_FLAG, recipient=world.therapist_a, subject="Backstep: urgent flag",
            body="…", status=Notification.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected"),
        protocol_archived=archived, phase_a=phase, exercise_a=exercise,
        step_a=exercise.ladder_steps.order_by("order").first(),
        media_template_a=ready_picture(template=rows.template_a),
        media_patient_a1=ready_picture(exercise=world.assignment_a1.exercises.order_by("pk").first()),
    )


# ---------------------------------------------------------------------------
# Every HTML route that takes POST: who posts, and where its form is
# ---------------------------------------------------------------------------


def none(o: Objects) -> dict:
    return {}


def pk(path: str) -> Callable[[Objects], dict]:
    def kwargs(o: Objects) -> dict:
        value = o
        for name in path.split("."):
            value = getattr(value, name)
        return {"pk": value.pk}
    return kwargs


def phase_kwargs(o: Objects) -> dict:
    return {"pk": o.rows.protocol_a.pk, "phase_pk": o.phase_a.pk}


def exercise_kwargs(o: Objects) -> dict:
    return {"pk": o.rows.protocol_a.pk, "exercise_pk": o.exercise_a.pk}


def reset_kwargs(o: Objects) -> dict:
    # Django's reset link puts its token in the session and continues at .../set-password/.
    return {"uidb64": o.reset_link.strip("/").split("/")[-2], "token": "set-password"}


def open_reset_link(o: Objects, client: Client) -> None:
    assert client.get(o.reset_link).status_code == 302


def authenticator_on(o: Objects, client: Client) -> None:
    """Therapist A has a confirmed authenticator; this session has not given a code yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=o.world.therapist_a, name="Authenticator", confirmed=True)


def authenticator_verified(o: Objects, client: Client) -> None:
    """As authenticator_on, and this session gave a code (so the account security page is open)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=o.world.therapist_a, name="Authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@dataclass(frozen=True)
class Target:
    """Who posts to a route, the URL's arguments, and where its form is when the route itself takes only POST."""

    actor: str  # anonymous, patient_a1, therapist_a, admin_a or joiner
    kwargs: Callable[[Objects], dict] = none
    form_page: str | None = None
    page_kwargs: Callable[[Objects], dict] | None = None  # default: the route's own
    prepare: Callable[[Objects, Client], None] | None = None
    has_form: bool = True
    # Fields the app may rightly accept any text in (not validated as a form field).
    free: frozenset[str] = frozenset()
    # Fields (and values) the view reads that the page does not show for this object, e.g. another action.
    hidden_from_page: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Fields left alone, because a valid value would lock the poster out of the rest of the run.
    omit: frozenset[str] = frozenset()


ROUTES: dict[str, Target] = {
    # The start page takes any method and only redirects by role: no form, but it must not crash either.
    "home": Target("therapist_a", has_form=False),
    # Signing in and out, passwords, two-factor (therapists; the views are the same for admins).
    "login": Target("anonymous"),
    "logout": Target("therapist_a", form_page="patients:list"),
    "password_reset": Target("anonymous"),
    "password_reset_confirm": Target("anonymous", reset_kwargs, prepare=open_reset_link),
    "two-factor-verify": Target("therapist_a", prepare=authenticator_on),
    "two-factor-setup": Target("therapist_a"),
    "recovery-codes-new": Target("therapist_a", form_page="account-security", prepare=authenticator_verified),
    "two-factor-off": Target("therapist_a", form_page="account-security", prepare=authenticator_verified),
    # Clinic administration.
    "clinic-admin:staff-invite": Target("admin_a"),
    # An existing account accepting a clinic's invitation: one button, nothing to validate.
    "staff-join": Target("joiner", lambda o: {"token": o.staff_join_token}),
    "clinic-admin:staff-resend": Target("admin_a", pk("membership_invited"), form_page="clinic-admin:staff",
                                        page_kwargs=none),
    "clinic-admin:staff-deactivate": Target("admin_a", pk("membership_active")),
    "clinic-admin:staff-reactivate": Target("admin_a", pk("membership_inactive")),
    # Requiring two-factor sends the admin to set it up before anything else (the two-factor pages are fuzzed
    # on their own), so that switch stays as it is.
    "clinic-admin:settings": Target("admin_a", omit=frozenset({"require_two_factor"})),
    "clinic-admin:api-key-create": Target("admin_a"),
    "clinic-admin:api-key-revoke": Target("admin_a", pk("key_a")),
    # "Retry now" on a failed staff e-mail: one button on the notifications page, nothing to validate.
    "clinic-admin:notification-retry": Target("admin_a", pk("notification_failed"),
                                              form_page="clinic-admin:notifications", page_kwargs=none),
    # The patient's phone, and the invitation link (signed out).
    "patients:log-session": Target("patient_a1"),
    # The patient's own session (logged moments ago: inside the 24 hours in which it can be changed).
    "patients:session-edit": Target("patient_a1", pk("rows.session_a1")),
    "patients:session-delete": Target("patient_a1", pk("rows.session_a1")),
    "patients:checkin": Target("patient_a1"),
    "patients:invitation": Target("anonymous", lambda o: {"token": o.invitation_token}),
    # The therapist's patient pages and flag inbox.
    "patients:create": Target("therapist_a"),
    "patients:edit": Target("therapist_a", pk("world.patient_a1")),
    "patients:assign": Target("therapist_a", pk("patient_a3")),
    "patients:end-plan": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:step-change": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:phase-change": Target("therapist_a", pk("patient_a4"), form_page="patients:detail"),
    "patients:measurement": Target("therapist_a", pk("world.patient_a1"), form_page="patients:detail"),
    "patients:invite": Target("therapist_a", pk("patient_a3"), form_page="patients:detail"),
    "patients:invite-revoke": Target("therapist_a", pk("patient_a3"), form_page="patients:detail"),
    "patients:flag-bulk": Target("therapist_a", form_page="patients:flags"),
    # The inbox shows a progression suggestion's approve and decline buttons; the view takes all four actions.
    "patients:flag-action": Target("therapist_a", pk("rows.flag_a1"), form_page="patients:flags", page_kwargs=none,
                                   hidden_from_page=(("action", ("acknowledge", "resolve")), ("note", ()))),
    # Exercise library and protocol builder.
    "protocols:template-create": Target("therapist_a"),
    "protocols:template-edit": Target("therapist_a", pk("rows.template_a")),
    "protocols:template-clone": Target("therapist_a", pk("rows.template_a"), form_page="protocols:template-detail"),
    "protocols:create": Target("therapist_a"),
    "protocols:edit": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:clone": Target("therapist_a", pk("rows.protocol_a"), form_page="protocols:detail"),
    "protocols:archive": Target("therapist_a", pk("rows.protocol_a"), form_page="protocols:detail"),
    "protocols:restore": Target("therapist_a", pk("protocol_archived"), form_page="protocols:detail"),
    "protocols:delete": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:phase-add": Target("therapist_a", pk("rows.protocol_a")),
    "protocols:phase-edit": Target("therapist_a", phase_kwargs),
    "protocols:phase-remove": Target("therapist_a", phase_kwargs),
    "protocols:phase-move": Target("therapist_a", phase_kwargs, form_page="protocols:detail",
                                   page_kwargs=pk("rows.protocol_a")),
    "protocols:exercise-add": Target("therapist_a", phase_kwargs),
    "protocols:exercise-edit": Target("therapist_a", exercise_kwargs),
    "protocols:exercise-remove": Target("therapist_a", exercise_kwargs),
    "protocols:exercise-move": Target("therapist_a", exercise_kwargs, form_page="protocols:detail",
                                      page_kwargs=pk("rows.protocol_a")),
    # Its "action" button only tells "save" from "preview": any other value previews, rightly without an error.
    "protocols:ladder": Target("therapist_a", exercise_kwargs, free=frozenset({"action"})),
    "protocols:step-edit": Target("therapist_a", lambda o: {"pk": o.rows.protocol_a.pk, "step_pk": o.step_a.pk}),
    # Exercise media: uploads (multipart; the fuzzer's text in the file field is refused in words), removal, and
    # the clinic admin's education texts (its "action" button only tells reset from save).
    "exercise_media:template-media": Target("therapist_a", pk("rows.template_a")),
    "exercise_media:template-media-delete": Target(
        "therapist_a", lambda o: {"pk": o.rows.template_a.pk, "media_pk": o.media_template_a.pk},
        form_page="exercise_media:template-media", page_kwargs=pk("rows.template_a")),
    "exercise_media:patient-media": Target("therapist_a", pk("world.patient_a1")),
    "exercise_media:patient-media-delete": Target(
        "therapist_a", lambda o: {"pk": o.world.patient_a1.pk, "media_pk": o.media_patient_a1.pk},
        form_page="exercise_media:patient-media", page_kwargs=pk("world.patient_a1")),
    "exercise_media:education-edit": Target("admin_a", lambda o: {"topic": "first-session"},
                                            free=frozenset({"action"})),
}
# Fields no route validates as a form field: the CSRF token (not checked by the test client) and where to go next.
FREE_EVERYWHERE = frozenset({"csrfmiddlewaretoken", "next"})


def accepts_post(callback) -> bool:
    """Whether a view lets POST through: a class-based view with post(), or a function view whose decorators
    (require_POST, require_http_methods, require_GET, require_safe) do not refuse it."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return "post" in view_class.http_method_names and hasattr(view_class, "post")
    function = callback
    while function is not None:
        code = getattr(function, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = function.__closure__[code.co_freevars.index("request_method_list")]
            return "POST" in cell.cell_contents
        function = getattr(function, "__wrapped__", None)
    return True  # no method restriction at all


def html_post_routes() -> set[str]:
    """Named HTML routes (not /api/, not /admin/) whose view takes POST, from the URL resolver."""
    found = set()

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                    pattern.namespace or namespace)
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith(("api/", "admin/", "^api/", "^admin/")) or not pattern.name:
                    continue
                if accepts_post(pattern.callback):
                    found.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns)
    return found


def test_every_post_route_is_fuzzed():
    routes = html_post_routes()
    assert routes - set(ROUTES) == set(), "new HTML routes that take POST need a row in ROUTES"
    assert set(ROUTES) - routes == set(), "ROUTES names routes that do not take POST (or no longer exist)"


# ---------------------------------------------------------------------------
# Reading a page's forms
# ---------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, email, password, hidden, checkbox, radio, select, textarea, button
    options: set[str]
    required: bool
    initial: str | None = None  # what the page filled in (value, checked, selected)


class FormReader(HTMLParser):
    """The POST forms of a page: action -> {field name -> Field}; forms with the same action are merged.

    Fields outside a form that name it (`form="id"`, as the flag inbox's tick boxes do) count as its own.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, Field]] = {}
        self._by_id: dict[str, dict[str, Field]] = {}
        self._owned: list[tuple[str, Field]] = []  # fields naming their form by id
        self._form: dict[str, Field] | None = None
        self._select: Field | None = None

    def _field(self, owner: str | None, name: str, kind: str, required: bool) -> Field:
        if owner is not None:
            field = Field(name, kind, set(), required)
            self._owned.append((owner, field))
            return field
        field = self._form.setdefault(name, Field(name, kind, set(), required))
        field.required = field.required or required
        return field

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self._form = self.forms.setdefault(attrs.get("action") or "", {})
                if attrs.get("id"):
                    self._by_id[attrs["id"]] = self._form
            return
        if tag == "option":
            if self._select is not None and attrs.get("value") is not None:
                self._select.options.add(attrs["value"])
                if "selected" in attrs or self._select.initial is None:
                    self._select.initial = attrs["value"]
            return
        owner = attrs.get("form")
        if (self._form is None and owner is None) or not attrs.get("name"):
            return
        name, required = attrs["name"], "required" in attrs
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image", "reset"):
                kind = "button"
            field = self._field(owner, name, kind, required)
            if attrs.get("value") is not None:
                field.options.add(attrs["value"])
                if kind not in ("checkbox", "radio", "button") or "checked" in attrs:
                    field.initial = attrs["value"]
        elif tag == "button":
            field = self._field(owner, name, "button", False)
            field.options.add(attrs.get("value") or "")
            field.initial = field.initial if field.initial is not None else (attrs.get("value") or "")
        elif tag == "textarea":
            self._field(owner, name, "textarea", required)
        elif tag == "select":
            self._select = self._field(owner, name, "select", required)

    def close(self):
        super().close()
        for owner, field in self._owned:
            form = self._by_id.get(owner)
            if form is not None:
                existing = form.setdefault(field.name, Field(field.name, field.kind, set(), field.required))
                existing.options |= field.options

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def form_fields(page_url: str, html: str, target_url: str) -> dict[str, Field] | None:
    reader = FormReader()
    reader.feed(html)
    reader.close()
    merged, found = {}, False
    for action, fields in reader.forms.items():
        if urlsplit(urljoin(page_url, action)).path == target_url:
            found = True
            for name, field in fields.items():
                existing = merged.setdefault(name, Field(name, field.kind, set(), field.required, field.initial))
                existing.options |= field.options
    return merged if found else None


# ---------------------------------------------------------------------------
# Generated posts
# ---------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # any unicode a browser can send
NASTY = st.sampled_from([
    "", " ", "-1", "0", "1.5", "1e309", "NaN", "Infinity", "-0", "0x10", "٣", "½", "99999999999999999999999999",
    "true", "null", "[]", "{}", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "\u202e\ufeff",
    "🦵" * 3, "\r\n", "%00", "2026-02-30", "31/12/2026", "0000-00-00", "9999-12-31", "-2147483649",
])
LONG = st.integers(min_value=1_000, max_value=100_000).map(lambda n: "ẞ" * n)  # beyond any max_length
NUMBERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats()).map(str)
DATES = st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat)
JUNK = st.one_of(NASTY, TEXT, LONG, NUMBERS, DATES)
WITH_NUL = TEXT.map(lambda text: f"{text[: len(text) // 2]}\x00{text[len(text) // 2:]}")


def plausible(field: Field):
    if field.options:  # the choices offered, or the value the page filled in
        return st.sampled_from(sorted(field.options))
    if field.kind == "number":
        return st.integers(min_value=-5, max_value=200).map(str)
    if field.kind == "date":
        return DATES
    return TEXT


def filled_in(field: Field) -> str | None:
    """The page's value for a field, or what a person would most likely choose or type there."""
    if field.initial is not None or field.kind == "checkbox":
        return field.initial
    if field.options:
        return sorted(field.options)[0]
    if field.kind == "number":
        return "1"
    if field.kind == "date":
        return dt.date.today().isoformat()
    return "Fine" if field.required else None


@st.composite
def posts(draw, fields: dict[str, Field], checked: list[str]):
    """(data, poisoned field, encoding, wants JSON): every field present, missing, plausible, junk or repeated."""
    data = {}
    # One post in three is the page's own form, filled in plausibly: only the NUL (if any) is wrong, so the
    # error about that one field must be shown on its own, hidden fields included.
    tidy = draw(st.integers(0, 2)) == 0
    for field in fields.values():
        choice = "plausible" if tidy else draw(st.sampled_from(["missing", "plausible", "plausible", "junk",
                                                                 "repeated"]))
        if choice == "missing":
            continue
        if choice == "repeated":
            data[field.name] = draw(st.lists(st.one_of(plausible(field), JUNK), min_size=2, max_size=3))
        else:
            data[field.name] = draw(plausible(field) if choice == "plausible" else JUNK)
    for name, value in draw(st.dictionaries(TEXT.filter(bool), JUNK, max_size=0 if tidy else 2)).items():
        data.setdefault(name, value)
    # Two posts in three carry the NUL; the others may be valid by chance and reach the services behind the form.
    poisoned = draw(st.sampled_from(checked)) if checked and draw(st.integers(0, 2)) else None
    if poisoned is not None:
        data[poisoned] = draw(WITH_NUL)
    return data, poisoned, draw(st.sampled_from(["urlencoded", "multipart"])), draw(st.booleans())


ERROR_SHOWN = re.compile(r'class="[^"]*\b(errorlist|invalid-feedback|is-invalid|alert-danger|alert-warning)\b')


def send(client: Client, url: str, data: dict, encoding: str, wants_json: bool):
    headers = {"HTTP_ACCEPT": "application/json"} if wants_json else {}
    if encoding == "urlencoded":
        return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded",
                           **headers)
    return client.post(url, data, **headers)


def shown_errors(response) -> int:
    return len(ERROR_SHOWN.findall(response.content.decode()))


def refusal_problem(client: Client, response) -> str | None:
    """None if the response refuses the post in a way a person can see; else what is wrong.

    Pages may carry warnings of their own (safety notes, archived protocols), so an error counts as shown
    when the answer has more error marks than the same page fetched afresh.
    """
    status = response.status_code
    if 400 <= status < 500:
        return None
    if status == 200 and response.context is not None and response.context.get("validlink") is False:
        return None  # a password link already used (by an earlier post): "This link cannot be used"
    if status == 200:
        if response["Content-Type"].startswith("application/json"):
            return None if "errors" in response.json() else f"200 JSON without errors: {response.content[:200]!r}"
        fresh = client.get(response.wsgi_request.path)
        before = shown_errors(fresh) if fresh.status_code == 200 else 0
        return None if shown_errors(response) > before else "200 page without an error message"
    if status in (301, 302, 303):
        page = client.get(response["Location"])
        again = client.get(response["Location"])  # the messages are gone by now
        if page.status_code < 500 and shown_errors(page) > shown_errors(again):
            return None
        return f"redirected to {response['Location']} without an error message"
    return f"unexpected status {status}"


def short(data: dict) -> str:
    """The post, with long values abbreviated, for failure messages."""
    def one(value):
        if isinstance(value, list):
            return [one(item) for item in value]
        return value if len(value) <= 60 else f"{value[:20]!r}... ({len(value)} characters)"
    return repr({name: one(value) for name, value in data.items()})


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_posting_bad_data_to_a_form_never_crashes_and_is_refused_clearly(name, objects):
    target = ROUTES[name]
    client = Client(raise_request_exception=False)
    users = {"patient_a1": objects.world.patient_a1.user, "therapist_a": objects.world.therapist_a,
             "admin_a": objects.world.admin_a, "joiner": objects.joiner}
    if target.actor != "anonymous":
        client.force_login(users[target.actor])
    if target.prepare is not None:
        target.prepare(objects, client)
    url = reverse(name, kwargs=target.kwargs(objects))
    fields = {}
    if target.has_form:
        page_url = reverse(target.form_page, kwargs=(target.page_kwargs or target.kwargs)(objects)) if (
            target.form_page) else url
        page = client.get(page_url)
        assert page.status_code == 200, f"{page_url}: {page.status_code}"
        fields = form_fields(page_url, page.content.decode(), url)
        assert fields is not None, f"no form posting to {url} on {page_url}"
        for field_name, options in target.hidden_from_page:
            fields.setdefault(field_name, Field(field_name, "text", set(), False)).options.update(options)
        fields = {field_name: field for field_name, field in fields.items() if field_name not in target.omit}
    free = FREE_EVERYWHERE | target.free
    checked = sorted(f.name for f in fields.values() if f.kind != "checkbox" and f.name not in free)

    statuses: Counter = Counter()
    # First, one field at a time: the page's own form as filled in, with only that field wrong.
    as_filled_in = {name: value for name, value in ((f.name, filled_in(f)) for f in fields.values())
                    if value is not None}
    for field_name in checked:
        data = {**as_filled_in, field_name: "wrong\x00value"}
        response = send(client, url, data, "urlencoded", False)
        statuses[response.status_code] += 1
        assert response.status_code < 500, f"{response.status_code} for {short(data)}"
        problem = refusal_problem(client, response)
        assert problem is None, f"{problem} (NUL in {field_name!r} alone; data {short(data)})"

    @given(post=posts(fields, checked))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(post):
        data, poisoned, encoding, wants_json = post
        response = send(client, url, data, encoding, wants_json)
        statuses[response.status_code] += 1
        assert response.status_code < 500, f"{response.status_code} for {short(data)}"
        assert response.status_code != 405, "the route refuses POST: it does not belong in ROUTES"
        if poisoned is not None:
            problem = refusal_problem(client, response)
            assert problem is None, f"{problem} (NUL in {poisoned!r}; data {short(data)})"

    check()
    print(f"{name}: fields {sorted(fields)}, answers {dict(statuses)}")
