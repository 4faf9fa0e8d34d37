"""Open311 GeoReport v2 routes, included at /open311/v2/; every one ends in .json or .xml."""

from django.urls import path, re_path

from . import open311

app_name = "open311"
urlpatterns = [
    path("discovery.<str:fmt>", open311.discovery, name="discovery"),
    path("services.<str:fmt>", open311.services, name="services"),
    path("services/<str:service_code>.<str:fmt>", open311.service_definition, name="service"),
    path("requests.<str:fmt>", open311.requests, name="requests"),
    path("requests/<str:service_request_id>.<str:fmt>", open311.request_detail, name="request"),
    path("tokens/<str:token>.<str:fmt>", open311.token, name="token"),
    # Anything else (an empty id, an id with a slash...) answers 404 in the spec's format too.
    re_path(r"^.*$", open311.unknown, name="unknown"),
]
