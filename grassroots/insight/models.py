"""Insight's tables: per-case facts, the rollups read by every page, KPI weights, alerts
and monthly priority topics (每月一题).

How the rollups are kept (see ``insight.summary`` and docs/development/kpi-definitions.md):

* ``CaseFact`` is one row per case: the case's contribution to every measure, a pure
  function of the ``Case`` row (``summary.fact_of``).
* When a case changes (``cases.signals.case_changed``, inside the change's transaction),
  the receiver recomputes the fact and adds (new − old) to ``MonthlyStat``, ``DailyStat``
  and ``CellStat``. ``insight_rebuild`` recomputes all of them from the case table.
* Pages never read the case table to count: they read one level of ``MonthlyStat`` with
  one indexed query (``level`` + ``unit_path`` prefix, or ``unit``/``parent``, + month).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.cases.models import Case, Category
from grassroots.core.models import TimeStampedModel
from grassroots.org.models import Department, Unit

from .choices import LIVE_ALERT_STATUSES, AlertKind, AlertStatus, Severity, TopicStatus

# The counters every fact contributes and every MonthlyStat row sums (all integers;
# ``handling_hours`` is the one float sum). ``summary`` and ``kpi`` iterate over these.
COUNT_MEASURES: tuple[str, ...] = (
    "received",  # every case received (merged, not accepted and withdrawn included)
    "excluded",  # merged + not accepted + withdrawn (counted as volume, not in rates)
    "merged",
    "not_accepted",
    "withdrawn",
    "dispatched",  # valid cases dispatched at least once (required a response)
    "responded_on_time",  # … signed for (responded_at) by response_due
    "returned",  # … returned by a department at least once
    "handled",  # valid cases currently handled or beyond, with a handling time
    "closed",  # valid cases currently closed or rated
    "closed_on_time",  # … closed by resolve_due
    "ever_closed",  # valid cases closed at least once (closed_at set)
    "reopened",  # … reopened at least once
    "rated",  # valid cases with a rating (valid callbacks)
    "satisfied",  # rating 满意
    "basic",  # rating 基本满意
    "dissatisfied",  # rating 不满意
    "solved",  # rated 满意/基本满意 and never reopened (solved the first time)
)
SUM_MEASURES: tuple[str, ...] = ("handling_hours",)
MEASURES: tuple[str, ...] = COUNT_MEASURES + SUM_MEASURES


def _counter(label: str) -> models.IntegerField:
    return models.IntegerField(label, default=0)


class CaseFact(models.Model):
    """One case's contribution to the rollups (its dimensions and 0/1 flags)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    received_on = models.DateField(_("received on"))  # local date (Asia/Shanghai)
    month = models.DateField(_("month"))  # first day of the month received
    channel = models.CharField(max_length=10)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)  # path of ``area``
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    h3_cell = models.CharField(max_length=16, blank=True)  # res 8, "" without a point
    received = models.SmallIntegerField(default=1)
    excluded = models.SmallIntegerField(default=0)
    merged = models.SmallIntegerField(default=0)
    not_accepted = models.SmallIntegerField(default=0)
    withdrawn = models.SmallIntegerField(default=0)
    dispatched = models.SmallIntegerField(default=0)
    responded_on_time = models.SmallIntegerField(default=0)
    returned = models.SmallIntegerField(default=0)
    handled = models.SmallIntegerField(default=0)
    closed = models.SmallIntegerField(default=0)
    closed_on_time = models.SmallIntegerField(default=0)
    ever_closed = models.SmallIntegerField(default=0)
    reopened = models.SmallIntegerField(default=0)
    rated = models.SmallIntegerField(default=0)
    satisfied = models.SmallIntegerField(default=0)
    basic = models.SmallIntegerField(default=0)
    dissatisfied = models.SmallIntegerField(default=0)
    solved = models.SmallIntegerField(default=0)
    handling_hours = models.FloatField(default=0)

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class MonthlyStat(models.Model):
    """Counts per (month, unit, lead department, category, channel).

    A case adds to one row per unit on the path of its area (grid, community, street,
    district …), each row carrying the unit's ``level``, ``unit_path`` and ``parent``, so a
    page reads one level under a scope with one indexed query and never sums levels.
    ``department`` is the lead department (empty before dispatch): the department ranking
    within a unit is ``filter(unit=U)`` grouped by department.
    """

    month = models.DateField(_("month"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=16)
    unit_path = models.CharField(max_length=255)
    parent = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    received = _counter(_("received"))
    excluded = _counter(_("excluded"))
    merged = _counter(_("merged"))
    not_accepted = _counter(_("not accepted"))
    withdrawn = _counter(_("withdrawn"))
    dispatched = _counter(_("dispatched"))
    responded_on_time = _counter(_("responded on time"))
    returned = _counter(_("returned"))
    handled = _counter(_("handled"))
    closed = _counter(_("closed"))
    closed_on_time = _counter(_("closed on time"))
    ever_closed = _counter(_("ever closed"))
    reopened = _counter(_("reopened"))
    rated = _counter(_("rated"))
    satisfied = _counter(_("satisfied"))
    basic = _counter(_("basically satisfied"))
    dissatisfied = _counter(_("dissatisfied"))
    solved = _counter(_("solved"))
    handling_hours = models.FloatField(_("handling hours (sum)"), default=0)

    class Meta:
        verbose_name = _("monthly statistic")
        verbose_name_plural = _("monthly statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "department", "category", "channel"],
                condition=Q(department__isnull=False),
                name="insight_monthly_unique",
            ),
            models.UniqueConstraint(
                fields=["month", "unit", "category", "channel"],
                condition=Q(department__isnull=True),
                name="insight_monthly_unique_no_dept",
            ),
        ]
        indexes = [
            # one unit (the scope's own totals, the department ranking within it)
            models.Index(fields=["unit", "month"], name="insight_monthly_unit"),
            # the children of a unit (drill-down)
            models.Index(fields=["parent", "month"], name="insight_monthly_parent"),
            # every unit of a level under a scope: level = L and unit_path LIKE 'P%'
            models.Index(
                fields=["level", "unit_path", "month"],
                name="insight_monthly_level_path",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "date_ops"],
            ),
            # a department's own rows (department handlers)
            models.Index(fields=["department", "month"], name="insight_monthly_department"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.department_id} {self.category_id}"


