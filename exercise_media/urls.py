"""Exercise media: Backstep's drawings, the clinic's pictures and videos, and the education texts."""

from django.urls import path

from exercise_media import views

app_name = "exercise_media"

urlpatterns = [
    path("demonstrations/<slug:name>.svg", views.demonstration, name="demonstration"),
    path("exercises/<int:pk>/media/", views.template_media, name="template-media"),
    path("exercises/<int:pk>/media/<int:media_pk>/delete/", views.template_media_delete,
         name="template-media-delete"),
    path("patients/<int:pk>/media/", views.patient_media, name="patient-media"),
    path("patients/<int:pk>/media/<int:media_pk>/delete/", views.patient_media_delete, name="patient-media-delete"),
    path("media/<int:pk>/status/", views.media_status, name="status"),
    path("media/plan/<int:pk>/<slug:variant>/", views.patient_media_file, name="patient-file"),
    path("media/<int:pk>/<slug:variant>/", views.template_media_file, name="file"),
    path("clinic/education/", views.education_list, name="education"),
    path("clinic/education/<slug:topic>/", views.education_edit, name="education-edit"),
]
