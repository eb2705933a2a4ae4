"""The demo's base database: department files imported, houses placed in the demo's grids,
people linked with the real linkage model; a second run does nothing."""

from __future__ import annotations

import pytest

from grassroots.core.scope import scoped
from grassroots.demo.registry_load import load_demo_registry, registry_present
from grassroots.demo.services import demo_build
from grassroots.org.models import User
from grassroots.registry.models import House, ImportBatch, Person, SourceRecord

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_registry_loads_once(tmp_path):
    built = demo_build(scale="small", seed=11, credentials_file=tmp_path / "c.json")
    from grassroots.demo.generator.build import current_marker

    district = current_marker().detail["district_code"]
    result = load_demo_registry(
        scale="small",
        seed=11,
        district_code=district,
        directory=tmp_path / "files",
        people=600,
    )
    assert built.status == "built" and result.status == "built"
    assert set(result.batches) == {
        "housing",
        "public_security",
        "civil_affairs",
        "social_security",
        "community_visit",
        "market_regulation",
    }
    assert all(b["accepted"] > 0 for b in result.batches.values())
    assert sum(b["rejected"] for b in result.batches.values()) > 0  # the files are dirty
    assert ImportBatch.objects.filter(status="done").count() == 6
    assert not ImportBatch.objects.exclude(file="").exists()  # uploads not kept
    people = Person.objects.filter(is_active=True).count()
    assert 450 <= people <= 800  # 600 real people, linked from several sources
    assert SourceRecord.objects.filter(entity_type="person", person__isnull=True).count() == 0
    # houses are in the demo's grids, and so are their people: a grid worker sees some
    assert House.objects.filter(grid__isnull=True).count() == 0
    worker = User.objects.get(username="gridworker")
    steward = User.objects.get(username="steward")
    everyone = scoped(steward, Person.objects.filter(is_active=True), unit_field="grid").count()
    # the rest live nowhere the files say: registered elsewhere, no address here
    unplaced = Person.objects.filter(is_active=True, grid__isnull=True)
    assert everyone + unplaced.count() == people
    assert unplaced.count() < people * 0.1
    assert not unplaced.exclude(person_type="floating").filter(house__isnull=False).exists()
    assert 0 < scoped(worker, Person.objects.all(), unit_field="grid").count() < people
    # idempotent
    assert registry_present()
    again = load_demo_registry(scale="small", seed=11, district_code=district, people=600)
    assert again.status == "present"
    assert Person.objects.filter(is_active=True).count() == people
    # --force replaces it
    replaced = load_demo_registry(
        scale="small",
        seed=12,
        district_code=district,
        directory=tmp_path / "files2",
        people=200,
        force=True,
    )
    assert replaced.status == "built"
    assert ImportBatch.objects.count() == 6
    assert Person.objects.filter(is_active=True).count() < 300
