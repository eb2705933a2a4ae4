"""Writes of the Open311 interface: issuing, limiting and revoking API keys, logging their
use, and taking in a GeoReport v2 service request through ``cases.services.case_submit``
(the same intake as the web form)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from grassroots.audit.services import audit_record
from grassroots.cases import services as case_services
from grassroots.cases.choices import Channel
from grassroots.cases.models import Case, Category
from grassroots.core import ratelimit
from grassroots.core.crypto import blind_index, encrypt
from grassroots.core.errors import DomainError, PermissionDeniedError, ValidationFailed

from .models import ApiKey, ApiKeyUse

KEY_PREFIX = "o311_"
PREFIX_LENGTH = 10
MAX_DESCRIPTION = 4000
DEMO_APP = "Demo Open311 client"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str  # shown once, never stored


def _index(key: str) -> str:
    return blind_index(key, purpose="open311")


def api_key_issue(
    *,
    app_name: str,
    contact: str = "",
    rate_limit_per_hour: int = 100,
    created_by: Any = None,
    key: str | None = None,
    audit: bool = True,
) -> IssuedKey:
    """Issue a key for ``app_name``; the plain key is returned once and never stored."""
    app_name = (app_name or "").strip()
    if not app_name:
        raise ValidationFailed(_("请填写应用名称。"), field="app_name")
    if rate_limit_per_hour <= 0:
        raise ValidationFailed(_("每小时限额必须大于 0。"), field="rate_limit_per_hour")
    key = key or KEY_PREFIX + secrets.token_urlsafe(24)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            app_name=app_name[:100],
            contact=contact.strip()[:200],
            key_index=_index(key),
            prefix=key[:PREFIX_LENGTH],
            rate_limit_per_hour=rate_limit_per_hour,
            created_by=created_by if getattr(created_by, "pk", None) else None,
        )
        if audit:
            audit_record(
                actor=created_by,
                action="open311.key_issue",
                target_type="open311.apikey",
                target_id=api_key.pk,
                detail={"app": api_key.app_name, "limit": rate_limit_per_hour},
            )
    return IssuedKey(api_key=api_key, key=key)


def api_key_set_limit(*, api_key: ApiKey, rate_limit_per_hour: int, actor: Any = None) -> ApiKey:
    if rate_limit_per_hour <= 0:
        raise ValidationFailed(_("每小时限额必须大于 0。"), field="rate_limit_per_hour")
    with transaction.atomic():
        api_key.rate_limit_per_hour = rate_limit_per_hour
        api_key.save(update_fields=["rate_limit_per_hour", "updated_at"])
        audit_record(
            actor=actor,
            action="open311.key_limit",
            target_type="open311.apikey",
            target_id=api_key.pk,
            detail={"limit": rate_limit_per_hour},
        )
    return api_key


def api_key_revoke(
    *, api_key: ApiKey, actor: Any = None, now: datetime | None = None, audit: bool = True
) -> ApiKey:
    if api_key.revoked_at is not None:
        return api_key
    with transaction.atomic():
        api_key.is_active = False
        api_key.revoked_at = now or timezone.now()
        api_key.save(update_fields=["is_active", "revoked_at", "updated_at"])
        if audit:
            audit_record(
                actor=actor,
                action="open311.key_revoke",
                target_type="open311.apikey",
                target_id=api_key.pk,
            )
    return api_key


def demo_key_for(*, seed: int) -> str:
    """The demo's key, derived from the seed (like the demo passwords)."""
    digest = hmac.new(b"grassroots-demo-open311", str(seed).encode(), hashlib.sha256).hexdigest()
    return f"{KEY_PREFIX}demo{digest[:28]}"


def demo_key_ensure(*, seed: int) -> str:
    """Create the demo app's key when missing (idempotent); returns the plain key. The
    demo build is audited as a whole (its marker), so these steps write no audit events."""
    key = demo_key_for(seed=seed)
    with transaction.atomic():
        # A demo rebuilt with another seed: the old seed's key stops working.
        for old in ApiKey.objects.filter(app_name=DEMO_APP, is_active=True).exclude(
            key_index=_index(key)
        ):
            api_key_revoke(api_key=old, audit=False)
        if not ApiKey.objects.filter(key_index=_index(key)).exists():
            api_key_issue(app_name=DEMO_APP, rate_limit_per_hour=1000, key=key, audit=False)
    return key


