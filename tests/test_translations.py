"""The Spanish and German catalogues are complete, correct and current, and no page shows untranslated text.

(a) every entry of locale/<lang>/LC_MESSAGES/django.po and djangojs.po is translated, not fuzzy, not obsolete,
    and a plural entry has all of its language's forms;
(b) each translation keeps its entry's placeholders (%(name)s, %s/%d, {name}) and HTML tags;
(c) the committed .mo says what the .po says (the app reads the .mo: a .po edited without compiling shows English);
(d) the .po holds every text marked in the code: `make messages`'s extraction, run on a copy of the code, finds
    nothing the committed catalogue lacks (needs GNU gettext's xgettext);
(e) the pages of each role, rendered in Spanish and in German, show no English words once people's names and
    clinic-made texts are taken out (a text someone forgot to mark);
(f) the phone's and workspace's JavaScript writes no English sentence of its own: its texts go through gettext()
    (Django's JavaScript catalogue, djangojs.po).

README, "Adding a language", says how to fill a catalogue these tests accept.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings

from conftest import require_service
from tests.api.support import rows  # noqa: F401 (a fixture of the page world)
from tests.authorization_support import objects  # noqa: F401 (the page world)

ROOT = Path(__file__).resolve().parents[1]
# Every language of settings.LANGUAGES but the one the code is written in (README, "Adding a language").
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
DOMAINS = ("django", "djangojs")
# The fewest plural forms each language has (Spanish catalogues from recent gettext say 3: "de millones").
NPLURALS_AT_LEAST = 2


def catalogue_path(lang: str, domain: str, suffix: str = "po") -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.{suffix}"


CATALOGUES = [(lang, domain) for lang in LANGUAGES for domain in DOMAINS
              if domain == "django" or catalogue_path(lang, domain).exists()]


def entry_name(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{context}{entry.msgid!r}"


def report(problems: list[str], what: str, limit: int = 60) -> str:
    shown = "\n  ".join(problems[:limit])
    more = f"\n  … and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} {what}:\n  {shown}{more}"


def load(lang: str, domain: str) -> polib.POFile:
    return polib.pofile(str(catalogue_path(lang, domain)), wrapwidth=0)


# --- (a) complete -------------------------------------------------------------------------------------------

def test_both_languages_have_a_django_catalogue():
    for lang in LANGUAGES:
        assert catalogue_path(lang, "django").exists(), f"locale/{lang}/LC_MESSAGES/django.po is missing"


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_every_entry_is_translated_and_not_fuzzy(lang, domain):
    po = load(lang, domain)
    header = po.metadata.get("Plural-Forms", "")
    declared = re.search(r"nplurals\s*=\s*(\d+)", header)
    nplurals = int(declared.group(1)) if declared else 0
    assert nplurals >= NPLURALS_AT_LEAST, (
        f"locale/{lang}/{domain}.po: its Plural-Forms header {header!r} should give {lang}'s plural forms")
    problems = []
    for entry in po:
        if entry.obsolete:
            problems.append(f"obsolete (#~, run `make messages`): {entry_name(entry)}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy (check the translation, then remove the flag): {entry_name(entry)}")
        elif entry.msgid_plural:
            forms = entry.msgstr_plural
            missing = [n for n in range(nplurals) if not forms.get(n, "").strip()]
            if missing:
                problems.append(f"plural form(s) {missing} untranslated: {entry_name(entry)}")
        elif not entry.msgstr.strip():
            problems.append(f"untranslated: {entry_name(entry)}")
    if problems:
        pytest.fail(report(problems, f"entries to fix in locale/{lang}/LC_MESSAGES/{domain}.po"), pytrace=False)


# --- (b) placeholders ---------------------------------------------------------------------------------------

# No space flag: "(% der Gegenseite)" is a percent sign before a word, not a "% d" conversion.
NAMED = re.compile(r"%\((\w+)\)[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
POSITIONAL = re.compile(r"%[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
BRACES = re.compile(r"(?<!\{)\{(\w*)(?:[:!][^{}]*)?\}(?!\})")
TAG = re.compile(r"</?([a-zA-Z][\w-]*)\b[^>]*?>")


def placeholders(text: str, flags: list[str]) -> dict[str, list[str]]:
    """What a translation must keep: the placeholders of the entry's format, and its HTML tags (as sorted lists)."""
    found: dict[str, list[str]] = {}
    if "python-format" in flags:
        without_named = NAMED.sub("", text.replace("%%", ""))
        found["%(name)s"] = sorted(set(NAMED.findall(text.replace("%%", ""))))
        found["%s/%d"] = sorted(m[-1] for m in POSITIONAL.findall(without_named))
    if "python-brace-format" in flags or "javascript-format" not in flags and BRACES.search(text):
        found["{name}"] = sorted(set(BRACES.findall(text.replace("{{", "").replace("}}", ""))))
    if "javascript-format" in flags:
        found["%s (js)"] = sorted(POSITIONAL.findall(text.replace("%%", "")))
        found["%(name)s"] = sorted(set(NAMED.findall(text)))
    found["<tags>"] = sorted(TAG.findall(text))
    return found


