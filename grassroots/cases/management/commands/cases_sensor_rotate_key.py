"""Give a sensor a new key (the old one stops working at once) and print it, once. Shows
what it would do unless given ``--commit``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from grassroots.cases import sensors
from grassroots.cases.models import SensorDevice


class Command(BaseCommand):
    help = _("为物联感知设备更换密钥（旧密钥立即失效）；不加 --commit 时只检查。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("device_id")
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只检查）"))

    def handle(self, *args: Any, **options: Any) -> None:
        device = SensorDevice.objects.filter(device_id=options["device_id"]).first()
        if device is None:
            raise CommandError(_("没有编号为 %(id)s 的设备。") % {"id": options["device_id"]})
        if not options["commit"]:
            self.stdout.write(
                _("试运行：将为设备 %(device)s 生成新密钥，旧密钥失效。加 --commit 执行。")
                % {"device": device}
            )
            return
        key = sensors.sensor_key_rotate(device=device)
        self.stdout.write(
            _("设备 %(device)s 的新密钥（只显示这一次）：\n%(key)s")
            % {"device": device, "key": key}
        )