class DailyStat(models.Model):
    """Cases received per (day, area, category), ``area`` being the case's deepest unit (the
    grid when located). Trends and the early-warning scans read it."""

    day = models.DateField(_("day"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    received = _counter(_("received"))

    class Meta:
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "category"], name="insight_daily_unique")
        ]
        indexes = [
            models.Index(fields=["day", "category"], name="insight_daily_day"),
            models.Index(
                fields=["unit_path", "day"],
                name="insight_daily_path",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.category_id}: {self.received}"


class CellStat(models.Model):
    """Cases received per (month, H3 cell at resolution 8, area, category): the map.
    ``unit``/``unit_path`` keep the data scope exact where a cell straddles a boundary."""

    month = models.DateField(_("month"))
    h3_cell = models.CharField(max_length=16)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    received = _counter(_("received"))

    class Meta:
        verbose_name = _("cell statistic")
        verbose_name_plural = _("cell statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "h3_cell", "unit", "category"], name="insight_cell_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["unit_path", "month"],
                name="insight_cell_path",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(fields=["month", "h3_cell"], name="insight_cell_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.h3_cell} {self.category_id}: {self.received}"


class KpiWeights(models.Model):
    """The composite score's weights. Never edited in place: every change is a new row
    (who, when, why), the newest row is in force, the older ones are the history."""

    response = models.FloatField(_("响应率权重"), default=0.30)
    resolution = models.FloatField(_("解决率权重"), default=0.35)
    satisfaction = models.FloatField(_("满意率权重"), default=0.35)
    on_time = models.FloatField(_("按期办结率权重"), default=0)
    handling = models.FloatField(_("平均处置时长权重"), default=0)
    return_rate = models.FloatField(_("退回率权重"), default=0)
    reopen = models.FloatField(_("重启率权重"), default=0)
    handling_target_hours = models.FloatField(_("处置时长目标（小时）"), default=72)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("KPI weights")
        verbose_name_plural = _("KPI weights")
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response__gte=0)
                & Q(resolution__gte=0)
                & Q(satisfaction__gte=0)
                & Q(on_time__gte=0)
                & Q(handling__gte=0)
                & Q(return_rate__gte=0)
                & Q(reopen__gte=0),
                name="insight_weights_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(handling_target_hours__gt=0), name="insight_weights_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"weights {self.changed_at:%Y-%m-%d %H:%M}" if self.changed_at else "weights"


class Topic(TimeStampedModel):
    """每月一题: a high-frequency problem chosen for a lead department to fix as a class."""

    month = models.DateField(_("month"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Units and departments are never deleted in production (cases protect them); when a
    # demo is wiped, its topics and alerts go with its units.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lead_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TopicStatus.choices, default=TopicStatus.PROPOSED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("monthly topic")
        verbose_name_plural = _("monthly topics")
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["month", "status"], name="insight_topic_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.title}"


class Alert(models.Model):
    """An early warning raised by a scan (``insight.scan``). The explanation is stored as
    data (``message_key`` + ``explanation_data``) and rendered in the viewer's language."""

    kind = models.CharField(_("kind"), max_length=10, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    h3_cell = models.CharField(max_length=16, blank=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    observed = models.FloatField(_("observed"))
    expected = models.FloatField(_("expected"))
    message_key = models.CharField(max_length=40, blank=True)
    explanation_data = models.JSONField(default=dict, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    dedup_key = models.CharField(max_length=200)
    status = models.CharField(
        _("status"), max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=[s.value for s in LIVE_ALERT_STATUSES]),
                name="insight_alert_one_live_per_key",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")),
                name="insight_alert_window_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "last_seen"], name="insight_alert_status"),
            models.Index(fields=["unit", "status"], name="insight_alert_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedup_key} ({self.status})"
