from django.urls import path

from . import api

urlpatterns = [
    path("units/", api.UnitListApi.as_view(), name="api-units"),
    path("units.geojson", api.UnitGeoJsonApi.as_view(), name="api-units-geojson"),
    path("units/<str:code>/", api.UnitDetailApi.as_view(), name="api-unit"),
    path("locate/", api.LocateApi.as_view(), name="api-locate"),
    path("departments/", api.DepartmentListApi.as_view(), name="api-departments"),
]
