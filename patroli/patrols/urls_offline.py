from django.urls import path

from . import views_offline

app_name = "offline"
urlpatterns = [
    path("manifest.webmanifest", views_offline.manifest, name="manifest"),
    path("sw.js", views_offline.service_worker, name="service-worker"),
    path("kotak-keluar/", views_offline.outbox, name="outbox"),
]
