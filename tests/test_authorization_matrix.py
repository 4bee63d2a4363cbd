"""The authorization matrix: every page and every API operation, for every kind of caller.

The routes come from the URL resolver, so a new page or endpoint that is not
declared in tests/authorization_matrix.py fails `test_every_route_is_in_the_matrix`. Each declaration
names who the route is for (its audience) and whose object its URL points at;
the expected outcome for each actor follows from that:

- "ok": let through (2xx, a redirect that is not to sign-in, or a 400/409 about
  the empty body the matrix sends: the caller passed the checks);
- "login": a page's redirect to sign-in; 401: the API without valid credentials;
- 403: signed in, wrong role; 404: the object belongs to another clinic or patient;
- 405: the method is not offered.

For every cell the test also asserts that refused requests change nothing (the
tenant tables are compared before and after), that no response shown to an
actor contains the name of a patient that actor may not see, and that every
successful request to a patient-data route wrote exactly one audit event
(and requests elsewhere none). Each actor's request runs in a savepoint that is
rolled back, so one actor's successful write cannot change the next one's answer.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.models import AuditEvent, Membership, User
from clinic.security import TWO_FACTOR_API_MESSAGE
from patients.models import Patient
from patients.services import invitation_create
from tests.api.support import rows  # noqa: F401 (fixture)
from tests.authorization_matrix import ACTORS, MATRIX
from tests.authorization_support import (
    client_for,
    fingerprint,
    hidden_names,
    objects,  # noqa: F401 (fixture)
    outcome,
    send,
)
from tests.factories import PatientFactory, UserFactory
from tests.support import code_for, turn_on_two_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


# --- The tests -----------------------------------------------------------------------------------------------

def app_routes() -> dict[str, str]:
    """Named routes of the app (not Django's admin), from the resolver: name -> pattern."""
    found: dict[str, str] = {}

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.setdefault(name, prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    return {name: route for name, route in found.items() if not name.startswith("admin:")}


def test_every_route_is_in_the_matrix():
    routes = app_routes()
    assert set(routes) - set(MATRIX) == set(), (
        "new routes need a row in MATRIX, tests/authorization_matrix.py (who may use them?)")
    assert set(MATRIX) - set(routes) == set(), "MATRIX names routes that no longer exist"


def test_every_api_method_is_in_the_matrix():
    """Each method a viewset offers (from the router) has an expected outcome."""
    from clinic.api.urls import router

    for _prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            name = route.name.format(basename=basename)
            offered = {method.upper() for method in route.mapping if hasattr(viewset, route.mapping[method])}
            if not offered:
                continue
            assert offered <= set(MATRIX[name].methods), f"{name}: {offered - set(MATRIX[name].methods)} undeclared"


def test_patient_data_routes_are_the_audited_ones(objects):
    """The audit policy (clinic/audit_policy.py) and this matrix agree, so no patient-data route goes unrecorded."""
    from django.urls import resolve

    from clinic.audit_policy import audit_policy

    for name, route in MATRIX.items():
        match = resolve(route.url(name, objects))
        policy = audit_policy(match.url_name, match.namespace, match.route)
        assert (policy is not None) == route.patient_data, name


CELLS = [(name, method) for name, route in MATRIX.items() for method in route.methods]


@pytest.mark.parametrize("name, method", CELLS, ids=[f"{m} {n}" for n, m in CELLS])
def test_matrix(objects, name, method):
    route = MATRIX[name]
    url = route.url(name, objects)
    problems = []
    for actor in ACTORS:
        expected = route.methods[method](actor)
        client = client_for(actor, objects)
        with transaction.atomic():
            before_state = fingerprint() if expected != "ok" and method != "GET" else None
            events_before = AuditEvent.objects.count()
            response = send(client, method, url, actor)
            got = outcome(response)
            if got != expected:
                problems.append(f"{actor}: expected {expected}, got {response.status_code} "
                                f"{response.get('Location', '')}")
            if response.status_code >= 500:
                problems.append(f"{actor}: server error")
            new_events = AuditEvent.objects.count() - events_before
            if expected != "ok":
                if before_state is not None and fingerprint() != before_state:
                    problems.append(f"{actor}: a refused {method} changed data")
                if new_events:
                    problems.append(f"{actor}: a refused request wrote an audit event")
            elif route.patient_data and response.status_code < 400:
                if new_events != 1:
                    problems.append(f"{actor}: patient-data request wrote {new_events} audit events, not 1")
            elif not route.patient_data and new_events:
                problems.append(f"{actor}: {new_events} audit events on a route without patient data")
            if not getattr(response, "streaming", False):
                body = response.content.decode(errors="replace")
                # Whole words: a staff member Faker names "Brooks" is not patient Bea Brook.
                leaked = [n for n in hidden_names(actor, objects, name) if re.search(rf"\b{re.escape(n)}\b", body)]
                if leaked:
                    problems.append(f"{actor}: response shows patients it may not see: {leaked}")
            transaction.set_rollback(True)
    assert not problems, f"{method} {url}:\n" + "\n".join(problems)


def admin_routes() -> dict[str, str]:
    """Every named route of Django's admin, with a URL for each (object ids "1", app "clinic")."""
    admin_resolver = next(p for p in get_resolver().url_patterns
                          if isinstance(p, URLResolver) and p.namespace == "admin")
    patterns: dict[str, str] = {}

    def walk(found, prefix=""):
        for pattern in found:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif pattern.name:
                patterns.setdefault(pattern.name, prefix + str(pattern.pattern))

    walk(admin_resolver.url_patterns)
    routes = {}
    for name, pattern in patterns.items():
        arguments = [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern)]
        kwargs = {arg: "clinic" if arg == "app_label" else "1" for arg in arguments}
        routes[name] = reverse(f"admin:{name}", kwargs=kwargs)
    assert {"patients_patient_changelist", "patients_sessionlog_change", "clinic_auditevent_changelist"} <= set(routes)
    return routes


def test_django_admin_is_for_site_staff_only(objects):
    """Django's admin (every named admin route) sends every clinic actor to the admin sign-in."""
    routes = admin_routes()
    for actor in ACTORS:
        client = client_for(actor, objects)
        for name, url in routes.items():
            if name in ("login", "logout"):
                continue
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (actor, name)


# --- Site administrators: a superuser with no clinic, in production ---------------------------------------------

@pytest.fixture
def superuser(objects, settings):
    """A superuser without a clinic, under DJANGO_ENV=production's rule (two-factor for everyone in the admin)."""
    settings.PRODUCTION = True
    return UserFactory(email="root@backstep.test", is_staff=True, is_superuser=True)


HELD_OPEN = {"logout", "two-factor-verify", "two-factor-setup", "healthz"}  # the pages that finish signing in


@pytest.mark.parametrize("has_authenticator", [False, True], ids=["no authenticator", "unverified"])
def test_a_site_admin_without_a_verified_second_factor_is_held_everywhere(objects, superuser, has_authenticator):
    """Every admin route and every page and API operation of the app waits for set-up or the code."""
    if has_authenticator:
        turn_on_two_factor(superuser)
    waiting_at = "/accounts/two-factor/" if has_authenticator else "/accounts/two-factor/setup/"
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    cells = [(f"admin:{name}", "GET", url) for name, url in admin_routes().items()]
    cells += [(name, method, route.url(name, objects)) for name, route in MATRIX.items() for method in route.methods
              if name not in HELD_OPEN]
    hidden = hidden_names("anonymous", objects, "")
    problems = []
    for name, method, url in cells:
        with transaction.atomic():
            before_state = fingerprint() if method != "GET" else None
            events_before = AuditEvent.objects.count()
            response = send(client, method, url, "superuser")
            if url.startswith("/api/"):
                held = response.status_code == 403 and response.json()["detail"] == TWO_FACTOR_API_MESSAGE
            else:
                location = response.get("Location", "")
                held = response.status_code == 302 and location.split("?")[0] == waiting_at
                if method == "GET" and location != f"{waiting_at}?{urlencode({'next': url})}":
                    held = False  # and back to the page asked for afterwards
            if not held:
                problems.append(f"{method} {name}: {response.status_code} {response.get('Location', '')}")
            if AuditEvent.objects.count() != events_before:
                problems.append(f"{method} {name}: wrote an audit event")
            if before_state is not None and fingerprint() != before_state:
                problems.append(f"{method} {name}: changed data")
            if [n for n in hidden if n in response.content.decode(errors="replace")]:
                problems.append(f"{method} {name}: shows a patient's name")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def test_a_verified_site_admin_reaches_every_admin_route_and_reads_patient_data(objects, superuser):
    device, _codes = turn_on_two_factor(superuser)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    response = client.post(reverse("two-factor-verify"), {"code": code_for(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    problems = []
    for name, url in admin_routes().items():
        if name == "logout":
            continue  # would end the session the rest of the loop uses
        response = client.get(url)
        location = response.get("Location", "")
        if response.status_code >= 500 or location.startswith(("/accounts/", "/admin/login/")):
            problems.append(f"{name}: {response.status_code} {location}")
    assert not problems, "\n".join(problems)
    # Every clinic's patients, each read recorded in the audit trail as the site administrator's.
    events_before = AuditEvent.objects.count()
    page = client.get(reverse("admin:patients_patient_changelist"))
    body = page.content.decode()
    assert page.status_code == 200 and all(name in body for name in ("Ashby", "Avery", "Abbott", "Brook"))
    detail = client.get(reverse("admin:patients_patient_change", args=[objects.world.patient_b1.pk]))
    assert detail.status_code == 200 and "Brook" in detail.content.decode()
    events = list(AuditEvent.objects.order_by("id")[events_before:])
    # The list showed two clinics' patients: one event filed under each clinic read, then the detail's.
    assert [(e.actor_role, e.user_id) for e in events] == [("site_admin", superuser.pk)] * 3
    world = objects.world
    assert sorted(e.clinic_id for e in events[:2]) == sorted([world.clinic_a.pk, world.clinic_b.pk])
    assert (events[2].clinic_id, events[2].patient_id) == (world.clinic_b.pk, world.patient_b1.pk)


# --- Invitation links: the invitee's own cells (the rule is clinic/invitations.py) ------------------------------

CHOSEN = "someone-chose-this-1"

# Whose address the invitation names, who opens it, the page they get, and what a posted new password does.
INVITATION_CELLS = [
    ("a new address", "anonymous", "create", "creates the login"),
    ("a new address", "another user", "create", "creates the login"),
    ("patient A1's login", "anonymous", "prove", "changes nothing"),
    ("patient A1's login", "its owner", "attach", "changes nothing"),
    ("patient A1's login", "another user", "prove", "changes nothing"),
    ("the superuser", "anonymous", "prove", "changes nothing"),
    ("the superuser", "its owner", "refuse", "changes nothing"),
    ("the superuser", "another user", "prove", "changes nothing"),
    ("therapist B", "anonymous", "prove", "changes nothing"),
    ("therapist B", "its owner", "refuse", "changes nothing"),
    ("therapist B", "another user", "prove", "changes nothing"),
]


@pytest.mark.parametrize("whose, visitor, shown, post", INVITATION_CELLS,
                         ids=[f"{w} - {v}" for w, v, _s, _p in INVITATION_CELLS])
def test_invitation_links(objects, whose, visitor, shown, post):
    """An invitation creates a login or attaches to one its owner proves; it never sets an existing password."""
    w = objects.world
    superuser = User.objects.create_superuser("root@site.test", "a-superuser-password-1")
    account = {"a new address": None, "patient A1's login": w.patient_a1.user, "the superuser": superuser,
               "therapist B": w.therapist_b}[whose]
    if account is None:
        patient, token = objects.patient_a3, objects.invitation_token
    else:
        patient = w.patient_a1 if whose == "patient A1's login" else PatientFactory(
            clinic=w.clinic_a, therapist=w.therapist_a, first_name="Ivy", last_name="Invitee")
        Patient.objects.filter(pk=patient.pk).update(email=account.email.upper())
        patient.refresh_from_db()
        _invitation, link = invitation_create(patient=patient, created_by=w.therapist_a, send=False)
        token = link.rstrip("/").rsplit("/", 1)[1]
    url = reverse("patients:invitation", kwargs={"token": token})
    client = Client()
    if visitor == "its owner":
        client.force_login(account)
    elif visitor == "another user":
        client.force_login(w.therapist_a)
    page = client.get(url)
    assert page.status_code == 200 and page.context["outcome"] == shown
    hashes = dict(User.objects.values_list("pk", "password"))
    response = client.post(url, {"password1": CHOSEN, "password2": CHOSEN})
    assert response.status_code < 500
    assert dict(User.objects.filter(pk__in=hashes).values_list("pk", "password")) == hashes, "a password changed"
    patient.refresh_from_db()
    if post == "creates the login":
        assert response.status_code == 302 and patient.user.check_password(CHOSEN) and patient.user.pk not in hashes
    elif shown == "attach":
        assert response.status_code == 302 and patient.user == account
    else:
        assert patient.user_id == (account.pk if whose == "patient A1's login" else None)


def test_staff_join_link_as_the_invited_account(objects):
    """The cell the matrix cannot hold: the invited account itself, signed in, joins; its password stays."""
    joiner = User.objects.get(email="joiner@example.test")
    hash_before = joiner.password
    client = Client()
    client.force_login(joiner)
    url = reverse("staff-join", kwargs={"token": objects.staff_join_token})
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    joiner.refresh_from_db()
    assert Membership.objects.get(user=joiner).clinic == objects.world.clinic_a and joiner.password == hash_before
