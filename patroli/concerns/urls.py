from django.urls import path

from . import views

app_name = "concerns"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("baru/", views.new, name="new"),
    path("massal/", views.bulk, name="bulk"),
    path("<int:concern_id>/", views.detail, name="detail"),
    path("<int:concern_id>/foto/<int:photo_id>/<str:size>/", views.photo, name="photo"),
]
