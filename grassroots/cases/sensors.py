"""IoT sensors (物联感知): device registration, authentication and reading intake.

How a device proves who it is
-----------------------------
The platform keeps only ``key_index = blind_index(key, purpose="sensor")`` of a device's
key (a keyed HMAC-SHA256 under a server secret), never the key itself. An HMAC request
signature would need the key in recoverable form on the server; instead the device sends
its key with every request, over TLS, as ``Authorization: Device <device_id>:<key>``, and
the platform recomputes the keyed hash and compares it in constant time. A stolen
database without the server secret yields no usable key. Unknown devices and wrong keys
get the same answer, after the same amount of work.

Replays and retries
-------------------
Every reading carries a ``nonce`` (the device's message id), unique per device by a
database constraint: a replayed or retried message is refused (409) and writes nothing.
``measured_at`` must be at most ``FUTURE_SKEW`` ahead of the server clock and at most
``MAX_AGE`` old, so an old capture cannot be fed in again under a new nonce forever.

One excursion, one case
-----------------------
A reading past the threshold opens a case through ``services.case_submit`` (channel
``sensor``, which registers it at once) unless the device already has an open one; further
readings past the threshold attach to that case. Once that case is no longer open (closed,
rated, withdrawn…), the next excursion opens a new case.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from grassroots.core.crypto import blind_index
from grassroots.core.errors import Conflict, PermissionDeniedError, ValidationFailed

from . import services
from .choices import OPEN_STATUSES, CaseStatus, Channel
from .models import Case, Category, SensorDevice, SensorReading

KEY_PURPOSE = "sensor"
FUTURE_SKEW = timedelta(minutes=10)
MAX_AGE = timedelta(hours=24)
MAX_BATCH = 100
MAX_NONCE = 64
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
# Compared against when the device is unknown, so both failures cost the same.
_DUMMY_INDEX = "0" * 64


@dataclass(frozen=True)
class ReadingIn:
    """One reading as the device sent it, already parsed."""

    value: float
    measured_at: datetime
    nonce: str


def key_index(key: str) -> str:
    return blind_index(key, purpose=KEY_PURPOSE)


def device_authenticate(*, device_id: str, key: str) -> SensorDevice | None:
    """The device if ``key`` is its key, else ``None`` (unknown device and wrong key are
    not told apart). Inactive devices are returned: the caller refuses them (403) only
    after they proved their key."""
    device = None
    if DEVICE_ID_RE.match(device_id or ""):
        device = SensorDevice.objects.select_related("category").filter(device_id=device_id).first()
    expected = device.key_index if device is not None else _DUMMY_INDEX
    presented = key_index(key) if key else ""
    matches = hmac.compare_digest(expected.encode(), presented.encode())
    if device is None or not matches or not presented or not expected:
        return None
    return device


def is_over_threshold(device: SensorDevice, value: float) -> bool:
    if device.comparison == SensorDevice.Comparison.BELOW:
        return value < device.threshold
    return value > device.threshold


def parse_reading(data: Any, *, prefix: str = "") -> ReadingIn:
    """Check one reading from a device's JSON; ``ValidationFailed`` names the field."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("每条读数必须是一个 JSON 对象。"), field=prefix or "body")
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(_("value 必须是一个有限的数值。"), field=f"{prefix}value")
    raw_time = data.get("measured_at")
    measured_at = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    if measured_at is None:
        raise ValidationFailed(
            _("measured_at 必须是 ISO 8601 时间，例如 2026-05-01T08:30:00+08:00。"),
            field=f"{prefix}measured_at",
        )
    if timezone.is_naive(measured_at):
        raise ValidationFailed(
            _("measured_at 必须带时区，例如 +08:00 或 Z。"), field=f"{prefix}measured_at"
        )
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not nonce.strip() or len(nonce) > MAX_NONCE:
        raise ValidationFailed(
            _("nonce 必须是 1 到 %(n)d 个字符的字符串，每条消息不同。") % {"n": MAX_NONCE},
            field=f"{prefix}nonce",
        )
    return ReadingIn(value=float(value), measured_at=measured_at, nonce=nonce.strip())


