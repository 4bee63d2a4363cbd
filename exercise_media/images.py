"""Pictures as they are kept: decoded, turned upright, re-encoded without any metadata, and resized.

Re-encoding from pixels is what strips EXIF (GPS position, camera serial,
time), XMP and ICC extras: nothing from the original file but its pixels is
written. HEIC (iPhone) pictures are read through pillow-heif.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

LARGE_SIDE = 1600  # the picture patients and therapists see
THUMB_SIDE = 480  # library and builder thumbnails, the handout
MAX_PIXELS = 60_000_000  # a decompression bomb is refused before it is decoded
JPEG_QUALITY = 84


class PictureError(ValueError):
    """The file says it is a picture but cannot be read as one."""


@dataclass(frozen=True)
class Prepared:
    large: bytes
    thumbnail: bytes
    width: int
    height: int


def _encode(image: Image.Image, side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def prepare(source) -> Prepared:
    """A large JPEG and a thumbnail from `source` (a file object), with no metadata at all."""
    try:
        with Image.open(source) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise PictureError("too many pixels")
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise PictureError(str(error)) from error
    if upright.mode in ("RGBA", "LA", "P"):
        upright = upright.convert("RGBA")
        flat = Image.new("RGB", upright.size, (255, 255, 255))
        flat.paste(upright, mask=upright.getchannel("A"))
        upright = flat
    pixels = upright.convert("RGB")
    # A fresh image from the pixels alone: no EXIF, XMP, ICC profile or comments survive.
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    large = _encode(clean, LARGE_SIDE)
    with Image.open(io.BytesIO(large)) as check:
        width, height = check.size
    return Prepared(large=large, thumbnail=_encode(clean, THUMB_SIDE), width=width, height=height)
