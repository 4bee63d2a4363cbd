"""The therapist's exercise library (/exercises/) and protocol builder (/protocols/)."""

from django.urls import path

from protocols import ladder_views, views

app_name = "protocols"

urlpatterns = [
    path("exercises/", views.library, name="library"),
    path("exercises/new/", views.template_create, name="template-create"),
    path("exercises/<int:pk>/", views.template_detail, name="template-detail"),
    path("exercises/<int:pk>/edit/", views.template_edit, name="template-edit"),
    path("exercises/<int:pk>/clone/", views.template_clone, name="template-clone"),
    path("protocols/", views.protocol_list, name="list"),
    path("protocols/new/", views.protocol_create, name="create"),
    path("protocols/<int:pk>/", views.protocol_detail, name="detail"),
    path("protocols/<int:pk>/edit/", views.protocol_edit, name="edit"),
    path("protocols/<int:pk>/clone/", views.protocol_clone, name="clone"),
    path("protocols/<int:pk>/archive/", views.protocol_archive, name="archive"),
    path("protocols/<int:pk>/restore/", views.protocol_restore, name="restore"),
    path("protocols/<int:pk>/delete/", views.protocol_delete, name="delete"),
    path("protocols/<int:pk>/phases/new/", views.phase_add, name="phase-add"),
    path("protocols/<int:pk>/phases/<int:phase_pk>/edit/", views.phase_edit, name="phase-edit"),
    path("protocols/<int:pk>/phases/<int:phase_pk>/remove/", views.phase_remove, name="phase-remove"),
    path("protocols/<int:pk>/phases/<int:phase_pk>/move/", views.phase_move, name="phase-move"),
    path("protocols/<int:pk>/phases/<int:phase_pk>/exercises/new/", views.exercise_add, name="exercise-add"),
    path("protocols/<int:pk>/exercises/<int:exercise_pk>/edit/", views.exercise_edit, name="exercise-edit"),
    path("protocols/<int:pk>/exercises/<int:exercise_pk>/remove/", views.exercise_remove, name="exercise-remove"),
    path("protocols/<int:pk>/exercises/<int:exercise_pk>/move/", views.exercise_move, name="exercise-move"),
    path("protocols/<int:pk>/exercises/<int:exercise_pk>/ladder/", ladder_views.ladder, name="ladder"),
    path("protocols/<int:pk>/steps/<int:step_pk>/edit/", ladder_views.step_edit, name="step-edit"),
]
