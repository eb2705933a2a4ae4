from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from grassroots.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("grassroots.core.auth_urls")),
    path("", include("grassroots.core.urls")),
    path("org/", include("grassroots.org.urls")),
    path("cases/", include("grassroots.cases.urls")),
    path("registry/", include("grassroots.registry.urls")),
    path("open311/", include("grassroots.open311.urls")),
    path("insight/", include("grassroots.insight.urls")),
    path("api/v1/", include("config.api_urls")),
]

if settings.DEBUG:  # pragma: no cover - development convenience only
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
