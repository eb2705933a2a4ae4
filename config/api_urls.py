"""The REST API, version 1. Every app adds its endpoints here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("org/", include("grassroots.org.api_urls")),
    path("cases/", include("grassroots.cases.api_urls")),
    path("registry/", include("grassroots.registry.api_urls")),
    path("insight/", include("grassroots.insight.api_urls")),
]
