from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("lapor/", views.report, name="report"),
    path("lapor/desa/", views.village_search, name="village-search"),
    path("lapor/cari/", views.find_report, name="find"),
    path("lapor/<str:code>/", views.track, name="track"),
    path("lapor/<str:code>/foto/<int:photo_id>/<str:size>/", views.photo, name="photo"),
]
