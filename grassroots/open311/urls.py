"""Open311 GeoReport v2 under ``/open311/``: ``discovery.<fmt>`` and ``v2/...``."""

from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "o311fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<o311fmt:fmt>", views.discovery, name="discovery"),
    path("v2/discovery.<o311fmt:fmt>", views.discovery),
    path("v2/services.<o311fmt:fmt>", views.service_list, name="services"),
    path("v2/services/<str:code>.<o311fmt:fmt>", views.service_definition, name="service"),
    path("v2/requests.<o311fmt:fmt>", views.requests, name="requests"),
    path("v2/requests/<str:request_id>.<o311fmt:fmt>", views.request_detail, name="request"),
    path("v2/tokens/<str:token>.<o311fmt:fmt>", views.token, name="token"),
]
