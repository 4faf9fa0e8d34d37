"""Coverage and patrol plans, included at /app/rencana/."""

from django.urls import path

from . import views_plans as views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("cakupan/", views.coverage_page, name="coverage"),
    path("baru/", views.plan_new, name="new"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/setujui/", views.plan_approve, name="approve"),
    path("<int:plan_id>/titik/<int:stop_id>/hapus/", views.stop_remove, name="stop-remove"),
    path("<int:plan_id>/titik/<int:stop_id>/pindah/", views.stop_move, name="stop-move"),
]
