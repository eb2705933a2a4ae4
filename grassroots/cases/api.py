"""REST endpoints of the closed loop that need no staff account: a resident's report in
JSON, and readings posted by IoT sensors with their device key. Thin: parse, call one
service, answer."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from grassroots.core import ratelimit
from grassroots.core.errors import PermissionDeniedError, ValidationFailed

from . import sensors, services
from .choices import Channel
from .models import Category, SensorDevice
from .selectors.categories import category_by_code

security_log = logging.getLogger("grassroots.security")


def _json_body(request: Request) -> Any:
    try:
        return request.data
    except ParseError as exc:
        raise ValidationFailed(_("请求体不是有效的 JSON。"), field="body") from exc


def _parse(serializer_class: type[serializers.Serializer], data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed(_("请求体必须是一个 JSON 对象。"), field="body")
    s = serializer_class(data=data)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        raise ValidationFailed(f"{field}: {errors[0]}", field=field)
    return dict(s.validated_data)


# --- a resident's report ------------------------------------------------------------------


class ReportIn(serializers.Serializer):
    category = serializers.CharField(max_length=40, help_text="kind:code, e.g. event:0404")
    # Length and emptiness are the service's rule (one message, in the user's language);
    # the cap here only stops absurd bodies before they reach it.
    description = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=20000)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)


class ReportOut(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()


def _report_key(request: Request) -> str:
    # The same allowance as the report page (cases.views.public): one per client address.
    return f"cases:report:{ratelimit.client_ip(request)}"


class ReportThrottle(BaseThrottle):
    """Anti-automation: accepted reports per client address per hour
    (``CASE_REPORTS_PER_HOUR``), counted in the shared cache by ``core.ratelimit``."""

    def allow_request(self, request: Request, view: Any) -> bool:
        return not ratelimit.limited(_report_key(request), limit=settings.CASE_REPORTS_PER_HOUR)

    def wait(self) -> float:
        return float(ratelimit.HOUR)


def _category(value: str) -> Category:
    kind, sep, code = value.partition(":")
    category = category_by_code(kind=kind, code=code) if sep and kind and code else None
    if category is None:
        raise ValidationFailed(
            _("未知的类别，请用“类型:编码”，例如 event:0404。"), field="category"
        )
    return category


class CaseReportApi(APIView):
    """A resident reports a problem (with or without an account) and gets a tracking code."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [ReportThrottle]

    @extend_schema(request=ReportIn, responses={201: ReportOut})
    def post(self, request: Request) -> Response:
        data = _parse(ReportIn, _json_body(request))
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            raise ValidationFailed(_("经度和纬度要一起填写。"), field="location")
        user = request.user if request.user.is_authenticated else None
        case = services.case_submit(
            category=_category(data["category"]),
            description=data["description"],
            channel=Channel.WEB,
            lon=lon,
            lat=lat,
            address=data["address"],
            reporter=user,
            reporter_name=data["name"],
            reporter_phone=data["phone"],
        )
        ratelimit.hit(_report_key(request))
        return Response(
            ReportOut({"tracking_code": case.tracking_code, "status": case.status}).data,
            status=status.HTTP_201_CREATED,
        )


# --- sensors --------------------------------------------------------------------------------


class DeviceAuthentication(BaseAuthentication):
    """``Authorization: Device <device_id>:<key>`` (over TLS); see ``cases.sensors``.
    Every failure gets the same answer: no hint whether the device exists."""

    keyword = "Device"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, SensorDevice]:
        failed = AuthenticationFailed(_("设备认证失败。"))
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode("latin-1").lower() != self.keyword.lower():
            raise failed
        try:
            device_id, sep, key = parts[1].decode("ascii").partition(":")
        except UnicodeDecodeError as exc:
            raise failed from exc
        device = sensors.device_authenticate(device_id=device_id, key=key) if sep else None
        if device is None:
            # Who tried, never the key presented (ASVS 16.2.5, 16.3.2).
            security_log.warning(
                "sensor authentication failed: device_id=%r from %s",
                device_id[:64],
                request.META.get("REMOTE_ADDR", "?"),
            )
            raise failed
        return AnonymousUser(), device

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class DeviceAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "grassroots.cases.api.DeviceAuthentication"
    name = "deviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Device <device_id>:<key>",
        }


class IsDevice(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, SensorDevice)


_READING = inline_serializer(
    "SensorReadingIn",
    {
        "value": serializers.FloatField(),
        "measured_at": serializers.DateTimeField(),
        "nonce": serializers.CharField(max_length=sensors.MAX_NONCE),
    },
)


class SensorReadingsApi(APIView):
    """A sensor posts one reading or a batch (at most 100), all or nothing."""

    authentication_classes = [DeviceAuthentication]
    permission_classes = [IsDevice]
    parser_classes = [JSONParser]

    @extend_schema(
        request=_READING,
        responses={
            201: inline_serializer(
                "SensorReadingsOut",
                {
                    "stored": serializers.IntegerField(),
                    "readings": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
        description='Body: one reading, or {"readings": [...]} with at most 100.',
    )
    def post(self, request: Request) -> Response:
        device: SensorDevice = request.auth
        if not device.is_active:
            raise PermissionDeniedError(_("该设备已停用。"))
        readings = sensors.parse_body(_json_body(request))
        stored = sensors.readings_ingest(device=device, readings=readings)
        codes = {r.case_id: r.case.tracking_code for r in stored if r.case is not None}
        return Response(
            {
                "stored": len(stored),
                "readings": [
                    {
                        "nonce": r.nonce,
                        "over_threshold": r.over_threshold,
                        "case": codes.get(r.case_id) if r.case_id else None,
                    }
                    for r in stored
                ],
            },
            status=status.HTTP_201_CREATED,
        )
