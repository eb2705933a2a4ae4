"""The dashboard's figures for programs: ``GET /api/v1/insight/dashboard/``.

Token or session authentication; the same scope rule as the page (``selectors.dashboard``):
leaders, dispatchers and administrators get their unit or any unit below it
(``unit=<id>``), anything else is 404; other roles are 403. The figures are those the page
draws (``selectors.dashboard.as_data``): rates in percent, ``null`` where there is no data.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.cases.views.staff_common import int_or_none
from grassroots.core.errors import ValidationFailed

from .selectors.dashboard import as_data, dashboard
from .services import weights_current
from .views.assessment import parse_month
from .views.dashboard import period_from


class _UnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class _PeriodOut(serializers.Serializer):
    # "from" is a Python keyword: declared below
    to = serializers.CharField(help_text="YYYY-MM, last month of the period")
    last_year_from = serializers.CharField()
    last_year_to = serializers.CharField()


_PeriodOut._declared_fields["from"] = serializers.CharField(help_text="YYYY-MM, first month")


class _CardOut(serializers.Serializer):
    key = serializers.CharField(help_text="received, valid, response, resolution, …")
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="count, percent or hours")
    last_year = serializers.FloatField(allow_null=True, help_text="the same months a year earlier")
    unit = serializers.CharField(help_text="件, % or h")
    higher_is_better = serializers.BooleanField()
    formula = serializers.CharField()


class _SliceOut(serializers.Serializer):
    key = serializers.CharField(help_text="category id, channel, or YYYY-MM")
    label = serializers.CharField()
    received = serializers.FloatField()
    last_year = serializers.FloatField(allow_null=True)
    url = serializers.CharField(help_text="the staff case list with this filter (drill-down)")


class _AreaOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(help_text="a unit level, or 'department'")
    received = serializers.FloatField()
    valid = serializers.FloatField()
    rank = serializers.IntegerField(allow_null=True, help_text="by composite score")
    composite = serializers.FloatField(allow_null=True)
    kpis = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="KPI key → value (rates in percent, handling in hours)",
    )
    url = serializers.CharField(allow_blank=True, help_text="drill-down page")


class _CellOut(serializers.Serializer):
    cell = serializers.CharField(help_text="H3 cell, resolution 8")
    received = serializers.FloatField()
    boundary = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[lon, lat] ring in the map's display CRS",
    )


class _AlertOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    severity = serializers.CharField()
    severity_label = serializers.CharField()
    unit = serializers.CharField()
    explanation = serializers.CharField()
    last_seen = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_blank=True)


class DashboardOut(serializers.Serializer):
    unit = _UnitOut()
    period = _PeriodOut()
    cards = _CardOut(many=True)
    categories = _SliceOut(many=True, help_text="top 10 and 'other'")
    channels = _SliceOut(many=True)
    trend = _SliceOut(many=True, help_text="per month, with the same month last year")
    areas = _AreaOut(many=True, help_text="sub-areas ranked by composite score")
    child_level = serializers.CharField(allow_blank=True)
    departments = _AreaOut(many=True, help_text="lead departments ranked by composite score")
    cells = _CellOut(many=True)
    alerts = _AlertOut(many=True, help_text="newest open early warnings")
    cases_url = serializers.CharField()


class DashboardApi(APIView):
    """One unit's dashboard figures over a period of months (default: the last 12)."""

    @extend_schema(
        summary="Dashboard figures of one unit",
        parameters=[
            OpenApiParameter("unit", int, description="unit id (default: your home unit)"),
            OpenApiParameter("from", str, description="first month, YYYY-MM"),
            OpenApiParameter("to", str, description="last month, YYYY-MM (at most 36 months)"),
        ],
        responses={200: DashboardOut},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        for name in ("from", "to"):
            if params.get(name) and parse_month(params.get(name)) is None:
                raise ValidationFailed(_("月份格式应为 YYYY-MM。"), field=name)
        unit = params.get("unit")
        if unit and int_or_none(unit) is None:
            raise ValidationFailed(_("区域编号应为整数。"), field="unit")
        board = dashboard(
            user=request.user,
            unit_id=int_or_none(unit),
            period=period_from(params),
            weights=weights_current(),
        )
        data: dict[str, Any] = as_data(board)
        return Response(data)
