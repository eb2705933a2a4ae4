"""Staff pages of the closed loop, under ``/cases/staff/`` (namespace ``cases``)."""

from django.urls import path

from .views import staff

urlpatterns = [
    path("", staff.inbox, name="inbox"),
    path("<int:pk>/", staff.case_detail, name="staff-case"),
    path("<int:pk>/act/<slug:action>/", staff.case_act, name="staff-act"),
    path("bulk-dispatch/", staff.bulk_dispatch, name="staff-bulk-dispatch"),
    path("patrol/", staff.patrol, name="patrol"),
    path("intake/", staff.intake, name="intake"),
    path("map/", staff.case_map, name="staff-map"),
    path("map.json", staff.case_map_data, name="staff-map-data"),
]
