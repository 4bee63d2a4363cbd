"""The REST API, version 1: one router, mounted at /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from clinic.api.exceptions import api_not_found
from clinic.api.views import AuditEventViewSet
from monitoring.api.views import RtmReportView
from outcomes.api.responses import QuestionnaireResponseViewSet
from outcomes.api.views import ScoreView
from patients.api import views as patient_views
from patients.api.reports import AdherenceReportView
from protocols.api import views as protocol_views

router = DefaultRouter()
# Resource viewsets are registered here, in one place.
router.register("exercise-templates", protocol_views.ExerciseTemplateViewSet, basename="exercise-template")
router.register("protocols", protocol_views.ProtocolViewSet, basename="protocol")
router.register("patients", patient_views.PatientViewSet, basename="patient")
router.register("me", patient_views.MeViewSet, basename="me")
router.register("assignments", patient_views.AssignmentViewSet, basename="assignment")
router.register("sessions", patient_views.SessionLogViewSet, basename="session")
router.register("checkins", patient_views.CheckInViewSet, basename="checkin")
router.register("measurements", patient_views.MeasurementViewSet, basename="measurement")
router.register("flags", patient_views.FlagViewSet, basename="flag")
router.register("outcomes/responses", QuestionnaireResponseViewSet, basename="questionnaireresponse")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("progression/simulate/", protocol_views.ProgressionSimulateView.as_view(), name="progression-simulate"),
    path("reports/adherence/", AdherenceReportView.as_view(), name="report-adherence"),
    path("reports/rtm/", RtmReportView.as_view(), name="report-rtm"),
    path("outcomes/score/", ScoreView.as_view(), name="outcomes-score"),
    *router.urls,
    # Last: any other address under /api/v1/ gets the API's JSON 404, not the site's HTML page. Only addresses
    # ending in "/", so that CommonMiddleware still redirects ".../patients" to ".../patients/".
    re_path(r"^.*/\Z", api_not_found, name="api-not-found"),
]
