"""REST endpoints of the administrative tree: units, boundaries, point location."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.core.errors import ValidationFailed
from grassroots.core.geo import display_crs, from_display, to_display

from . import selectors
from .choices import UnitLevel
from .locate import locate_point
from .models import Department, Unit


class UnitOut(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, allow_null=True)

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "name_en",
            "level",
            "parent_code",
            "population",
            "households",
            "area_km2",
            "centroid_lon",
            "centroid_lat",
        ]


class DepartmentOut(serializers.ModelSerializer):
    jurisdiction_code = serializers.CharField(source="jurisdiction.code")

    class Meta:
        model = Department
        fields = ["key", "name", "name_en", "jurisdiction_code", "phone", "is_active"]


class LocateIn(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], default="wgs84")


def _parse(serializer_class: type[serializers.Serializer], data: object) -> dict:
    s = serializer_class(data=data)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        raise ValidationFailed(f"{field}: {errors[0]}", field=field)
    return s.validated_data


class UnitListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("parent", str, description="code of the parent unit"),
            OpenApiParameter("level", str, enum=[v for v, _l in UnitLevel.choices]),
        ],
        responses=UnitOut(many=True),
    )
    def get(self, request: Request) -> Response:
        parent_code = request.query_params.get("parent")
        parent = selectors.unit_get(code=parent_code) if parent_code else None
        qs = selectors.unit_children(unit=parent).select_related("parent")
        level = request.query_params.get("level")
        if level:
            if level not in UnitLevel.values:
                raise ValidationFailed(_("未知的层级。"), field="level")
            qs = (
                selectors.unit_subtree(unit=parent, level=level)
                if parent
                else qs.filter(level=level)
            )
        return Response(UnitOut(qs.select_related("parent")[:5000], many=True).data)


class UnitDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=UnitOut)
    def get(self, request: Request, code: str) -> Response:
        return Response(UnitOut(selectors.unit_get(code=code)).data)


class UnitGeoJsonApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("parent", str, description="code of the parent unit"),
            OpenApiParameter("level", str, enum=[v for v, _l in UnitLevel.choices]),
            OpenApiParameter(
                "crs", str, enum=["wgs84", "gcj02"], description="coordinates for display"
            ),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        crs = request.query_params.get("crs", "wgs84")
        if crs not in {"wgs84", "gcj02"}:
            raise ValidationFailed(_("坐标系只能是 wgs84 或 gcj02。"), field="crs")
        parent_code = request.query_params.get("parent")
        parent = selectors.unit_get(code=parent_code) if parent_code else None
        level = request.query_params.get("level") or None
        if level and level not in UnitLevel.values:
            raise ValidationFailed(_("未知的层级。"), field="level")
        if parent is None and level is None:
            roots = list(selectors.unit_roots()[:1])
            parent = roots[0] if roots else None
        return Response(selectors.unit_geojson(parent=parent, level=level, crs=crs))


class LocateApi(APIView):
    """Which grid, community, street… is this WGS84 point in?"""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", float, required=True),
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter(
                "crs", str, enum=["wgs84", "gcj02"], description="system of the given point"
            ),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        data = _parse(LocateIn, request.query_params)
        lon, lat = from_display(data["lon"], data["lat"], crs=data["crs"])
        located = locate_point(lon, lat)
        shown_lon, shown_lat = to_display(lon, lat)
        return Response(
            {
                "lon": lon,
                "lat": lat,
                # where to draw the point on this site's base map (MAP_CRS)
                "display": {"lon": shown_lon, "lat": shown_lat, "crs": display_crs()},
                "units": located.as_dict(),
            }
        )


class DepartmentListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=DepartmentOut(many=True))
    def get(self, request: Request) -> Response:
        qs = Department.objects.select_related("jurisdiction").filter(is_active=True)
        return Response(DepartmentOut(qs, many=True).data)
