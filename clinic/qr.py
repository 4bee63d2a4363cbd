"""QR codes drawn by the server as inline SVG: no image request, no other host (the CSP allows neither)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str, css_class: str = "bs-qr img-fluid", scalable: bool = False) -> SafeString:
    """`data` as an inline SVG QR code, announced to screen readers as one image named `title`.

    `scalable` draws it with a viewBox and no fixed size, so CSS can make it as large as its box.
    """
    svg = segno.make(data, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=title, svgclass=css_class, lineclass=None, omitsize=scalable,
    )
    # segno escapes the title it writes into <title>; the drawing itself is paths only.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # nosec B308, B703: segno's own SVG output
