"""Django's admin site, signed in to like the rest of Backstep.

Django's admin brings its own login form at /admin/login/. Here that address
serves Backstep's sign-in instead (same form, same django-axes lockout, same
new session key), so there is one way in. Two-factor is not decided here:
`clinic.security.middleware.SignInSecurityMiddleware` holds everyone who can open the
admin at the verify or set-up page before any admin view runs, this login
view included.
"""

from __future__ import annotations

from django.contrib import admin

from clinic.views import SiteAdminSignInView


class SiteAdmin(admin.AdminSite):
    """The admin site at /admin/ (installed by clinic.apps.SiteAdminConfig)."""

    def login(self, request, extra_context=None):
        request.current_app = self.name
        return SiteAdminSignInView.as_view()(request)
