"""The one way to the media files: Django's storage under the "exercise_media" alias, and byte ranges of them.

Looked up on every call (not once at import), so a settings change (tests,
another storage in production) takes effect without a restart of anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

CHUNK = 64 * 1024


def media_storage() -> Storage:
    return storages["exercise_media"]


def new_name(folder: str, extension: str) -> str:
    """A fresh name Backstep chose: nothing of the uploaded file's own name is ever used."""
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


def save_bytes(folder: str, extension: str, data: bytes) -> str:
    return media_storage().save(new_name(folder, extension), ContentFile(data))


def save_file(folder: str, extension: str, handle, *, store: Storage | None = None) -> str:
    """Store an open file under a fresh name (in `store`, another private store such as bulk exports' if given)."""
    return (store or media_storage()).save(new_name(folder, extension), handle)


def delete_quietly(*names: str, store: Storage | None = None) -> None:
    storage = store or media_storage()
    for name in names:
        if name:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - a file already gone, or a store that is down: nothing to undo
                pass


def read_range(name: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes `start`..`end` (inclusive) of a stored file, in chunks, without reading the rest.

    Object storage is asked for just that range (django-storages' S3 file
    exposes its boto3 object as `obj`); local files are opened and seeked.
    """
    storage = media_storage()
    handle = storage.open(name, "rb")
    s3_object = getattr(handle, "obj", None)
    if s3_object is not None:
        body = s3_object.get(Range=f"bytes={start}-{end}")["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()
            handle.close()
        return
    with handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
