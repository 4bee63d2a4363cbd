"""The JavaScript catalog (clinic/js_catalog.py): our djangojs strings, per language, from our own origin."""

import json
import re

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from clinic import js_catalog

pytestmark = pytest.mark.django_db


def catalog_path(language: str) -> str:
    return js_catalog.catalog_url(language)


def test_the_german_catalog_has_our_strings_in_german(client):
    response = client.get(catalog_path("de"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert '"Question %(number)s of %(total)s": "Frage %(number)s von %(total)s"' in body
    assert "Benachrichtigungen sind f\\u00fcr dieses Handy eingeschaltet." in body
    # Plural forms come as a list, chosen by the language's own rule.
    assert "django.pluralidx" in body and "(n != 1)" in body
    # German numbers: the formats carry the decimal comma.
    assert '"DECIMAL_SEPARATOR": ","' in body


def test_the_catalog_is_same_origin_and_needs_no_inline_code_or_eval(client):
    path = catalog_path("de")
    assert path.startswith("/jsi18n/de/") and "//" not in path
    response = client.get(path)
    body = response.content.decode()
    assert "eval(" not in body and "new Function" not in body
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_the_language_is_the_urls_not_the_requests(client):
    """A cached /jsi18n/es/… is Spanish whoever asks: the URL alone decides, so it can be kept for a year."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    body = client.get(catalog_path("es"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '"Ready to send": "Listo para enviar"' in body
    assert "Bereit zum Senden" not in body


def test_only_our_strings_are_in_it(client):
    """Not Django admin's djangojs catalogue: the phone loads this on every page."""
    body = client.get(catalog_path("de")).content.decode()
    ours = {entry.msgid for entry in polib.pofile(str(settings.BASE_DIR / "locale/de/LC_MESSAGES/djangojs.po"))}
    catalog = body[body.index("const newcatalog"):body.index("for (const key in newcatalog)")]
    keys = set(json.loads(f'"{key}"') for key in re.findall(r'^    "((?:[^"\\]|\\.)*)": ', catalog, re.M))
    assert keys and keys <= ours
    assert "Available %s" not in body  # one of the admin's widget strings
    assert len(response_bytes := body.encode()) < 12_000, len(response_bytes)


def test_english_has_the_functions_and_no_catalog(client):
    body = client.get(catalog_path("en")).content.decode()
    assert "django.gettext = function" in body and "const newcatalog" not in body


def test_the_current_version_is_cached_for_a_year_and_revalidates(client):
    path = catalog_path("de")
    response = client.get(path)
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    etag = response["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""


def test_an_old_version_gets_todays_text_uncached(client):
    response = client.get(reverse("js-catalog", kwargs={"language": "de", "version": "0ld"}))
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    assert "Frage %(number)s von %(total)s" in response.content.decode()


def test_a_new_translation_is_a_new_url():
    js_catalog.catalog_script.cache_clear()
    assert js_catalog.catalog_url("de") != js_catalog.catalog_url("es")
    assert js_catalog.catalog_url("de").endswith(js_catalog.catalog_script("de")[1] + ".js")


@pytest.mark.parametrize("language", ["fr", "xx", "DE"])
def test_no_catalog_for_other_languages(client, language):
    assert client.get(f"/jsi18n/{language}/abc.js").status_code == 404


def test_only_get_and_head(client):
    assert client.post(catalog_path("de")).status_code == 405


def test_pages_load_the_catalog_of_their_language_before_their_scripts(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    catalog = js_catalog.catalog_url("de")
    assert f'<script src="{catalog}" defer></script>' in page
    assert page.index(catalog) < page.index("js/outbox.js")
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert js_catalog.catalog_url("en") in english


def test_a_regional_language_gets_its_base_languages_catalog():
    assert js_catalog.catalog_url("de-at").startswith("/jsi18n/de/")
    assert js_catalog.catalog_url("pt-br").startswith(f"/jsi18n/{settings.LANGUAGE_CODE}/")


def test_it_goes_compressed_to_browsers_that_take_gzip(client):
    import gzip

    plain = client.get(catalog_path("de")).content
    response = client.get(catalog_path("de"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == plain
    assert len(response.content) < 3000, len(response.content)


def test_the_formats_are_the_numbers_only(client):
    body = client.get(catalog_path("de")).content.decode()
    assert '"THOUSAND_SEPARATOR": "."' in body
    assert "DATETIME_INPUT_FORMATS" not in body
