from django.urls import path

from . import views, views_exports, views_reports

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("peta/<slug:layer>.geojson", views.map_layer, name="map-layer"),
    path("reports/daily.pdf", views_reports.daily, {"fmt": "pdf"}, name="report-daily-pdf"),
    path("reports/daily.xlsx", views_reports.daily, {"fmt": "xlsx"}, name="report-daily-xlsx"),
    path("reports/anev.pdf", views_reports.anev, {"fmt": "pdf"}, name="report-anev-pdf"),
    path("reports/anev.xlsx", views_reports.anev, {"fmt": "xlsx"}, name="report-anev-xlsx"),
    path("exports/<slug:kind>.<slug:fmt>", views_exports.export, name="export"),
]
