from django.urls import path

from . import api

urlpatterns = [
    path("reports/", api.CaseReportApi.as_view(), name="api-case-report"),
    path("sensors/readings/", api.SensorReadingsApi.as_view(), name="api-sensor-readings"),
]