def placeholder_problems(entry: polib.POEntry) -> list[str]:
    """The ways a translated entry's placeholders or tags differ from its msgid's (plural forms: see below)."""
    if not entry.msgid_plural:
        pairs = [("", entry.msgid, entry.msgstr)]
    else:
        # Form 0 is the singular (its source is msgid), the other forms follow msgid_plural.
        pairs = [(f" form {n}", entry.msgid if n == 0 else entry.msgid_plural, text)
                 for n, text in sorted(entry.msgstr_plural.items())]
    names_any = set(placeholders(entry.msgid, entry.flags).get("%(name)s", [])) | set(
        placeholders(entry.msgid_plural or "", entry.flags).get("%(name)s", []))
    problems = []
    for form, source, translation in pairs:
        if not translation.strip():
            continue  # untranslated: (a) reports it
        wanted, got = placeholders(source, entry.flags), placeholders(translation, entry.flags)
        for kind, expected in wanted.items():
            have = got.get(kind, [])
            if kind == "%(name)s" and entry.msgid_plural:
                # A plural form may use a name of either source ("una sesión" drops %(count)s), never a new one.
                if set(have) <= names_any and (form != " form 0" or set(expected) <= set(have) | {"count", "counter"}):
                    continue
            if have != expected:
                problems.append(f"{entry_name(entry)}:{form} {kind} {have} in the translation, {expected} in msgid")
    return problems


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_translations_keep_placeholders_and_tags(lang, domain):
    problems = [p for entry in load(lang, domain) if not entry.obsolete for p in placeholder_problems(entry)]
    if problems:
        pytest.fail(report(problems, f"entries in locale/{lang}/LC_MESSAGES/{domain}.po lose or add "
                                          "placeholders or tags"), pytrace=False)


def test_the_placeholder_check_sees_a_lost_or_renamed_placeholder():
    """The check itself: it names the entry when a translation drops, renames or adds a placeholder or tag."""
    def entry(msgid, msgstr, flags=("python-format",), **kwargs):
        return polib.POEntry(msgid=msgid, msgstr=msgstr, flags=list(flags), **kwargs)

    assert placeholder_problems(entry("Hello, %(name)s", "Hola, %(name)s")) == []
    assert placeholder_problems(entry("Hello, %(name)s", "Hola, %(nombre)s"))
    assert placeholder_problems(entry("%s of %d", "%s de")) != []
    assert placeholder_problems(entry("Save {name}", "Guardar {nombre}", flags=())) != []
    assert placeholder_problems(entry("<strong>Stop</strong> now", "<b>Pare</b> ya", flags=())) != []
    assert placeholder_problems(entry("100%% sure", "100 %% seguro")) == []
    plural = polib.POEntry(msgid="one session", msgid_plural="%(count)s sessions", flags=["python-format"],
                           msgstr_plural={0: "una sesión", 1: "%(count)s sesiones"})
    assert placeholder_problems(plural) == []
    plural.msgstr_plural = {0: "una sesión", 1: "%(n)s sesiones"}
    assert "one session" in placeholder_problems(plural)[0]


# --- (c) compiled -------------------------------------------------------------------------------------------

