"""Early-warning pages (included by ``insight.urls`` under ``/insight/``).

``insight:alerts`` (the list), ``insight:alert_detail``, ``insight:alert_act`` (POST:
acknowledge, dismiss, to_case, to_topic), ``insight:topics`` (每月一题),
``insight:topic_advance`` (POST: the topic's next step)."""

from django.urls import path

from .views import alerts

urlpatterns = [
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/<str:action>/", alerts.alert_act, name="alert_act"),
    path("topics/", alerts.topic_list, name="topics"),
    path("topics/<int:pk>/advance/", alerts.topic_advance, name="topic_advance"),
]
