"""The dashboard's pages under ``/insight/`` (namespace ``insight``, included by ``urls``):
``insight:dashboard`` and ``insight:dashboard_export``."""

from django.urls import path

from .views import dashboard

urlpatterns = [
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
]
