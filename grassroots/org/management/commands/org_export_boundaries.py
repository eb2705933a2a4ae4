"""Write the boundaries of the tree (current, or valid at a moment) as GeoJSON, in the
format ``org_import_boundaries`` reads."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext as _

from grassroots.org.boundaries import boundaries_export
from grassroots.org.models import Unit


class Command(BaseCommand):
    help = _("把行政区划边界导出为 GeoJSON（可再由 org_import_boundaries 导入）。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--root", help=_("只导出此编码的单元及其下级"))
        parser.add_argument("--at", help=_("导出此时刻（ISO 8601）有效的边界，默认现行边界"))
        parser.add_argument("--indent", type=int, default=None, help=_("JSON 缩进"))

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["root"]:
            root = Unit.objects.filter(code=options["root"]).first()
            if root is None:
                raise CommandError(_("没有编码为 %(code)s 的单元。") % {"code": options["root"]})
        at = None
        if options["at"]:
            at = parse_datetime(options["at"])
            if at is None:
                raise CommandError(
                    _("--at 不是 ISO 8601 时间：%(value)s") % {"value": options["at"]}
                )
            if is_naive(at):
                at = make_aware(at)
        collection = boundaries_export(root=root, at=at)
        self.stdout.write(json.dumps(collection, ensure_ascii=False, indent=options["indent"]))
