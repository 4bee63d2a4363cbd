"""Backstep takes no files: multipart bodies are size-limited as a whole, and files in them are dropped unread.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves out file data, and its default
handlers spool any upload to disk, however large. This handler (the only one,
FILE_UPLOAD_HANDLERS) refuses a multipart body over the limit before reading it
(400 page for forms) and skips every file part without storing a byte.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class RefuseUploads(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and content_length > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    def new_file(self, *args, **kwargs):
        raise SkipFile()

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


def file_upload_page(*, allowed, handler, body_limit):
    """Decorator for the few pages whose POST carries a file (clinic media, a questionnaire's wording).

    `allowed(actor)` raises when the caller may not use the page; `handler(request)` is the upload handler that
    replaces RefuseUploads for this request; `body_limit()` is the largest body read at all. A body over it is
    refused by its Content-Length before a byte is read: the view runs with `request.upload_too_large` set (and
    no token to check, so nothing is done). The handler sets the same flag when a file passes its own limit. The
    CSRF check runs after the handlers are set, as Django requires (csrf_exempt outside, csrf_protect inside).
    """

    def decorate(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed(request.actor)
            request.upload_too_large = False
            if request.method == "POST":
                request.upload_handlers = [handler(request)]
                try:
                    length = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                if length > body_limit():
                    request.upload_too_large = True
                    return view(request, *args, **kwargs)
            return protected(request, *args, **kwargs)

        return wrapper

    return decorate
