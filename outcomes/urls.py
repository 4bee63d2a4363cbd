from django.urls import path

from outcomes import phone_views, questionnaire_views, staff_views

app_name = "outcomes"

urlpatterns = [
    # The clinic's outcomes page and its CSV (outcomes.staff_views).
    path("", staff_views.clinic_outcomes, name="clinic"),
    path("export.csv", staff_views.export, name="export"),
    # The questionnaires on a patient's plan (the patient page's panel).
    path("patients/<int:pk>/questionnaires/", staff_views.plan_questionnaire_add_view, name="plan-add"),
    path("patients/<int:pk>/questionnaires/<int:row>/skip/", staff_views.plan_questionnaire_skip_view,
         name="plan-skip"),
    # The questionnaires a protocol asks for (copied into each plan assigned from it).
    path("protocols/<int:pk>/questionnaires/", staff_views.protocol_questionnaires, name="protocol-questionnaires"),
    # The patient's phone (outcomes.phone_views).
    path("answer/<slug:instrument_id>/", phone_views.answer, name="answer"),
    path("answer/<slug:instrument_id>/save/", phone_views.answer_save, name="answer-save"),
    path("answer/<slug:instrument_id>/done/", phone_views.answered, name="answered"),
    # The clinic admin's imported questionnaire wording (licensed instruments).
    path("questionnaires/", questionnaire_views.questionnaire_list, name="questionnaires"),
    path("questionnaires/import/", questionnaire_views.questionnaire_import_page, name="questionnaire-import"),
    # The clinic's own important-change thresholds (staff read; clinic admins change).
    path("thresholds/", questionnaire_views.thresholds, name="thresholds"),
]
