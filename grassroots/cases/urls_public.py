"""Resident pages of the closed loop (under ``/cases/``, namespace ``cases``)."""

from django.urls import path

from .views import public

urlpatterns = [
    path("report/", public.report, name="report"),
    path("report/done/", public.report_done, name="report_done"),
    path("report/suggest/", public.report_suggest, name="report_suggest"),
    path("track/", public.track, name="track"),
    path("track/<str:code>/", public.track_detail, name="track_detail"),
    path("track/<str:code>/rate/", public.track_rate, name="rate"),
    path("track/<str:code>/reopen/", public.track_reopen, name="reopen"),
    path("track/<str:code>/photos/<int:pk>/", public.photo, name="photo"),
]
