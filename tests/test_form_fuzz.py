"""Property-based posts to every HTML form: no server error, and invalid input is refused in words.

Every HTML route that takes POST (from the URL resolver; not /api/ or /admin/)
is listed in ROUTES (tests/form_fuzz_routes.py) with who posts to it and the objects its URL points at; a
route added later without a row there fails `test_every_post_route_is_fuzzed`.
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
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.support import rows  # noqa: F401 (fixture: `objects` needs it)
from tests.form_fuzz_routes import FREE_EVERYWHERE, ROUTES, objects  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

# Per route; about 50 routes, so a run stays around a minute. Raise it for a deeper local search.
EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "10"))


# ---------------------------------------------------------------------------
# Every HTML route that takes POST has a row in ROUTES
# ---------------------------------------------------------------------------


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
