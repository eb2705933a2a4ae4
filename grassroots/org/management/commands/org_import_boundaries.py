"""Import or replace administrative boundaries from a GeoJSON FeatureCollection.

Without ``--commit`` it only checks the file and prints what it would do (a dry run).
Every problem is printed, one per line, and the command fails when there is any.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext as _
from tqdm import tqdm

from grassroots.org.boundaries import ImportReport
from grassroots.org.services import boundaries_import

PROGRESS_FROM = 500  # features; smaller files need no bar
SHOW_CHANGES = 100  # lines of planned changes at the default verbosity


class _Bar:
    """Adapts the service's (stage, done, total) progress calls to tqdm bars."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bar: tqdm | None = None
        self.stage = ""
        self.enabled = True

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.stage == "" and total < PROGRESS_FROM:
            self.enabled = False  # the first call tells the size of the file
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.bar = tqdm(total=total, desc=stage, file=self.stream, leave=False)
            self.stage = stage
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = _("从 GeoJSON 导入或替换行政区划边界；不加 --commit 时只检查并显示将要做的修改。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("GeoJSON 文件路径，“-” 表示标准输入"))
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只检查）"))
        parser.add_argument(
            "--replace-subtree",
            action="store_true",
            help=_("文件未列出的下级单元停用其现行边界"),
        )
        parser.add_argument("--valid-from", help=_("新边界的生效时间（ISO 8601），默认现在"))
        parser.add_argument("--source", help=_("记录在边界版本上的来源，默认文件名"))

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("无法读取文件 %(file)s：%(error)s") % {"file": name, "error": exc}
            ) from exc
        valid_from = None
        if options["valid_from"]:
            valid_from = parse_datetime(options["valid_from"])
            if valid_from is None:
                raise CommandError(
                    _("--valid-from 不是 ISO 8601 时间：%(value)s")
                    % {"value": options["valid_from"]}
                )
            if is_naive(valid_from):
                valid_from = make_aware(valid_from)
        bar = _Bar(self.stderr._out)
        try:
            report = boundaries_import(
                data=data,
                source=options["source"] or Path(name).name,
                actor=None,
                commit=options["commit"],
                valid_from=valid_from,
                replace_subtree=options["replace_subtree"],
                progress=bar,
            )
        finally:
            bar.close()
        self._print(report, options["verbosity"])

    def _print(self, report: ImportReport, verbosity: int) -> None:
        if not report.ok:
            for problem in report.problems:
                self.stdout.write(str(problem))
            raise CommandError(
                _("%(source)s：发现 %(n)d 个问题，未写入任何数据。")
                % {"source": report.source, "n": len(report.problems)}
            )
        changes = report.changes if verbosity >= 2 else report.changes[:SHOW_CHANGES]
        if verbosity >= 1:
            for change in changes:
                self.stdout.write(str(change))
            if len(report.changes) > len(changes):
                self.stdout.write(
                    _("……另有 %(n)d 项修改（-v 2 显示全部）")
                    % {"n": len(report.changes) - len(changes)}
                )
        counts = {**report.counts(), "source": report.source}
        summary = (
            _(
                "%(source)s：%(features)d 个要素，新建 %(created)d，更新 %(updated)d，"
                "未变 %(unchanged)d，停用 %(retired)d，新边界版本 %(versions)d。"
            )
            % counts
        )
        if report.written:
            self.stdout.write(self.style.SUCCESS(summary))
        else:
            self.stdout.write(summary)
            self.stdout.write(_("仅检查（dry run），未写入；加 --commit 写入。"))
