"""Backstep takes no files: multipart bodies are size-limited as a whole, and files in them are dropped unread.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves out file data, and its default
handlers spool any upload to disk, however large. This handler (the only one,
FILE_UPLOAD_HANDLERS) refuses a multipart body over the limit before reading it
(400 page for forms) and skips every file part without storing a byte.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


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
