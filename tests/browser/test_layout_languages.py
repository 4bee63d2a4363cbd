"""German and Spanish on a 360 px phone: no page scrolls sideways, and no button, badge, menu link or table head
cuts its words off. German's long compounds are the hardest case; the Spanish is longer than the English too.

Every patient page and the therapist's and admin's main pages, signed in with the language chosen (cookie,
Accept-Language and the people's own language settings where they exist); a screenshot of each page in
test-artifacts/ (layout-<lang>-<page>-360.png).
"""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.api.support import rows  # noqa: F401 (a fixture of the page world)
from tests.authorization_matrix import MATRIX
from tests.authorization_support import objects  # noqa: F401 (the page world)
from tests.browser.conftest import screenshot
from tests.test_translations import (  # noqa: F401 (page_world: a fixture)
    LANGUAGES,
    UNANSWERED_QUESTIONNAIRE,
    page_world,
    use_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
WIDTH, HEIGHT = 360, 740

PAGES = {
    "patient": ["patients:today", "patients:log-session", "patients:session-saved", "patients:session-edit",
                "patients:checkin", "patients:history", "outcomes:answer", "reminders:settings", "interop:my-data"],
    "therapist": ["patients:list", "patients:detail", "patients:create", "patients:flags", "protocols:detail",
                  "protocols:ladder", "protocols:library"],
    "admin": ["clinic-admin:settings", "clinic-admin:staff"],
    "anonymous": ["login", "patients:join"],
}

# Each visible button, button-styled link, badge, menu link and table head whose text does not fit its box.
# An element inside a box that scrolls sideways on its own (a wide table in .table-responsive) is reachable.
CLIPPED = """(scope) => {
  const seen = [];
  const scrolls = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll(scope)) {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    if (el.closest('.visually-hidden, [hidden]')) continue;
    const text = (el.innerText || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    if (!text) continue;
    if (style.display === 'inline') {
      // An inline box has no width of its own: it is clipped when it runs past the window's edge.
      if (box.right > window.innerWidth + 1 && !scrolls(el)) seen.push(`${name(el)} "${text}" runs off the screen`);
      continue;
    }
    if (el.scrollWidth > el.clientWidth + 1) {
      seen.push(`${name(el)} "${text}" needs ${el.scrollWidth}px, has ${el.clientWidth}px`);
    } else if (box.right > window.innerWidth + 1 && !scrolls(el)) {
      seen.push(`${name(el)} "${text}" ends at ${Math.round(box.right)}px, past the screen`);
    }
  }
  return seen;
}"""
SIDEWAYS = "document.scrollingElement.scrollWidth - window.innerWidth"
# The outermost elements that run past the right edge, leaving out those inside a box that scrolls on its own.
WIDEST = """() => {
  const past = (el) => el.getBoundingClientRect().right > window.innerWidth + 1;
  const inScroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(el => past(el) && !inScroller(el) && !(el.parentElement && past(el.parentElement)
                                                    && el.parentElement !== document.body))
    .slice(0, 3).map(el => `${el.tagName.toLowerCase()}.${el.className}: ${(el.innerText || '').trim().slice(0, 60)}`);
}"""


ELEMENTS = "button, .btn, .badge, .nav-link, .navbar-brand, th"


def layout_problems(page, scope: str = ELEMENTS, sideways: bool = True) -> list[str]:
    problems = []
    overflow = page.evaluate(SIDEWAYS) if sideways else 0
    if overflow > 0:
        wide = page.evaluate(WIDEST)
        problems.append(f"scrolls sideways by {overflow}px (widest: {wide})")
    problems += page.evaluate(CLIPPED, scope)
    return problems


def sign_in(context, live_server, user, lang: str) -> None:
    cookies = [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[django_settings.SESSION_COOKIE_NAME]
        cookies.append({"name": session.key, "value": session.value, "url": live_server.url})
    context.add_cookies(cookies)
    context.set_extra_http_headers({"Accept-Language": lang})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_fits_a_360px_phone_in_german_and_spanish(page_world, open_page, live_server, lang):
    objects, _texts = page_world
    use_language(lang, objects)
    w = objects.world
    users = {"patient": w.patient_a1.user, "therapist": w.therapist_a, "admin": w.admin_a, "anonymous": None}
    problems = []
    for role, route_names in PAGES.items():
        page, _watch = open_page(WIDTH, HEIGHT)
        sign_in(page.context, live_server, users[role], lang)
        urls = [(name, MATRIX[name].url(name, objects)) for name in route_names]
        if role == "patient":
            urls.append(("outcomes:answer-form", UNANSWERED_QUESTIONNAIRE))
        for name, url in urls:
            response = page.goto(url)
            where = f"{lang} {role} {name} ({page.url.removeprefix(live_server.url)})"
            if response is None or response.status != 200:
                problems.append(f"{where}: status {response.status if response else 'none'}")
                continue
            assert page.evaluate("document.documentElement.lang") == lang, f"{where}: the page is not in {lang}"
            page.wait_for_load_state("networkidle")
            problems += [f"{where}: {p}" for p in layout_problems(page)]
            slug = name.replace(":", "-")
            screenshot(page, f"layout-{lang}-{slug}-{WIDTH}")
            toggler = page.locator(".navbar-toggler")
            if toggler.count() and toggler.is_visible():  # the folded menu: its links must fit too
                toggler.click()
                page.locator("#nav-main .nav-link").first.wait_for(state="visible")
                problems += [f"{where}, menu open: {p}" for p in layout_problems(
                    page, "#nav-main .nav-link, #nav-main button", sideways=False)]
                screenshot(page, f"layout-{lang}-{slug}-menu-{WIDTH}")
    assert not problems, "\n".join(problems)


def test_the_layout_check_sees_clipped_text_and_sideways_scroll(open_page):
    """The check itself, on a page made to fail: a fixed-width button with a long German word, a wide table."""
    page, _watch = open_page(WIDTH, HEIGHT)
    page.set_content('<html lang="de"><body style="margin:0"><button style="width:80px;white-space:nowrap;'
                     'overflow:hidden">Trainingseinheitenübersicht</button>'
                     '<table><tr><th style="width:500px;min-width:500px">Schmerzwert</th></tr></table></body></html>')
    problems = layout_problems(page)
    assert any("Trainingseinheitenübersicht" in p and "needs" in p for p in problems), problems
    sideways = [p for p in problems if p.startswith("scrolls sideways")]
    assert len(sideways) == 1 and "table" in sideways[0] and "Schmerzwert" in sideways[0], problems
