"""The REST API, version 1: one router, mounted at /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from protocols.api.views import ProgressionSimulateView

router = DefaultRouter()

urlpatterns = [
    path("progression/simulate/", ProgressionSimulateView.as_view(), name="progression-simulate"),
    *router.urls,
]
