"""Data-sharing pages, mounted by ``registry.urls`` under ``/registry/sharing/`` (namespace
``registry``): the catalogue, requests and grants, and the usage report."""

from django.urls import path
from django.views.generic import RedirectView

from . import views_sharing as v

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="registry:sharing-requests"), name="sharing"),
    path("catalogue/", v.catalogue_page, name="sharing-catalogue"),
    path("requests/", v.request_list, name="sharing-requests"),
    path("requests/new/", v.request_new, name="sharing-request-new"),
    path("requests/<int:pk>/", v.request_detail, name="sharing-request"),
    path("requests/<int:pk>/<slug:action>/", v.request_act, name="sharing-request-act"),
    path("grants/<int:pk>/revoke/", v.grant_revoke, name="sharing-grant-revoke"),
    path("report/", v.usage_report, name="sharing-report"),
]
