from django.urls import path

from . import api, api_staff

urlpatterns = [
    # the report view of ``cases.api`` with Idempotency-Key (see ``api_staff``)
    path("reports/", api_staff.IdempotentCaseReportApi.as_view(), name="api-case-report"),
    path("sensors/readings/", api.SensorReadingsApi.as_view(), name="api-sensor-readings"),
    path("", api_staff.CaseListApi.as_view(), name="api-cases"),
    path("inbox/", api_staff.InboxApi.as_view(), name="api-case-inbox"),
    path("categories/", api_staff.CategoryListApi.as_view(), name="api-categories"),
    path("<int:pk>/", api_staff.CaseDetailApi.as_view(), name="api-case"),
    *(
        path(f"<int:pk>/{action}/", api_staff.step_view(action), name=f"api-case-{action}")
        for action in api_staff.STAFF_ACTIONS
    ),
]
