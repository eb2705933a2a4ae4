"""``/api/v1/insight/``: the dashboard's figures (``insight.api``)."""

from django.urls import path

from . import api

urlpatterns = [
    path("dashboard/", api.DashboardApi.as_view(), name="api-insight-dashboard"),
]
