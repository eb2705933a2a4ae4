"""Load the category taxonomy shipped with the platform (``cases/data/categories.csv``).

Creates missing categories; with ``--update`` also resets existing ones to the shipped
values (administrators' edits to them are lost). Shows what it would do unless given
``--commit``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.cases.models import Category
from grassroots.cases.reference import load_categories


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = _("载入平台自带的案件类别；不加 --commit 时只显示将要做的修改。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update", action="store_true", help=_("同时把已有类别恢复为自带的数据")
        )
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只检查）"))

    def handle(self, *args: Any, **options: Any) -> None:
        created = updated = 0
        try:
            with transaction.atomic():
                created, updated = load_categories(Category, update=options["update"])
                if not options["commit"]:
                    raise _Rollback
        except _Rollback:
            self.stdout.write(
                _("试运行：将新增 %(c)d 个类别，更新 %(u)d 个。加 --commit 写入。")
                % {"c": created, "u": updated}
            )
            return
        self.stdout.write(_("已新增 %(c)d 个类别，更新 %(u)d 个。") % {"c": created, "u": updated})
