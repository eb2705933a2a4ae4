"""The closed loop: categories, duty rules, cases, their timeline, photos and the calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from grassroots.core.models import TimeStampedModel
from grassroots.org.models import Department, Unit

from .choices import (
    AssignmentRole,
    CaseStatus,
    CategoryKind,
    Channel,
    LimitUnit,
    Rating,
    Urgency,
)


class Category(TimeStampedModel):
    """A reportable category: a component (部件) or event (事件) class of the digital city
    management standard, or a hotline request type. Keyed on (edition, kind, code) so more
    than one code edition (CJ/T 214, GB/T 47678, local) can coexist."""

    edition = models.CharField(_("code edition"), max_length=20, default="cjt214")
    kind = models.CharField(_("kind"), max_length=12, choices=CategoryKind.choices)
    code = models.CharField(_("code"), max_length=10)
    major_code = models.CharField(_("major class code"), max_length=10, blank=True)
    major_name = models.CharField(_("major class"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    default_department_key = models.SlugField(_("default department"), max_length=50)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices)
    response_limit = models.PositiveIntegerField(_("response limit"), default=2)
    response_unit = models.CharField(
        _("response limit unit"), max_length=16, choices=LimitUnit.choices, default="hours"
    )
    resolve_limit = models.PositiveIntegerField(_("resolution limit"))
    resolve_unit = models.CharField(
        _("resolution limit unit"), max_length=16, choices=LimitUnit.choices
    )
    # Extra questions asked when reporting (Open311 attributes): a list of
    # {"code", "datatype", "description", "required", "order", "values"}.
    extra_fields = models.JSONField(_("extra fields"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "kind", "code"], name="cases_category_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(resolve_limit__gt=0) & Q(response_limit__gt=0),
                name="cases_category_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}:{self.code})"

    @property
    def service_code(self) -> str:
        """Public code of the category (Open311 service_code): kind prefix + code."""
        return f"{self.kind[0].upper()}{self.code}" if self.kind != "hotline" else self.code


class DutyRule(TimeStampedModel):
    """Which department answers for which category where (条块融合).

    ``area`` empty means the whole jurisdiction; ``category`` empty means every category.
    The most specific rule wins: the deepest area first, then a named category over any.
    """

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="duties")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="duty_rules"
    )
    area = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="duty_rules"
    )
    role = models.CharField(
        _("role"), max_length=8, choices=AssignmentRole.choices, default=AssignmentRole.LEAD
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty rule")
        verbose_name_plural = _("duty rules")
        constraints = [
            # One rule per (category, area, department); "any" (NULL) counts as a value.
            models.UniqueConstraint(
                fields=["category", "area", "department"],
                condition=Q(category__isnull=False, area__isnull=False),
                name="cases_dutyrule_unique",
            ),
            models.UniqueConstraint(
                fields=["area", "department"],
                condition=Q(category__isnull=True, area__isnull=False),
                name="cases_dutyrule_unique_any_category",
            ),
            models.UniqueConstraint(
                fields=["category", "department"],
                condition=Q(category__isnull=False, area__isnull=True),
                name="cases_dutyrule_unique_any_area",
            ),
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(category__isnull=True, area__isnull=True),
                name="cases_dutyrule_unique_any_any",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.area or '*'} → {self.department}"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a public holiday on a weekday, or
    an adjusted working day (调休) on a weekend. Seeded from the ``holidays`` package;
    administrators correct it when the State Council publishes the year's arrangement."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=50, default="holidays")

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        # 班: an (adjusted) working day; 休: a day off
        kind = pgettext("calendar day", "班") if self.is_workday else pgettext("calendar day", "休")
        return f"{self.date} {kind} {self.name}"


class Case(TimeStampedModel):
    """One problem or request, from intake to rating. Every change goes through
    ``cases.services`` and leaves a ``TimelineEntry`` in the same transaction."""

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # Where it is: ``area`` is the deepest unit known (the grid when the point was located);
    # the data scope of staff is decided on it. grid/community/street are denormalised for
    # inboxes and analytics.
    area = models.ForeignKey(
        Unit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="cases"
    )
    grid = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who owns it now (首问负责): never empty.
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="owned_cases"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # Reporter (personal data: encrypted phone with blind index, masked everywhere).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entered_cases",
    )
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices)
    # Deadlines (working time already applied) and the clock.
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    status_before_suspension = models.CharField(max_length=14, blank=True)
    supervised = models.BooleanField(_("supervised (督办)"), default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    result = models.TextField(_("result"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    extra = models.JSONField(_("extra answers"), default=dict, blank=True)
    # Normalised text for search (simplified Chinese, lower case; see cases.search).
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="cases_status_created"),
            models.Index(fields=["category", "created_at"], name="cases_category_created"),
            models.Index(fields=["department", "status"], name="cases_department_status"),
            models.Index(fields=["resolve_due"], name="cases_resolve_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lon__isnull=True, lat__isnull=True)
                | Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                name="cases_case_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="cases_case_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(status="rated") | ~Q(rating=""),
                name="cases_case_rated_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.category.name}"


class CaseAssignment(TimeStampedModel):
    """A department's part in a case: the lead, or an assisting department (联办)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=AssignmentRole.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(is_active=True),
                name="cases_assignment_one_active_per_department",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_active=True, role="lead"),
                name="cases_assignment_one_active_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department} ({self.role})"


class TimelineEntry(models.Model):
    """One step of a case. Public entries are shown (redacted) on the tracking page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("at"), db_index=True)
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    public_note = models.TextField(_("public note"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)
    is_public = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


class CasePhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("上报照片")
        BEFORE = "before", _("处置前")
        AFTER = "after", _("处置后")
        RESULT = "result", _("处置结果")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPORT)
    image = models.ImageField(upload_to="cases/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class SensorDevice(TimeStampedModel):
    """An IoT sensor (water level, smoke, manhole cover) that posts readings with its key.

    A reading past the threshold opens one case; further readings attach to that case
    while it is open, so an excursion is one case, not one per reading."""

    class Kind(models.TextChoices):
        WATER_LEVEL = "water_level", _("水位")
        SMOKE = "smoke", _("烟感")
        MANHOLE = "manhole", _("井盖位移")

    class Comparison(models.TextChoices):
        ABOVE = "above", _("高于")
        BELOW = "below", _("低于")

    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The device key is a secret: only its keyed hash is stored.
    key_index = models.CharField(max_length=64)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    lon = models.FloatField()
    lat = models.FloatField()
    threshold = models.FloatField(_("threshold"))
    comparison = models.CharField(
        max_length=6, choices=Comparison.choices, default=Comparison.ABOVE
    )
    unit = models.CharField(_("unit of measure"), max_length=16, blank=True)
    is_active = models.BooleanField(default=True)
    open_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reading_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")

    def __str__(self) -> str:
        return f"{self.name} ({self.device_id})"


class SensorReading(models.Model):
    device = models.ForeignKey(SensorDevice, on_delete=models.CASCADE, related_name="readings")
    value = models.FloatField()
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    # The device's message id: a replayed post carries a nonce already seen.
    nonce = models.CharField(max_length=64)
    over_threshold = models.BooleanField(default=False)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="sensor_readings"
    )

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="cases_reading_nonce_once")
        ]
        indexes = [models.Index(fields=["device", "measured_at"], name="cases_reading_device_time")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.value} @ {self.measured_at}"
