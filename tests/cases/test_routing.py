"""Duty-rule precedence: the most specific area and category win."""

from __future__ import annotations

import pytest

from grassroots.cases.routing import owner_unit_for, route

from ..org.factories import DepartmentFactory
from .factories import category, duty_rule, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_category_default_department_without_rules(world):
    decision = route(category=category("event", "0404"), area=world.grid)
    assert decision.department == world.drainage
    assert decision.reason == "category_default"


def test_territorial_fallback_when_no_department_fits(world):
    decision = route(category=category("hotline", "H07"), area=world.grid)  # education
    assert decision.department == world.street_office
    assert decision.reason == "territorial_fallback"


def test_deeper_area_beats_category_specificity(world):
    drain = category("event", "0404")
    special = DepartmentFactory(jurisdiction=world.district, key="community-team")
    duty_rule(department=world.sanitation, category=drain)  # whole district, this category
    duty_rule(department=special, area=world.community)  # this community, any category
    assert route(category=drain, area=world.grid).department == special
    assert route(category=drain, area=world.other_grid).department == world.sanitation


def test_named_category_beats_any_category_at_the_same_area(world):
    drain = category("event", "0404")
    general = DepartmentFactory(jurisdiction=world.district, key="general")
    duty_rule(department=general, area=world.street)
    duty_rule(department=world.drainage, area=world.street, category=drain)
    assert route(category=drain, area=world.grid).department == world.drainage
    assert route(category=category("event", "0102"), area=world.grid).department == general


def test_assisting_departments(world):
    drain = category("event", "0404")
    duty_rule(department=world.drainage, category=drain)
    duty_rule(department=world.sanitation, category=drain, role="assist")
    decision = route(category=drain, area=world.grid)
    assert decision.department == world.drainage
    assert decision.assisting == [world.sanitation]


def test_inactive_department_is_skipped(world):
    drain = category("event", "0404")
    closed = DepartmentFactory(jurisdiction=world.district, key="closed", is_active=False)
    duty_rule(department=closed, area=world.grid, category=drain)
    assert route(category=drain, area=world.grid).department == world.drainage


def test_owner_is_the_receiving_unit_or_the_community(world):
    assert owner_unit_for(area=world.grid) == world.community
    assert owner_unit_for(area=world.grid, entered_by_unit=world.district) == world.district
    assert owner_unit_for(area=world.district) == world.district
