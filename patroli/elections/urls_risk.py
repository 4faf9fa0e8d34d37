from django.urls import path

from . import views_risk

app_name = "risk"
urlpatterns = [
    path("", views_risk.risk_list, name="list"),
    path("lokasi/<int:site_id>/", views_risk.risk_site, name="site"),
]
