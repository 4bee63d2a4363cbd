"""Security headers Django's SecurityMiddleware does not send: Content-Security-Policy and Permissions-Policy.

The policy allows only our own files: no inline <script>, <style>, style="…"
or on…= handlers anywhere, no eval, nothing from another host. It is sent on
every response in every environment, so the browser tests (which fail on any
console error) catch an inline script the day someone adds one.
"""

from __future__ import annotations

from django.conf import settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap's and Swagger UI's stylesheets draw small icons as data: SVGs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)

# Django's own DEBUG pages (technical 404 and 500) are built from inline
# <style> and <script>. They only exist with DEBUG on, which production refuses,
# so there, and only there, inline code is allowed to keep them readable.
DEBUG_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

# Nothing in Backstep needs these browser features; turning them off means a
# script that did get in still cannot reach the camera, microphone or location.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "usb",
        "xr-spatial-tracking",
    )
)


def _is_debug_page(response) -> bool:
    return (
        settings.DEBUG
        and response.status_code in (404, 500)
        and response.get("Content-Type", "").startswith("text/html")
    )


class SecurityHeadersMiddleware:
    """Add Content-Security-Policy and Permissions-Policy unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = DEBUG_PAGE_POLICY if _is_debug_page(response) else CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
