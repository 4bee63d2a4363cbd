"""The REST API, version 1: one router, mounted at /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from patients.api.reports import AdherenceReportView
from protocols.api.views import ProgressionSimulateView

router = DefaultRouter()
# Resource viewsets are registered here, in one place.

urlpatterns = [
    path("progression/simulate/", ProgressionSimulateView.as_view(), name="progression-simulate"),
    path("reports/adherence/", AdherenceReportView.as_view(), name="report-adherence"),
    *router.urls,
]