def mo_differences(po: polib.POFile, mo_path: Path) -> list[str]:
    """Each translation of the .po that the compiled .mo (as gettext reads it) does not give back."""
    with open(mo_path, "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    problems = []
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue  # msgfmt leaves fuzzy entries out; (a) reports them
        if entry.msgid_plural:
            for n, translation in entry.msgstr_plural.items():
                count = next((c for c in range(1000) if mo.plural(c) == n), None)
                if not translation or count is None:
                    continue
                got = (mo.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count) if entry.msgctxt
                       else mo.ngettext(entry.msgid, entry.msgid_plural, count))
                if got != translation:
                    problems.append(f"{entry_name(entry)} form {n}: .mo has {got!r}, .po has {translation!r}")
        elif entry.msgstr:
            got = mo.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else mo.gettext(entry.msgid)
            if got != entry.msgstr:
                problems.append(f"{entry_name(entry)}: .mo has {got!r}, .po has {entry.msgstr!r}")
    return problems


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_the_compiled_catalogue_says_what_the_po_says(lang, domain):
    mo_path = catalogue_path(lang, domain, "mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run `make messages` and commit it"
    problems = mo_differences(load(lang, domain), mo_path)
    if problems:
        pytest.fail(report(problems, f"entries differ between {mo_path.relative_to(ROOT)} and its .po "
                                     "(run `make messages` and commit the .mo)"), pytrace=False)


def test_the_compiled_catalogue_check_sees_a_po_edited_after_compiling(tmp_path):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    po.append(polib.POEntry(msgid="Save", msgstr="Speichern"))
    po.append(polib.POEntry(msgid="Start", msgctxt="verb", msgstr="Starten"))
    po.append(polib.POEntry(msgid="one session", msgid_plural="%(count)s sessions", flags=["python-format"],
                            msgstr_plural={0: "eine Einheit", 1: "%(count)s Einheiten"}))
    po.save_as_mofile(str(tmp_path / "django.mo"))
    assert mo_differences(po, tmp_path / "django.mo") == []
    po[0].msgstr = "Sichern"
    po[2].msgstr_plural[1] = "%(count)s Trainingseinheiten"
    po.append(polib.POEntry(msgid="Cancel", msgstr="Abbrechen"))
    found = mo_differences(po, tmp_path / "django.mo")
    assert len(found) == 3 and "'Save'" in found[0] and "form 1" in found[1] and "'Cancel'" in found[2], found


# --- (d) current with the code ------------------------------------------------------------------------------

# The Makefile's `messages` target, word for word (test_the_extraction_options_match_the_makefile checks it).
IGNORES = [".venv/*", "node_modules/*", "assets/*", "staticfiles/*", "*/tests/*", "tests/*", "bench/*", "scripts/*"]
JS_IGNORES = [*IGNORES, "pwa/*"]
OPTIONS = ["--no-wrap", "--no-location", "--no-obsolete"]
SKIP_DIRS = {".git", ".venv", "node_modules", "assets", "staticfiles", "locale", "test-artifacts", "__pycache__",
             ".make", "private-media", "media", ".ruff_cache", ".pytest_cache", ".hypothesis"}
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".js", ".mjs"}


def makemessages_command(domain: str) -> list[str]:
    ignores = JS_IGNORES if domain == "djangojs" else IGNORES
    command = ["manage.py", "makemessages", *(["-d", "djangojs"] if domain == "djangojs" else []),
               *[arg for lang in LANGUAGES for arg in ("-l", lang)], *OPTIONS]
    for pattern in ignores:
        command += ["-i", pattern]
    return command


def test_the_extraction_options_match_the_makefile():
    makefile = (ROOT / "Makefile").read_text()
    for pattern in JS_IGNORES:
        assert f'-i "{pattern}"' in makefile, f"the Makefile's messages target no longer ignores {pattern}"
    for option in OPTIONS:
        assert makefile.count(option) >= 2, f"the Makefile's messages target no longer passes {option}"
    assert "makemessages -d djangojs" in makefile
    for lang in LANGUAGES:
        assert makefile.count(f"-l {lang}") >= 2, f"the Makefile's messages target does not extract {lang}"


def copy_sources(destination: Path) -> None:
    """The project's marked-text sources (what makemessages reads), without its catalogues or installed libraries."""
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in SKIP_DIRS
                             and not os.path.islink(os.path.join(directory, d))]
        for name in files:
            source = Path(directory) / name
            if source.suffix in SOURCE_SUFFIXES and not source.is_symlink():
                target = destination / source.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


