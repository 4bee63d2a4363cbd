"""The phone app's service worker (/sw.js), its offline page, and the mark on pages it may keep offline.

See patients/pwa.py for what the worker caches and pwa/sw.js for how.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.base import BaseStorage
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from patients import pwa
from patients.outbox import outbox_owner


@require_safe
def service_worker(request):
    """/sw.js at the site root, so its scope covers the phone pages; never cached by the browser's HTTP cache."""
    response = HttpResponse(pwa.worker_script(), content_type="text/javascript; charset=utf-8")
    patch_cache_control(response, no_cache=True, max_age=0)
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
def offline(request, language=None):
    """What the app shows offline for a page this phone has not kept: no patient data, precached by the worker.

    /offline/<language>/ is that page in one language: the worker precaches it for every language and shows the
    one of the last page the phone opened online (pwa/sw.js), so a language change needs no new worker."""
    if language is None:
        return render(request, "patients/offline.html")
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        response = render(request, "patients/offline.html")
    response["Content-Language"] = language
    return response


class _NoMessages(BaseStorage):
    """The messages a page fetched in the background shows: none; the patient's stay for the page they open."""

    def _get(self, *args, **kwargs):
        return [], True

    def _store(self, messages, response, *args, **kwargs):
        return []


def kept_offline(view):
    """Mark a phone page the patient may open offline with their owner tag (patients.outbox): the worker keeps only
    pages so marked, in that patient's cache.

    The worker also fetches these pages in the background (pwa/sw.js, "keeping the other patient pages ready"),
    marked by pwa.BACKGROUND_HEADER. Such a fetch must not use up the patient's messages ("Your reminder settings
    are saved.") that the page they are opening at the same moment is about to show, nor keep one in the copy."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        background = request.headers.get(pwa.BACKGROUND_HEADER) == "1" and hasattr(request, "_messages")
        if background:
            kept, request._messages = request._messages, _NoMessages(request)
        try:
            response = view(request, *args, **kwargs)
            if background and hasattr(response, "render") and not response.is_rendered:
                response.render()
        finally:
            if background:
                request._messages = kept
        actor = getattr(request, "actor", None)
        if request.method == "GET" and response.status_code == 200 and actor is not None and actor.is_patient:
            response[pwa.OWNER_HEADER] = outbox_owner(actor.patient)
        return response

    return wrapper