def api_key_find(key: str) -> ApiKey | None:
    """The key record for a presented key (active or not), or None."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    return ApiKey.objects.filter(key_index=_index(key)).first()


def api_key_check(*, api_key: ApiKey | None) -> ApiKey:
    """403 unless the key exists and is active; 429 when its hourly allowance is spent."""
    if api_key is None or not api_key.is_active:
        raise PermissionDeniedError(_("api_key 无效或已被吊销（invalid or revoked api_key）。"))
    if ratelimit.limited(_rate_key(api_key), limit=api_key.rate_limit_per_hour):
        raise RateLimited(_("该 api_key 已达到每小时请求上限（rate limit exceeded），请稍后再试。"))
    return api_key


def _rate_key(api_key: ApiKey) -> str:
    return f"open311:key:{api_key.pk}"


def api_key_use_log(*, api_key: ApiKey, endpoint: str, status: int, ip: str | None) -> ApiKeyUse:
    return ApiKeyUse.objects.create(
        key=api_key, endpoint=endpoint[:100], status=status, ip=ip if ip != "unknown" else None
    )


def api_key_spend(*, api_key: ApiKey) -> None:
    ratelimit.hit(_rate_key(api_key))


# --- attributes ---------------------------------------------------------------------------


def attribute_values(field: dict[str, Any]) -> list[dict[str, str]]:
    """The allowed values of a list attribute as ``{"key", "name"}``."""
    values = []
    for value in field.get("values") or []:
        if isinstance(value, dict):
            key = str(value.get("key", value.get("code", "")))
            values.append({"key": key, "name": str(value.get("name", key))})
        else:
            values.append({"key": str(value), "name": str(value)})
    return values


def _datatype(field: dict[str, Any]) -> str:
    datatype = str(field.get("datatype") or "string")
    return datatype if datatype in DATATYPES else "string"


def clean_attributes(
    category: Category, given: dict[str, list[str]]
) -> dict[str, str | float | list[str]]:
    """Check ``attribute[CODE]`` answers against the category's definition."""
    fields = {str(f.get("code")): f for f in category.extra_fields or [] if f.get("code")}
    for code in given:
        if code not in fields:
            raise ValidationFailed(
                _("未知的属性 attribute[%(code)s]。") % {"code": code}, field="attribute"
            )
    cleaned: dict[str, str | float | list[str]] = {}
    for code, field in fields.items():
        raw = [v.strip() for v in given.get(code, []) if v.strip()]
        datatype = _datatype(field)
        if not raw:
            if field.get("required"):
                raise ValidationFailed(
                    _("缺少必填属性 attribute[%(code)s]。") % {"code": code}, field="attribute"
                )
            continue
        bad = ValidationFailed(
            _("属性 attribute[%(code)s] 的值无效（应为 %(type)s）。")
            % {"code": code, "type": datatype},
            field="attribute",
        )
        keys = {v["key"] for v in attribute_values(field)}
        if datatype == "multivaluelist":
            if any(v not in keys for v in raw):
                raise bad
            cleaned[code] = raw
            continue
        if len(raw) > 1:
            raise bad
        value = raw[0]
        if datatype == "number":
            try:
                number = float(value)
            except ValueError:
                raise bad from None
            if number != number or number in (float("inf"), float("-inf")):
                raise bad
            cleaned[code] = number
        elif datatype == "datetime":
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is None:
                raise bad
            cleaned[code] = value
        elif datatype == "singlevaluelist":
            if value not in keys:
                raise bad
            cleaned[code] = value
        else:
            if len(value) > (4000 if datatype == "text" else 255):
                raise bad
            cleaned[code] = value
    return cleaned


# --- a service request --------------------------------------------------------------------


def request_submit(
    *,
    api_key: ApiKey,
    category: Category,
    description: str,
    lon: float | None,
    lat: float | None,
    address: str,
    address_id: str = "",
    attributes: dict[str, list[str]],
    email: str = "",
    device_id: str = "",
    account_id: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    photos: list[Any] | None = None,
) -> Case:
    """Take in one Open311 service request through the same intake as the web form."""
    from grassroots.cases import photos as case_photos

    if len(description or "") > MAX_DESCRIPTION:
        raise ValidationFailed(
            _("描述太长了（最多 %(n)d 个字）。") % {"n": MAX_DESCRIPTION}, field="description"
        )
    answers = clean_attributes(category, attributes)
    processed = case_photos.process(photos or [])
    extra: dict[str, Any] = {"open311": {"app": api_key.app_name, "api_key_id": api_key.pk}}
    if answers:
        extra["attributes"] = answers
    for name, value in (
        ("media_url", media_url),
        ("device_id", device_id),
        ("account_id", account_id),
        ("address_id", address_id),
    ):
        if value:
            extra["open311"][name] = value[:500]
    if email:
        extra["open311"]["email_encrypted"] = encrypt(email.strip()[:254])
    name = f"{first_name.strip()} {last_name.strip()}".strip()
    with transaction.atomic():
        case = case_services.case_submit(
            category=category,
            description=description,
            channel=Channel.OPEN311,
            lon=lon,
            lat=lat,
            address=address or (address_id and f"address_id:{address_id}") or "",
            reporter_name=name,
            reporter_phone=phone,
            extra=extra,
        )
        if processed:
            case_photos.attach(case=case, processed=processed, kind="report")
    return case