def key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def describe(entry_key: tuple) -> str:
    context, msgid, plural = entry_key
    return (f"[{context}] " if context else "") + repr(msgid) + (f" / {plural!r}" if plural else "")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Run the `messages` target's makemessages (both domains) on a copy of the code; return the fresh catalogues."""
    require_service(bool(shutil.which("xgettext")) and bool(shutil.which("msgmerge")),
                    "GNU gettext (xgettext) is not installed: apt-get install gettext")
    copy = tmp_path_factory.mktemp("makemessages")
    copy_sources(copy)
    (copy / "locale").mkdir()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for domain in DOMAINS:
        result = subprocess.run([sys.executable, *makemessages_command(domain)], cwd=copy, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"makemessages -d {domain} failed:\n{result.stdout}\n{result.stderr}"
    return copy / "locale"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_holds_every_text_marked_in_the_code(extracted, lang, domain):
    fresh_path = extracted / lang / "LC_MESSAGES" / f"{domain}.po"
    fresh = {key(e) for e in polib.pofile(str(fresh_path), wrapwidth=0)} if fresh_path.exists() else set()
    committed_path = catalogue_path(lang, domain)
    committed = ({key(e) for e in load(lang, domain) if not e.obsolete} if committed_path.exists() else set())
    missing = sorted(fresh - committed)
    stale = sorted(committed - fresh)
    problems = [f"marked in the code, missing from the catalogue: {describe(k)}" for k in missing]
    problems += [f"in the catalogue, no longer in the code: {describe(k)}" for k in stale]
    if problems:
        pytest.fail(report(problems, f"differences between the code and locale/{lang}/LC_MESSAGES/{domain}.po "
                                          "(run `make messages`, translate, run it again, commit)"), pytrace=False)


# --- (e) no English left on the pages -----------------------------------------------------------------------

# English words that are not also Spanish or German words (so no "plan", "name", "start", "team", "export",
# "status", "link", "code", "in", "no", "will", "was", "also", "die", "den", "has", "me", "use", "once", "son").
ENGLISH_WORDS = (
    "the", "your", "you", "and", "with", "this", "that", "from", "are", "have", "been", "what", "when", "which",
    "of", "to", "is", "it", "or", "by", "not", "can", "please", "here", "there", "only", "each", "every", "more",
    "after", "before", "during", "yet", "how", "why", "should", "would", "could", "must", "were", "does", "don't",
    "save", "cancel", "session", "sessions", "patients", "pain", "week", "weeks", "day", "days", "today",
    "yesterday", "tomorrow", "morning", "minutes", "sign", "next", "back", "show", "hide", "add", "edit", "delete",
    "remove", "settings", "clinic", "therapist", "therapists", "exercise", "exercises", "reminder", "reminders",
    "questionnaire", "questionnaires", "history", "library", "template", "templates", "inbox", "flag", "flags",
    "staff", "keys", "download", "password", "forgot", "join", "new", "none", "yes", "done", "open", "close",
    "change", "level", "step", "steps", "score", "progress", "urgent", "warning", "report", "protocol",
    "protocols", "invite", "invitation", "send", "sent", "enter", "choose", "select", "search", "phone", "first",
    "last", "about", "help", "out", "walk", "knee", "swelling", "check", "saved", "ago", "never", "yet",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "june", "july", "october", "december",
)
ENGLISH = re.compile(r"(?<![\w'’-])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")(?![\w'’-])",
                     re.IGNORECASE)
# Elements whose text is code, data or markup rather than words a person reads as Backstep's own.
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "textarea", "svg", "template"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "aria-description")


# FHIR's resource names are names, in every language ("importe el cuestionario … como Questionnaire FHIR R4").
FHIR_NAMES = re.compile(r"(?:\bFHIR(?: R4)? )?\b(?:Questionnaire|QuestionnaireResponse|CarePlan|Observation|Patient|"
                        r"Practitioner|Organization|PlanDefinition|ActivityDefinition|Flag)\b(?: FHIR(?: R4)?\b)?"
                        r"(?=.*\bFHIR\b)|(?<=\bFHIR )\w+|(?<=\bFHIR R4 )\w+")


DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


class PageWords(HTMLParser):
    """The texts a person reads on a page: element text and labelling attributes, without scripts and code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.skipping:
            if tag == self.skipping[-1] and tag not in VOID_ELEMENTS:
                self.skipping.append(tag)
            return
        if tag in SKIPPED_ELEMENTS or (attributes.get("translate") == "no" and tag not in VOID_ELEMENTS):
            self.skipping.append(tag)
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.texts.append(attributes["value"])
        if tag == "meta" and attributes.get("name") == "description" and attributes.get("content"):
            self.texts.append(attributes["content"])

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID_ELEMENTS:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(data)


def english_on_page(html: str, people_and_clinic_texts: list[str], decimal_comma: bool = False) -> list[str]:
    """Each text of the page that still has an English word once names and clinic-made texts are taken out.

    With decimal_comma, a number written with a decimal point (2.5 km/h) counts too: Spanish and German write 2,5.
    """
    parser = PageWords()
    parser.feed(html)
    parser.close()
    data = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, people_and_clinic_texts)) + r")(?!\w)")
            if people_and_clinic_texts else None)
    found = []
    for text in parser.texts:
        if data is not None:
            text = data.sub(" ", text)
        text = re.sub(r"\S+@\S+|https?://\S+|(?<![\w/])/[\w/.-]+", " ", text)  # addresses and paths
        text = FHIR_NAMES.sub(" ", text)
        text = " ".join(text.split())
        words = sorted({m.lower() for m in ENGLISH.findall(text)})
        words += [f"decimal point in {m}" for m in DECIMAL_POINT.findall(text)] if decimal_comma else []
        if words:
            found.append(f"{text[:100]!r} ({', '.join(words)})")
    return list(dict.fromkeys(found))


def test_the_page_scan_finds_english_and_skips_names_code_and_attributes_it_should():
    html = ('<html><head><title>Hoy</title><style>.the{}</style><script>let the = 1;</script></head><body>'
            '<h1>Hola, Itzel Quispe</h1><p>Guardar</p><button aria-label="Show menu">≡</button>'
            '<p>Sesión guardada. <a href="/the/log/">Ver</a></p><code>the api</code>'
            '<span translate="no">Clinic A walk</span><p>Walk backwards on the treadmill</p>'
            '<input type="submit" value="Save and close"><p>Ihre Übung <br/> for today</p></body></html>')
    found = english_on_page(html, ["Walk backwards on the treadmill", "Itzel", "Quispe"])
    assert found == ["'Show menu' (show)", "'Save and close' (and, close, save)", "'for today' (today)"]
    assert english_on_page("<p>Rückwärts mit 2.5 km/h, dann 3,5 km/h</p>", [], decimal_comma=True) == [
        "'Rückwärts mit 2.5 km/h, dann 3,5 km/h' (decimal point in 2.5)"]


# The pages of each role; `{...}` in a path is filled from the page world (objects, below).
ROLE_PAGES = {
    "patient": [
        "patients:today", "patients:log-session", "patients:session-saved", "patients:session-edit",
        "patients:checkin", "patients:history", "outcomes:answer", "outcomes:answered", "reminders:settings",
        "interop:my-data",
    ],
    "therapist": [
        "patients:list", "patients:detail", "patients:create", "patients:edit", "patients:assign", "patients:flags",
        "patients:handout", "protocols:list", "protocols:detail", "protocols:create", "protocols:phase-add",
        "protocols:exercise-edit", "protocols:ladder", "protocols:library", "protocols:template-detail",
        "protocols:template-create", "outcomes:clinic", "outcomes:thresholds", "monitoring:clinic",
        "monitoring:patient", "account-security",
    ],
    "admin": [
        "clinic-admin:staff", "clinic-admin:staff-invite", "clinic-admin:settings", "clinic-admin:api-keys",
        "clinic-admin:audit", "clinic-admin:notifications", "interop:exports",
        "reminders:clinic-defaults", "outcomes:questionnaires", "exercise_media:education",
    ],
    "anonymous": [
        "login", "patients:join", "password_reset", "password_reset_done", "patients:invitation", "offline",
        "staff-join",
    ],
}
NOT_FOUND_PAGE = "/no-such-page-here/"
UNANSWERED_QUESTIONNAIRE = "/outcomes/answer/groc/"


@pytest.fixture
def page_world(objects, django_db_blocker):
    """The authorization matrix's world, with names that look like no English word, and Backstep's library."""
    from django.apps import apps
    from django.db import models

    from protocols.services import library_install

    w = objects.world
    renames = [(w.clinic_a, {"name": "Fisio Qorvath"}), (w.clinic_b, {"name": "Praxis Zulmer"}),
               (w.patient_a1, {"first_name": "Itzel", "last_name": "Quispe"}),
               (w.patient_a2, {"first_name": "Yaretzi", "last_name": "Huanca"}),
               (objects.patient_a3, {"first_name": "Xóchitl", "last_name": "Mamani"}),
               (w.therapist_a, {"first_name": "Jörg", "last_name": "Wąsowicz"}),
               (w.admin_a, {"first_name": "Ulrike", "last_name": "Szczęsna"})]
    for row, values in renames:
        type(row).objects.filter(pk=row.pk).update(**values)
    # People's names and clinic-made texts (the fixtures' own protocols and templates, built-in or not) are
    # shown as written: the scan takes them out. Backstep's library, installed after, is not taken out.
    data_models = ["clinic.User", "clinic.Clinic", "clinic.ClinicSettings", "clinic.ApiKey", "clinic.Notification",
                   "patients.Patient", "protocols.ExerciseTemplate", "protocols.Protocol",
                   "protocols.Phase", "protocols.PrescribedExercise", "monitoring.TimeEntry",
                   "exercise_media.ExerciseMedia", "exercise_media.EducationText",
                   "outcomes.ImportedQuestionnaire"]
    texts: set[str] = set()
    for label in data_models:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField)) and not f.choices]
        for values in model.objects.values_list(*fields):
            texts.update(str(v).strip() for v in values if v and len(str(v).strip()) > 1)
    # A code ("pfp", "left", "image/png") is no one's wording: taking it out could hide a word shown untranslated.
    texts = {t for t in texts if not re.fullmatch(r"[a-z0-9_./-]+", t)}
    # The fixtures' flag reasons are written as plain text (tests/api/support.py); the engine's are translated.
    from patients.models import Flag

    for reasons in Flag.objects.values_list("reasons", flat=True):
        texts.update(r for r in reasons or [] if isinstance(r, str))
    # A questionnaire still to answer (SANE is answered already): its form is a page of its own.
    from outcomes.plan_questionnaires import plan_questionnaire_add

    plan_questionnaire_add(assignment=w.assignment_a1, instrument_id="groc", user=w.therapist_a)
    library_install()
    return objects, sorted(texts, key=len, reverse=True)


def kept_as_names(lang: str) -> list[str]:
    """Names the translators kept in English on purpose: an entry translated as itself that carries an acronym
    ("GROC (Global Rating of Change)", an instrument's published name). A plain word translated as itself is
    still English on the page."""
    return [entry.msgid for entry in load(lang, "django")
            if entry.msgstr == entry.msgid and not entry.msgid_plural and re.search(r"\b[A-Z]{3,}\b", entry.msgid)]


def use_language(lang: str, objects) -> None:
    """Every way Backstep may choose a language: the people's and clinic's own fields (where they exist)."""
    from django.apps import apps
    from django.db import models

    for label in ("clinic.User", "patients.Patient", "clinic.Clinic", "clinic.ClinicSettings",
                  "reminders.ReminderPreference"):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.CharField) and "language" in f.name:
                model.objects.update(**{f.name: lang})


def page_client(role: str, lang: str, objects):
    from django.conf import settings
    from django.test import Client

    w = objects.world
    client = Client(HTTP_ACCEPT_LANGUAGE=f"{lang},{lang};q=0.9")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    user = {"patient": w.patient_a1.user, "therapist": w.therapist_a, "admin": w.admin_a}.get(role)
    if user is not None:
        user.refresh_from_db()
        client.force_login(user)
    return client


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_left_on_any_page_of_any_role(page_world, lang):
    from tests.authorization_matrix import MATRIX

    objects, people_and_clinic_texts = page_world
    use_language(lang, objects)
    taken_out = sorted(set(people_and_clinic_texts) | set(kept_as_names(lang)), key=len, reverse=True)
    problems = []
    for role, route_names in ROLE_PAGES.items():
        client = page_client(role, lang, objects)
        pages = [(name, MATRIX[name].url(name, objects)) for name in route_names if name in MATRIX]
        if role == "anonymous":
            pages.append(("404 page", NOT_FOUND_PAGE))
        if role == "patient":
            pages.append(("outcomes:answer (a questionnaire to answer)", UNANSWERED_QUESTIONNAIRE))
        for name, url in pages:
            response = client.get(url, follow=True)
            where = f"{role} {name} ({response.request['PATH_INFO']})"
            if response.status_code not in (200, 404) or "html" not in response.get("Content-Type", ""):
                problems.append(f"{where}: status {response.status_code}, no page to read")
                continue
            language = response.headers.get("Content-Language", "")
            if language and language != lang:
                problems.append(f"{where}: answered in {language!r}, not {lang!r}")
            html = response.content.decode()
            found = english_on_page(html, taken_out, decimal_comma=True)
            problems += [f"{where}: {phrase}" for phrase in found]
        missing = [name for name in route_names if name not in MATRIX]
        problems += [f"{role} {name}: no such route in tests/authorization_matrix.py" for name in missing]
    if problems:
        pytest.fail(report(problems, f"English texts on pages shown in {lang} (mark them for translation, "
                                     "run `make messages`, translate)", limit=150), pytrace=False)


# --- (f) JavaScript texts go through the JavaScript catalogue ------------------------------------------------

# The files the djangojs extraction reads (the Makefile ignores pwa/, whose worker shows no text of its own);
# Swagger UI's page is the developers' API reference, in English like the API.
JS_FILES_NOT_TRANSLATED = {"swagger-init.js"}
JS_LITERAL = re.compile(r"""(?P<q>["'`])((?:\\.|(?!(?P=q)).)*)(?P=q)""")
JS_COMMENT = re.compile(r"/\*.*?\*/|(?:^|(?<=\s))//[^\n]*", re.S)
# A gettext argument: the first, or (ngettext's plural, pgettext's message) after one or two string arguments.
JS_STRING = r"""(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
JS_MARKED = re.compile(r"\b(?:n?gettext|pgettext|npgettext)\(\s*(?:" + JS_STRING + r"\s*,\s*){0,2}$")


def unmarked_javascript_texts(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal that reads as an English sentence and is not a gettext argument."""
    code = JS_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    found = []
    for match in JS_LITERAL.finditer(code):
        text = match.group(2)
        if match.group("q") == "`":
            text = re.sub(r"\$\{[^}]*\}", " ", text)
        # Words in a sentence: a capital or a full stop ("input, select, textarea" is a selector, not a sentence).
        looks_like_words = (re.search(r"[A-Za-z]{2,}[ ,.:;!?]+[A-Za-z]{2,}", text)
                            and re.search(r"[A-Z]|[.!?]$", text) and not re.search(r"[#\[\]=<>{}]", text))
        if looks_like_words and ENGLISH.search(text) and not JS_MARKED.search(code[max(0, match.start() - 2000):
                                                                                 match.start()]):
            found.append((code.count("\n", 0, match.start()) + 1, text))
    return found


def test_javascript_texts_go_through_the_javascript_catalogue():
    problems = []
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        if path.name in JS_FILES_NOT_TRANSLATED:
            continue
        problems += [f"static/js/{path.name}:{line}: {text[:90]!r}"
                     for line, text in unmarked_javascript_texts(path.read_text())]
    if problems:
        pytest.fail(report(problems, "English texts in the JavaScript, not marked (wrap them in gettext() or "
                                     "ngettext() with interpolate(), run `make messages`, translate)"), pytrace=False)


def test_the_javascript_check_sees_an_unmarked_sentence_and_skips_marked_ones_and_code():
    source = """// Sends the answers; the button says what happened.
    status.textContent = gettext("Your answers could not be sent.");
    status.textContent = "Your answers could not be sent.";
    const form = document.querySelector(".bs-template-form select[name='kind']");
    const fields = form.querySelectorAll("input, select, textarea");
    /* Offline: nothing leaves the phone */ el.hidden = true;
    note.textContent = interpolate(ngettext("One entry waits", "%s entries wait", n), [n]);
    words.push(ngettext(
      "%(n)s entry is waiting; it will be sent.",
      "%(n)s entries are waiting; they will be sent.",
      count));
    label.textContent = `Saved ${n} of your sessions`;"""
    assert unmarked_javascript_texts(source) == [(3, "Your answers could not be sent."),
                                                 (12, "Saved   of your sessions")]
