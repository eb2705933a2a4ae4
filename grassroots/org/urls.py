from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("map/", views.unit_map, name="map"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
]
