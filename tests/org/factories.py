"""Factories for the administrative tree, departments and staff.

``UnitFactory`` keeps codes and paths consistent with the parent (the 15-digit national
grid code grows by 3 digits per level below the district).
"""

from __future__ import annotations

import itertools

import factory
from django.utils import timezone
from shapely.geometry import box, mapping

from grassroots.org.choices import UNIT_ROLES, Role, UnitLevel
from grassroots.org.models import Department, Unit, UnitBoundary, User

_seq = itertools.count(1)
_CHILD_LEVEL = {
    UnitLevel.CITY: UnitLevel.DISTRICT,
    UnitLevel.DISTRICT: UnitLevel.STREET,
    UnitLevel.STREET: UnitLevel.COMMUNITY,
    UnitLevel.COMMUNITY: UnitLevel.GRID,
}


def _code(obj: object) -> str:
    parent = obj.parent
    n = next(_seq)
    if parent is None:
        return f"{110100 + n % 900:06d}"
    if parent.level in (UnitLevel.CITY, UnitLevel.PROVINCE):
        return f"{int(parent.code[:4]) * 100 + n % 99 + 1:06d}"
    return f"{parent.code}{n % 999 + 1:03d}"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    parent = None
    level = factory.LazyAttribute(
        lambda o: _CHILD_LEVEL[UnitLevel(o.parent.level)] if o.parent else UnitLevel.DISTRICT
    )
    code = factory.LazyAttribute(_code)
    name = factory.Sequence(lambda n: f"单元{n}")
    path = factory.LazyAttribute(lambda o: f"{o.parent.path if o.parent else '/'}{o.code}/")
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    population = 1000
    households = 400


def boundary_for(unit: Unit, *, minx: float, miny: float, maxx: float, maxy: float) -> UnitBoundary:
    return UnitBoundary.objects.create(
        unit=unit,
        geometry=mapping(box(minx, miny, maxx, maxy)),
        valid_from=timezone.now() - timezone.timedelta(days=1),
        min_lon=minx,
        min_lat=miny,
        max_lon=maxx,
        max_lat=maxy,
    )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    key = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    jurisdiction = factory.SubFactory(UnitFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.RESIDENT
    unit = factory.LazyAttribute(
        lambda o: UnitFactory() if o.role in UNIT_ROLES and o.department is None else None
    )
    department = factory.LazyAttribute(
        lambda o: DepartmentFactory() if o.role == Role.DEPT_HANDLER else None
    )
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
