"""URLconf of the benchmark server: the project's URLs plus the bare baseline endpoint."""

from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from bench.intake import bare_intake

urlpatterns = [
    path("bench/bare-intake/", csrf_exempt(bare_intake)),
    path("", include("config.urls")),
]
