from django.urls import path

from . import views

app_name = "app"
urlpatterns = [
    path("hari-ini/", views.today, name="today"),
    path("kunjungan/", views.visit_list, name="visit-list"),
    path("kunjungan/baru/", views.visit_new, name="visit-new"),
    path("kunjungan/<uuid:visit_id>/", views.visit_detail, name="visit-detail"),
    path(
        "kunjungan/<uuid:visit_id>/foto/<uuid:photo_id>/<str:size>/",
        views.visit_photo,
        name="visit-photo",
    ),
]
