"""Django's JavaScript catalog (our djangojs strings only), served from our own origin at a versioned URL.

The scripts in static/js translate with gettext / ngettext / interpolate, which this catalog defines
(django.views.i18n.JavaScriptCatalog's output: a plain script, no eval and nothing inline, so the strict
Content-Security-Policy of clinic/headers.py stays as it is). base.html loads it with <script defer> before
the scripts that need it.

Its URL names the language and a hash of the catalog's own text (/jsi18n/de/<hash>.js): the browser keeps
it for a year, a new translation gets a new URL, and the service worker precaches the catalog of every
language (patients/pwa.py) so a phone page still speaks its language offline. Only LOCALE_PATHS is read
(locale/<lang>/LC_MESSAGES/djangojs.mo), not Django admin's catalogs, which keeps it small.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import DjangoTranslation
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

ONE_YEAR = 365 * 24 * 3600


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _language(code: str | None) -> str:
    """A language of LANGUAGES for `code` (a request's active language may carry a region: de-at → de)."""
    code = (code or "").lower()
    if code in languages():
        return code
    base = code.split("-")[0]
    return base if base in languages() else settings.LANGUAGE_CODE


# The formats get_format() offers our scripts: numbers only (dates go through Intl with the page's language).
FORMATS = ("DECIMAL_SEPARATOR", "THOUSAND_SEPARATOR", "NUMBER_GROUPING", "FIRST_DAY_OF_WEEK")


@lru_cache(maxsize=16)
def catalog_script(language: str) -> tuple[str, str]:
    """The catalog script for `language` and its version (a hash of that text)."""
    view = JavaScriptCatalog()
    with translation.override(language):
        view.translation = DjangoTranslation(
            language, domain="djangojs", localedirs=[str(path) for path in settings.LOCALE_PATHS]
        )
        context = view.get_context_data()
        context["formats"] = {name: value for name, value in context["formats"].items() if name in FORMATS}
        body = view.render_to_response(context).content.decode()
    return body, hashlib.sha256(body.encode()).hexdigest()[:12]


@lru_cache(maxsize=16)
def _compressed(language: str) -> bytes:
    # Not an HTML page, so clinic.compression leaves it alone; no secret in it, so no BREACH padding either.
    return gzip.compress(catalog_script(language)[0].encode(), mtime=0)


def catalog_url(language: str | None = None) -> str:
    """The versioned URL of the catalog for `language` (default: the active language)."""
    language = _language(language or translation.get_language())
    return reverse("js-catalog", kwargs={"language": language, "version": catalog_script(language)[1]})


@require_safe
def js_catalog(request, language: str, version: str):
    """The catalog script. The current version's URL never changes its text: cached for a year (immutable);
    an older version's URL (a page kept from an earlier release) gets today's text, revalidated each time."""
    if language not in languages():
        raise Http404
    body, current = catalog_script(language)
    etag = f'"{current}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(_compressed(language), content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    patch_vary_headers(response, ("Accept-Encoding",))
    response["ETag"] = etag
    if version == current:
        response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response
