"""The phone app's service worker (/sw.js), its offline page, and the mark on pages it may keep offline.

See patients/pwa.py for what the worker caches and pwa/sw.js for how.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
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


def kept_offline(view):
    """Mark a phone page the patient may open offline with their owner tag (patients.outbox): the worker keeps only
    pages so marked, in that patient's cache."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        actor = getattr(request, "actor", None)
        if request.method == "GET" and response.status_code == 200 and actor is not None and actor.is_patient:
            response[pwa.OWNER_HEADER] = outbox_owner(actor.patient)
        return response

    return wrapper
