from django.urls import path

from . import views

app_name = "newsroom"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("dari-kunjungan/<uuid:visit_id>/", views.draft_from_visit, name="draft"),
    path("<int:release_id>/", views.edit, name="edit"),
    path("komentar/", views.moderation, name="moderation"),
]
