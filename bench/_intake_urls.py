"""URLconf of the benchmark server: the project's URLs plus the bare baseline endpoints."""

from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from bench.api import bare_requests
from bench.intake import bare_intake

urlpatterns = [
    path("bench/bare-intake/", csrf_exempt(bare_intake)),
    path("bench/bare-requests/", bare_requests),
    path("", include("config.urls")),
]
