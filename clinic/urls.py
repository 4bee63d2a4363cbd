from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from clinic import js_catalog, views
from patients.views import pwa

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The phone app's service worker sits at the root so its scope covers the phone pages (patients.pwa).
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("offline/<str:language>/", pwa.offline, name="offline-language"),
    # The JavaScript catalog (djangojs) of one language, versioned by its text (clinic.js_catalog).
    path("jsi18n/<str:language>/<str:version>.js", js_catalog.js_catalog, name="js-catalog"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("accounts/security/", views.account_security, name="account-security"),
    path("accounts/language/", views.language_page, name="language"),
    path("accounts/security/recovery-codes/", views.recovery_codes_new, name="recovery-codes-new"),
    path("accounts/security/two-factor-off/", views.two_factor_off, name="two-factor-off"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("staff/join/<str:token>/", views.staff_join, name="staff-join"),
    path("admin/", admin.site.urls),
    path("clinic/", include("clinic.admin_urls")),
    path("monitoring/", include("monitoring.urls")),
    path("outcomes/", include("outcomes.urls")),
    path("fhir/R4/", include("fhir.urls")),
    path("", include("fhir.page_urls")),
    path("reminders/", include("reminders.urls")),
    path("api/v1/", include("clinic.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("patients.urls")),
    path("", include("protocols.urls")),
    path("", include("exercise_media.urls")),
]