def parse_body(data: Any) -> list[ReadingIn]:
    """A single reading ``{"value", "measured_at", "nonce"}`` or a batch
    ``{"readings": [...]}`` of at most ``MAX_BATCH``."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("请求体必须是一个 JSON 对象。"), field="body")
    if "readings" not in data:
        return [parse_reading(data)]
    items = data["readings"]
    if not isinstance(items, list) or not items:
        raise ValidationFailed(_("readings 必须是非空的数组。"), field="readings")
    if len(items) > MAX_BATCH:
        raise ValidationFailed(
            _("一次最多提交 %(n)d 条读数。") % {"n": MAX_BATCH}, field="readings"
        )
    readings = [parse_reading(item, prefix=f"readings[{i}].") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, reading in enumerate(readings):
        if reading.nonce in seen:
            raise ValidationFailed(_("同一批读数中 nonce 重复。"), field=f"readings[{i}].nonce")
        seen.add(reading.nonce)
    return readings


def _case_description(device: SensorDevice, value: float) -> str:
    # Stored on the case: always in the platform's language, whatever the device asked for.
    with translation.override(settings.LANGUAGE_CODE):
        if device.comparison == SensorDevice.Comparison.BELOW:
            text = _(
                "物联感知设备“%(name)s”（%(device)s）读数 %(value)g%(unit)s，"
                "低于阈值 %(threshold)g%(unit)s。"
            )
        else:
            text = _(
                "物联感知设备“%(name)s”（%(device)s）读数 %(value)g%(unit)s，"
                "高于阈值 %(threshold)g%(unit)s。"
            )
        return text % {
            "name": device.name,
            "device": device.device_id,
            "value": value,
            "threshold": device.threshold,
            "unit": device.unit,
        }


def _still_open(case: Case | None) -> Case | None:
    """The open case an excursion should attach to: the device's case, or the case it was
    merged into, while that is still open."""
    for _hop in range(5):
        if case is None:
            return None
        if case.status in OPEN_STATUSES:
            return case
        if case.status != CaseStatus.MERGED or case.merged_into_id is None:
            return None
        case = case.merged_into
    return None


@transaction.atomic
def reading_ingest(
    *,
    device: SensorDevice,
    value: float,
    measured_at: datetime,
    nonce: str,
    now: datetime | None = None,
) -> SensorReading:
    """Store one reading of ``device``; past the threshold, open a case (once per
    excursion) or attach the reading to the open one.

    Refuses: an inactive device (``PermissionDeniedError``), a reading too far in the
    future or too old (``ValidationFailed``), a nonce already seen (``Conflict``)."""
    now = now or timezone.now()
    if not device.is_active:
        raise PermissionDeniedError(_("该设备已停用。"))
    if not math.isfinite(value):
        raise ValidationFailed(_("value 必须是一个有限的数值。"), field="value")
    if measured_at > now + FUTURE_SKEW:
        raise ValidationFailed(
            _("measured_at 比服务器时间晚超过 10 分钟，请校准设备时钟。"), field="measured_at"
        )
    if measured_at < now - MAX_AGE:
        raise ValidationFailed(_("measured_at 早于 24 小时前，不再受理。"), field="measured_at")
    # Lock the device: concurrent readings of one device take turns, so an excursion
    # opens exactly one case.
    device = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the open_case join
        SensorDevice.objects.select_for_update(of=("self",))
        .select_related("category", "open_case")
        .get(pk=device.pk)
    )
    if SensorReading.objects.filter(device=device, nonce=nonce).exists():
        raise Conflict(
            _("这条读数（nonce %(nonce)s）已经收到过，未重复记录。") % {"nonce": nonce},
            field="nonce",
        )
    over = is_over_threshold(device, value)
    case = None
    update_fields = ["last_reading_at", "updated_at"]
    if over:
        case = _still_open(device.open_case)
        if case is None:
            case = services.case_submit(
                category=device.category,
                channel=Channel.SENSOR,
                lon=device.lon,
                lat=device.lat,
                description=_case_description(device, value),
                extra={"sensor": device.device_id},
                now=now,
            )
        if device.open_case_id != case.pk:
            device.open_case = case
            update_fields.append("open_case")
    try:
        with transaction.atomic():
            reading = SensorReading.objects.create(
                device=device,
                value=value,
                measured_at=measured_at,
                nonce=nonce,
                over_threshold=over,
                case=case,
            )
    except IntegrityError as exc:  # the same nonce committed by a racing request
        raise Conflict(
            _("这条读数（nonce %(nonce)s）已经收到过，未重复记录。") % {"nonce": nonce},
            field="nonce",
        ) from exc
    if device.last_reading_at is None or measured_at > device.last_reading_at:
        device.last_reading_at = measured_at
    device.save(update_fields=update_fields)
    return reading


@transaction.atomic
def readings_ingest(
    *, device: SensorDevice, readings: list[ReadingIn], now: datetime | None = None
) -> list[SensorReading]:
    """A batch, all or nothing: one refused reading refuses the batch (its field named
    ``readings[i].…`` when there is more than one)."""
    stored = []
    for i, item in enumerate(readings):
        try:
            stored.append(
                reading_ingest(
                    device=device,
                    value=item.value,
                    measured_at=item.measured_at,
                    nonce=item.nonce,
                    now=now,
                )
            )
        except (ValidationFailed, Conflict) as exc:
            if len(readings) > 1 and exc.field:
                exc.field = f"readings[{i}].{exc.field}"
            raise
    return stored


def _clean_device_fields(
    *, device_id: str, name: str, kind: str, lon: float, lat: float, threshold: float
) -> None:
    if not DEVICE_ID_RE.match(device_id or ""):
        raise ValidationFailed(
            _("设备编号只能包含字母、数字和 . _ : -，最多 64 个字符。"), field="device_id"
        )
    if not name.strip():
        raise ValidationFailed(_("请填写设备名称。"), field="name")
    if kind not in SensorDevice.Kind.values:
        raise ValidationFailed(_("未知的设备类型。"), field="kind")
    if not math.isfinite(threshold):
        raise ValidationFailed(_("阈值必须是一个有限的数值。"), field="threshold")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(_("经纬度超出范围。"), field="location")


@transaction.atomic
def sensor_register(
    *,
    device_id: str,
    name: str,
    kind: str,
    category: Category,
    lon: float,
    lat: float,
    threshold: float,
    comparison: str = SensorDevice.Comparison.ABOVE,
    unit: str = "",
) -> tuple[SensorDevice, str]:
    """Register a device; returns it and its key. The key is shown this once: only its
    keyed hash is stored. The device must stand inside the jurisdiction (a case it opens
    has to land in a grid)."""
    from grassroots.org.locate import locate_point

    _clean_device_fields(
        device_id=device_id, name=name, kind=kind, lon=lon, lat=lat, threshold=threshold
    )
    if comparison not in SensorDevice.Comparison.values:
        raise ValidationFailed(_("比较方式只能是 above 或 below。"), field="comparison")
    if not category.is_active:
        raise ValidationFailed(_("该类别已停用，请选择其他类别。"), field="category")
    if SensorDevice.objects.filter(device_id=device_id).exists():
        raise Conflict(_("设备编号 %(id)s 已经登记过。") % {"id": device_id}, field="device_id")
    locate_point(lon, lat)  # OutsideJurisdiction (422) when the point is in no grid
    key = secrets.token_urlsafe(32)
    device = SensorDevice.objects.create(
        device_id=device_id,
        name=name.strip(),
        kind=kind,
        key_index=key_index(key),
        category=category,
        lon=lon,
        lat=lat,
        threshold=threshold,
        comparison=comparison,
        unit=unit.strip(),
    )
    return device, key


@transaction.atomic
def sensor_key_rotate(*, device: SensorDevice) -> str:
    """Give ``device`` a new key (the old one stops working at once); returns it once."""
    key = secrets.token_urlsafe(32)
    SensorDevice.objects.filter(pk=device.pk).update(
        key_index=key_index(key), updated_at=timezone.now()
    )
    return key
