"""A search term, checked the same way on every list page (`?q=`) and API filter (`?search=`).

PostgreSQL refuses text with a NUL byte (a DataError, so a server error), and
no person types control characters into a search box: a term with any of them
(Unicode category Cc: NUL, tab, line breaks, escape, ...) is refused with a 400
that names the parameter, instead of reaching the database. Spaces around an
accepted term are trimmed, as before.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

# Longer than any name, reference or phrase a therapist looks for (names are 80 characters).
SEARCH_TERM_MAX_LENGTH = 200
PAGE_SEARCH_PARAMETER = "q"


def validate_search_term(value: str) -> None:
    """Refuse control characters (NUL among them) anywhere in a search term."""
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise ValidationError(
            _("A search cannot contain control characters (such as NUL, tab or a line break)."), code="control",
        )


class SearchTermField(forms.CharField):
    """Optional text to search for: at most SEARCH_TERM_MAX_LENGTH characters, no control characters, then trimmed.

    The checks see the term as sent (the API schema documents them on the raw value); the search uses it trimmed.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", SEARCH_TERM_MAX_LENGTH)
        kwargs["strip"] = False
        super().__init__(**kwargs)
        # validate_search_term covers NUL too: one message, not two.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(validate_search_term)

    def clean(self, value):
        return super().clean(value).strip()


class _PageSearchForm(forms.Form):
    q = SearchTermField()


@dataclass(frozen=True)
class PageSearch:
    """The `?q=` of a list page: the term to search for ("" when refused) and the error to show beside the box."""

    term: str
    error: str = ""

    @property
    def status(self) -> int:
        """The page's HTTP status: 400 when the search was refused (the page still shows, with the error)."""
        return 400 if self.error else 200

    def links_query(self, query) -> str:
        """The list's filters, URL-encoded for its page links: without `page`, and never a refused search."""
        params = query.copy()
        params.pop("page", None)
        if self.error:
            params.pop(PAGE_SEARCH_PARAMETER, None)
        return params.urlencode()


def page_search(query) -> PageSearch:
    """Read and check `q` from a list page's query string (request.GET)."""
    form = _PageSearchForm(query)
    if form.is_valid():
        return PageSearch(form.cleaned_data[PAGE_SEARCH_PARAMETER])
    problems = " ".join(form.errors[PAGE_SEARCH_PARAMETER])
    return PageSearch("", _("Search (%(parameter)s) not used: %(problems)s") % {
        "parameter": PAGE_SEARCH_PARAMETER, "problems": problems})
