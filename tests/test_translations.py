"""The Spanish and German catalogues are complete, correct and current, and no page shows untranslated text.

(a) every entry of locale/<lang>/LC_MESSAGES/django.po and djangojs.po is translated, not fuzzy, not obsolete,
    and a plural entry has all of its language's forms;
(b) each translation keeps its entry's placeholders (%(name)s, %s/%d, {name}) and HTML tags;
(c) the committed .mo says what the .po says (the app reads the .mo: a .po edited without compiling shows English);
(d) the .po holds every text marked in the code: `make messages`'s extraction, run on a copy of the code, finds
    nothing the committed catalogue lacks (needs GNU gettext's xgettext);
(e) the pages of each role, rendered in Spanish and in German, show no English words once people's names and
    clinic-made texts are taken out (a text someone forgot to mark).

README, "Adding a language", says how to fill a catalogue these tests accept.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from conftest import require_service

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("es", "de")
DOMAINS = ("django", "djangojs")
# The fewest plural forms each language has (Spanish catalogues from recent gettext say 3: "de millones").
NPLURALS_AT_LEAST = {"es": 2, "de": 2}


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
    assert nplurals >= NPLURALS_AT_LEAST[lang], (
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

NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
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

@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_the_compiled_catalogue_says_what_the_po_says(lang, domain):
    mo_path = catalogue_path(lang, domain, "mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run `make messages` and commit it"
    with open(mo_path, "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    problems = []
    for entry in load(lang, domain):
        if entry.obsolete or "fuzzy" in entry.flags:
            continue  # msgfmt leaves fuzzy entries out; (a) reports them
        if entry.msgid_plural:
            for n, translation in entry.msgstr_plural.items():
                if not translation:
                    continue
                count = next(c for c in range(200) if mo_plural_index(mo, c) == n)
                got = (mo.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count) if entry.msgctxt
                       else mo.ngettext(entry.msgid, entry.msgid_plural, count))
                if got != translation:
                    problems.append(f"{entry_name(entry)} form {n}: .mo has {got!r}, .po has {translation!r}")
        elif entry.msgstr:
            got = mo.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else mo.gettext(entry.msgid)
            if got != entry.msgstr:
                problems.append(f"{entry_name(entry)}: .mo has {got!r}, .po has {entry.msgstr!r}")
    if problems:
        pytest.fail(report(problems, f"entries differ between {mo_path.relative_to(ROOT)} and its .po "
                                          "(run `make messages` and commit the .mo)"), pytrace=False)


def mo_plural_index(mo: gettext.GNUTranslations, count: int) -> int:
    return mo.plural(count)


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
               "-l", "es", "-l", "de", *OPTIONS]
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
