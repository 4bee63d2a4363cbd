from django.urls import path

from outcomes import questionnaire_views

app_name = "outcomes"

urlpatterns: list = [
    # The clinic admin's imported questionnaire wording (licensed instruments).
    path("questionnaires/", questionnaire_views.questionnaire_list, name="questionnaires"),
    path("questionnaires/import/", questionnaire_views.questionnaire_import_page, name="questionnaire-import"),
]
