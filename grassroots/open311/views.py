"""Open311 GeoReport v2 endpoints: thin views that parse, call one selector or service
(``services.request_submit`` → ``cases.services.case_submit``) and answer in the asked
format. Every refusal is the specification's list of ``{code, description}``.

Tokens: every request is registered at once (``type`` is ``realtime``), so the POST answers
the ``service_request_id`` directly. ``tokens/<token>`` answers the request whose id equals
the token, and 404 otherwise, for clients that always ask.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from grassroots.core import ratelimit
from grassroots.core.errors import DomainError, OutsideJurisdiction

from . import selectors, services
from .render import errors, respond

log = logging.getLogger(__name__)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-21T00:00:00+08:00"
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _open311(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn every refusal into the specification's error list; never a 500 for bad input."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Refused as exc:
            return errors(fmt, exc.status, exc.description)
        except OutsideJurisdiction as exc:  # 422 in the platform; 400 in GeoReport v2
            return errors(fmt, 400, str(exc.message))
        except DomainError as exc:
            message = str(exc.message)
            if exc.field and exc.status_code == 400:
                message = f"{exc.field}: {message}"
            return errors(fmt, exc.status_code, message)

    return wrapper


def _param(data: Any, name: str) -> str:
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _jurisdiction(data: Any) -> None:
    given = _param(data, "jurisdiction_id")
    if given and given != selectors.root_unit_code():
        raise Refused(
            400,
            _("未知的 jurisdiction_id（本平台的 jurisdiction_id 为 %(code)s）。")
            % {"code": selectors.root_unit_code()},
        )


# --- discovery and services ---------------------------------------------------------------


@_open311
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"}))
    url = base.rsplit("/", 1)[0] + "/"
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": getattr(settings, "OPEN311_CONTACT", "") or _("请联系平台管理员。"),
            "key_service": _("api_key 由平台管理员签发（联系方式见 contact）。"),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": CHANGESET,
                    "type": "test" if settings.DEBUG else "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@_open311
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    _jurisdiction(request.GET)
    data = [selectors.service_dict(c) for c in selectors.active_categories()]
    return respond(fmt, "services", data)


@_open311
def service_definition(request: HttpRequest, *, code: str, fmt: str) -> HttpResponse:
    _jurisdiction(request.GET)
    category = selectors.category_by_service_code(code)
    if category is None:
        raise Refused(404, _("未知的 service_code：%(code)s。") % {"code": code[:40]})
    return respond(fmt, "service_definition", selectors.service_definition(category))


# --- requests -----------------------------------------------------------------------------


def _when(value: str, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is not None:
                parsed = datetime.combine(day, time.max if end else time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Refused(400, _("%(name)s 不是有效的 ISO 8601 时间。") % {"name": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _query(data: Any) -> selectors.RequestQuery:
    ids = [i.strip() for i in _param(data, "service_request_id").split(",") if i.strip()]
    codes = [c.strip() for c in _param(data, "service_code").split(",") if c.strip()]
    statuses = [s.strip().lower() for s in _param(data, "status").split(",") if s.strip()]
    if any(s not in (selectors.OPEN, selectors.CLOSED) for s in statuses):
        raise Refused(400, _("status 只能是 open 或 closed。"))
    start = _when(_param(data, "start_date"), "start_date")
    end = _when(_param(data, "end_date"), "end_date", end=True)
    if start and end and start > end:
        raise Refused(400, _("start_date 不能晚于 end_date。"))
    if len(ids) > selectors.MAX_RESULTS:
        raise Refused(400, _("service_request_id 最多 1000 个。"))
    page = _positive(_param(data, "page"), "page", default=1)
    page_size = _positive(_param(data, "page_size"), "page_size", default=selectors.MAX_RESULTS)
    return selectors.RequestQuery(
        ids=ids,
        service_codes=codes,
        start=start,
        end=end,
        statuses=statuses,
        page=page,
        # more than a page holds is answered with a full page, as DRF's max_page_size does
        page_size=min(page_size, selectors.MAX_RESULTS),
    )


def _positive(value: str, name: str, *, default: int) -> int:
    """A whole number from 1 to 999,999,999 (``page``, ``page_size``); empty is
    ``default``."""
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise Refused(400, _("%(name)s 必须是 1 到 999999999 之间的整数。") % {"name": name})
    return int(value)


@csrf_exempt
@_open311
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method not in ("GET", "HEAD"):
        raise Refused(400, _("只支持 GET 和 POST。"))
    _jurisdiction(request.GET)
    return respond(fmt, "service_requests", selectors.requests_list(_query(request.GET)))


@_open311
def request_detail(request: HttpRequest, *, request_id: str, fmt: str) -> HttpResponse:
    _jurisdiction(request.GET)
    found = selectors.request_by_id(request_id)
    if found is None:
        raise Refused(404, _("找不到该 service_request_id。"))
    return respond(fmt, "service_requests", [found])


@_open311
def token(request: HttpRequest, *, token: str, fmt: str) -> HttpResponse:
    _jurisdiction(request.GET)
    found = selectors.request_by_id(token)
    if found is None:
        raise Refused(404, _("找不到该 token。"))
    data = [{"service_request_id": found["service_request_id"], "token": token}]
    return respond(fmt, "service_requests", data)


def _float(data: Any, name: str, low: float, high: float) -> float | None:
    raw = _param(data, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (low <= value <= high):
        raise Refused(400, _("%(name)s 不是有效的 WGS84 坐标。") % {"name": name})
    return value


def _attributes(data: Any) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE.match(key)
        if match:
            values = [v for v in data.getlist(key) if isinstance(v, str)]
            given.setdefault(match.group(1), []).extend(values)
    return given


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        data = request.POST
        files = request.FILES.getlist("media")
    except Exception:
        raise Refused(400, _("请求体无法解析。")) from None
    api_key = services.api_key_find(_param(data, "api_key"))
    if not _param(data, "api_key"):
        raise Refused(403, _("缺少 api_key。"))
    status = 500
    try:
        services.api_key_check(api_key=api_key)
        assert api_key is not None
        response = _submit(request, data, files, api_key, fmt)
        status = response.status_code
        services.api_key_spend(api_key=api_key)
        return response
    except Refused as exc:
        status = exc.status
        raise
    except OutsideJurisdiction:
        status = 400
        raise
    except DomainError as exc:
        status = exc.status_code
        raise
    finally:
        if api_key is not None:
            services.api_key_use_log(
                api_key=api_key,
                endpoint=f"POST requests.{fmt}",
                status=status,
                ip=ratelimit.client_ip(request),
            )


def _submit(
    request: HttpRequest, data: Any, files: list[Any], api_key: Any, fmt: str
) -> HttpResponse:
    _jurisdiction(data)
    code = _param(data, "service_code")
    if not code:
        raise Refused(400, _("缺少 service_code。"))
    category = selectors.category_by_service_code(code)
    if category is None:
        raise Refused(404, _("未知的 service_code：%(code)s。") % {"code": code[:40]})
    lat = _float(data, "lat", -90, 90)
    lon = _float(data, "long", -180, 180)
    if (lat is None) != (lon is None):
        raise Refused(400, _("lat 和 long 要一起填写。"))
    address = _param(data, "address_string")
    address_id = _param(data, "address_id")
    if lat is None and not address and not address_id:
        raise Refused(400, _("需要位置：lat 和 long，或 address_string，或 address_id。"))
    case = services.request_submit(
        api_key=api_key,
        category=category,
        description=_param(data, "description"),
        lon=lon,
        lat=lat,
        address=address,
        address_id=address_id,
        attributes=_attributes(data),
        email=_param(data, "email"),
        device_id=_param(data, "device_id"),
        account_id=_param(data, "account_id"),
        first_name=_param(data, "first_name"),
        last_name=_param(data, "last_name"),
        phone=_param(data, "phone"),
        media_url=_param(data, "media_url"),
        photos=files,
    )
    notice = _("已受理，查询码 %(code)s。") % {"code": case.tracking_code}
    answer = [
        {
            "service_request_id": selectors.public_id(case),
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return respond(fmt, "service_requests", answer)
