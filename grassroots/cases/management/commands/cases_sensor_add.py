"""Register an IoT sensor and print its key, once: the platform keeps only a keyed hash of
it, so a lost key can only be replaced (``cases_sensor_rotate_key``). Shows what it would
register unless given ``--commit``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.cases import sensors
from grassroots.cases.models import Category, SensorDevice
from grassroots.core.errors import DomainError


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = _("登记物联感知设备并显示其密钥（只显示这一次）；不加 --commit 时只检查。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("device_id", help=_("设备编号，例如 WL-0001"))
        parser.add_argument("--name", required=True, help=_("设备名称"))
        parser.add_argument("--kind", required=True, choices=SensorDevice.Kind.values)
        parser.add_argument(
            "--category", required=True, help=_("超阈值时立案的类别，类型:编码，例如 event:0404")
        )
        parser.add_argument("--lon", type=float, required=True, help=_("经度（WGS84）"))
        parser.add_argument("--lat", type=float, required=True, help=_("纬度（WGS84）"))
        parser.add_argument("--threshold", type=float, required=True, help=_("阈值"))
        parser.add_argument("--comparison", choices=SensorDevice.Comparison.values, default="above")
        parser.add_argument("--unit", default="", help=_("计量单位，例如 cm"))
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只检查）"))

    def handle(self, *args: Any, **options: Any) -> None:
        kind, _sep, code = options["category"].partition(":")
        category = Category.objects.filter(kind=kind, code=code).order_by("edition").first()
        if category is None:
            raise CommandError(_("未知的类别：%(c)s") % {"c": options["category"]})
        try:
            with transaction.atomic():
                device, key = sensors.sensor_register(
                    device_id=options["device_id"],
                    name=options["name"],
                    kind=options["kind"],
                    category=category,
                    lon=options["lon"],
                    lat=options["lat"],
                    threshold=options["threshold"],
                    comparison=options["comparison"],
                    unit=options["unit"],
                )
                if not options["commit"]:
                    raise _Rollback
        except DomainError as error:
            raise CommandError(f"{error.field or ''}: {error.message}".lstrip(": ")) from error
        except _Rollback:
            self.stdout.write(
                _(
                    "试运行：可以登记设备 %(id)s（%(name)s，%(category)s）。"
                    "加 --commit 登记并生成密钥。"
                )
                % {"id": options["device_id"], "name": options["name"], "category": category}
            )
            return
        self.stdout.write(_("已登记设备 %(device)s。") % {"device": device})
        self.stdout.write(_("设备密钥（只显示这一次，请立即写入设备）：\n%(key)s") % {"key": key})
        self.stdout.write(
            _("设备请求头：Authorization: Device %(id)s:<密钥>") % {"id": device.device_id}
        )
