"""Tests' helper: make people read a language, however the site decides it.

Signed-in people read their own language where the models keep one (Patient.language, User.language) and
otherwise what the browser asks for (the language cookie, Accept-Language); `read_in` sets both, so a test
says "this patient reads German" once.
"""

from __future__ import annotations

from django.conf import settings


def read_in(client, language: str, *people) -> dict:
    """Make `people` (patients, users) and `client` read `language`; returns the request headers to send."""
    for person in people:
        if any(field.name == "language" for field in person._meta.get_fields()):
            person.language = language
            person.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return {"HTTP_ACCEPT_LANGUAGE": language}
