"""The administrative tree, boundaries, departments and staff accounts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.core.models import TimeStampedModel

from .choices import UNIT_ROLES, Role, UnitLevel


class Unit(TimeStampedModel):
    """A node of the tree: province/city/district → street → community → grid.

    ``path`` is the materialised path of codes (``/110105/110105001/``): the subtree of a
    unit is every unit whose path starts with its path, one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    population = models.PositiveIntegerField(_("population"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    area_km2 = models.FloatField(_("area (km²)"), default=0)
    # Centroid of the current boundary, WGS84, for labels and quick maps.
    centroid_lon = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "path"], name="org_unit_level_path")]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(depth=0), name="org_unit_root_depth_zero"
            ),
            models.CheckConstraint(
                condition=Q(population__gte=0) & Q(households__gte=0),
                name="org_unit_counts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_ancestor_of(self, other: Unit) -> bool:
        return other.path.startswith(self.path) and other.pk != self.pk


class UnitBoundary(models.Model):
    """One version of a unit's polygon (GeoJSON, WGS84), valid over [valid_from, valid_to).

    Old versions are kept so that an old record still resolves to the unit it was filed in.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="boundaries")
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        verbose_name = _("unit boundary")
        verbose_name_plural = _("unit boundaries")
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(valid_to__isnull=True),
                name="org_boundary_one_current_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="org_boundary_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["valid_to", "unit"], name="org_boundary_current")]

    def __str__(self) -> str:
        return f"{self.unit.code} [{self.valid_from:%Y-%m-%d} – {self.valid_to or '…'}]"


class BoundaryGeneration(models.Model):
    """A single row counting boundary changes, so every process knows when to rebuild its
    point-location index without comparing geometry."""

    generation = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"boundary generation {self.generation}"


class Department(TimeStampedModel):
    """A functional department (职能部门) serving a jurisdiction (usually the district)."""

    key = models.SlugField(_("key"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    jurisdiction = models.ForeignKey(
        Unit, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["jurisdiction_id", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "key"], name="org_department_key_per_jurisdiction"
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An account: a resident or a staff member with one role and one home.

    Staff roles have a home unit (grid, community, street, district); the department
    handler's home is a department. What each may see follows from role and home through
    ``grassroots.core.scope``.
    """

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("home unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    elderly_mode = models.BooleanField(_("elderly-friendly mode"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.DEPT_HANDLER)
                | (Q(department__isnull=False) & Q(unit__isnull=True)),
                name="org_user_handler_has_department",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(r.value for r in UNIT_ROLES))
                | (Q(unit__isnull=False) & Q(department__isnull=True)),
                name="org_user_staff_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.role != Role.RESIDENT
