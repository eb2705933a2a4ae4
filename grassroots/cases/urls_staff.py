"""Staff pages of the closed loop, under ``/cases/staff/`` (namespace ``cases``)."""

from django.urls import path

from .views import staff_case, staff_entry, staff_inbox

urlpatterns = [
    path("", staff_inbox.inbox, name="inbox"),
    path("<int:pk>/", staff_case.case_detail, name="staff-case"),
    path("<int:pk>/contact/", staff_case.reveal_phone, name="staff-reveal-phone"),
    path("<int:pk>/act/<slug:action>/", staff_case.case_act, name="staff-act"),
    path("bulk-dispatch/", staff_inbox.bulk_dispatch, name="staff-bulk-dispatch"),
    path("patrol/", staff_entry.patrol, name="patrol"),
    path("intake/", staff_entry.intake, name="intake"),
    path("map/", staff_inbox.case_map, name="staff-map"),
    path("map.json", staff_inbox.case_map_data, name="staff-map-data"),
]
