"""Insight pages: assessment (kpi), dashboard (urls_dashboard), alerts (urls_alerts).

URL names (namespace ``insight``): ``insight:assessment``, ``insight:assessment_export``,
``insight:weights``; the dashboard and alert helpers add theirs in their own files.
"""

from django.urls import include, path

from .views import assessment

app_name = "insight"

urlpatterns = [
    path("assessment/", assessment.assessment, name="assessment"),
    path("assessment/export.xlsx", assessment.assessment_export, name="assessment_export"),
    path("assessment/weights/", assessment.weights_edit, name="weights"),
    path("", include("grassroots.insight.urls_dashboard")),
    path("", include("grassroots.insight.urls_alerts")),
]
