"""Pages of the closed loop: public ones (report, track, rate) and staff ones (inboxes)."""

from django.urls import include, path

app_name = "cases"
urlpatterns = [
    path("", include("grassroots.cases.urls_public")),
    path("staff/", include("grassroots.cases.urls_staff")),
]
