"""The base database's pages in a real browser.

A data steward uploads a department file on a desktop and watches the progress bar (htmx
polling the batch while the queue job runs) turn into the result: accepted and rejected
rows, the reasons, the rejects file. The steward reviews a pair, merges it and undoes the
merge, and reveals a phone number with a reason. A grid worker opens a house of their grid
on a 360-px phone and records a visit with a correction.

Screenshots: registry-import-progress-desktop.png, registry-import-result-desktop.png,
registry-import-result-phone.png, registry-houses-phone.png, registry-house-phone.png,
registry-visit-done-phone.png, registry-house-desktop.png, registry-review-desktop.png,
registry-review-phone.png, registry-overview-desktop.png, registry-imports-phone.png,
registry-person-desktop.png, registry-person-phone.png, registry-houses-elderly-phone.png.
"""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NARROW_PHONE = {"width": 360, "height": 760}


def _account(demo_site: dict[str, Any], username: str) -> dict[str, Any]:
    return next(a for a in demo_site["accounts"] if a["username"] == username)


def _sign_in(session: Any, account: dict[str, Any], next_url: str) -> None:
    page = session.page
    session.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", account["username"])
    page.fill("#id_password", account["password"])
    page.click("button.primary")
    page.wait_for_url(session.base_url + next_url)


def _department_file(path: Path) -> Path:
    """A public-security extract: four good rows, a bad check digit, a short ID."""
    from tests.registry.factories import valid_id_number

    address = "北京市东城区和平街道幸福路8号3号楼1单元{room}室"
    rows = []
    for i, name in enumerate(["张建国", "李秀英", "王小明", "赵大海"]):
        rows.append([name, valid_id_number(sequence=100 + i), address.format(room=501 + i), "户籍"])
    bad = valid_id_number(sequence=200)
    rows.append(
        ["钱多多", bad[:-1] + ("0" if bad[-1] != "0" else "1"), address.format(room=601), ""]
    )
    rows.append(["孙小美", "12345", address.format(room=602), "户籍"])
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "公民身份号码", "户籍地址", "人员类型"])
        writer.writerows(rows)
    return path


def _readers_do_not_wait_for_the_writer() -> None:
    """The test database is SQLite in memory with a shared cache, where a writing
    connection (the queue job's thread) locks its tables against every reader (the page
    polling the batch); a file database in WAL mode, or PostgreSQL, lets readers read. Let
    the live server's connection read as WAL would."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


class SlowQueue:
    """Stands in for the queue worker: the job starts a moment after the upload and
    reports half-way progress for a while, so the page can be seen polling."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def __call__(self, batch_id: int) -> None:
        thread = threading.Thread(target=self._run, args=(batch_id,), daemon=True)
        self.threads.append(thread)
        thread.start()

    @staticmethod
    def _run(batch_id: int) -> None:
        from django.db import connection

        from grassroots.registry import services
        from grassroots.registry.models import ImportBatch

        try:
            time.sleep(1.0)
            ImportBatch.objects.filter(pk=batch_id).update(total_rows=6, processed_rows=3)
            time.sleep(2.5)
            services.import_run(batch=ImportBatch.objects.get(pk=batch_id))
        finally:
            connection.close()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)


def test_steward_uploads_a_file_and_watches_it_import(
    demo_site, open_session, artifacts_dir, tmp_path, monkeypatch
):
    from grassroots.registry import tasks
    from grassroots.registry.models import ImportBatch

    queue = SlowQueue()
    monkeypatch.setattr(tasks, "import_batch", queue)
    _readers_do_not_wait_for_the_writer()
    upload = _department_file(tmp_path / "公安户籍.csv")

    session = open_session(DESKTOP)
    page = session.page
    _sign_in(session, _account(demo_site, "steward"), "/registry/imports/")
    page.select_option("#id_source", label="公安户籍")
    page.set_input_files("#id_file", str(upload))
    page.click("#upload-form button[type=submit]")

    page.wait_for_selector("#progress progress[value]")
    assert "3 / 6" in page.locator("#progress").inner_text()
    page.screenshot(
        path=str(artifacts_dir / "registry-import-progress-desktop.png"), full_page=True
    )

    page.wait_for_selector("#results", timeout=20_000)  # htmx saw it finish; the page reloaded
    queue.join()
    batch = ImportBatch.objects.get()
    assert batch.status == "done", batch.error
    assert page.locator("[data-count='accepted']").inner_text() == str(batch.accepted_rows)
    assert page.locator("[data-count='rejected']").inner_text() == "2"
    assert page.locator("#rejects tr[data-row]").count() == 2
    assert page.locator("#download-rejects").count() == 1
    page.screenshot(path=str(artifacts_dir / "registry-import-result-desktop.png"), full_page=True)

    page.goto(session.base_url + "/registry/")
    assert page.locator("#sources tr[data-source='public_security'] .rg-status-done").count() == 1
    page.screenshot(path=str(artifacts_dir / "registry-overview-desktop.png"), full_page=True)

    phone = open_session(NARROW_PHONE)
    _sign_in(phone, _account(demo_site, "steward"), f"/registry/imports/{batch.pk}/")
    assert phone.horizontal_overflow() <= 0
    phone.page.screenshot(
        path=str(artifacts_dir / "registry-import-result-phone.png"), full_page=True
    )
    phone.goto("/registry/imports/")
    assert phone.horizontal_overflow() <= 0
    phone.page.screenshot(path=str(artifacts_dir / "registry-imports-phone.png"), full_page=True)
    for s in (session, phone):
        assert not s.foreign_requests(), s.foreign_requests()
        assert not s.console_errors, s.console_errors


@pytest.fixture
def grid_houses(demo_site: dict[str, Any]) -> dict[str, Any]:
    """Two buildings in the demo grid worker's grid, people of each kind in one house."""
    from grassroots.org.models import User
    from tests.registry.factories import HouseFactory, OrganisationFactory, valid_id_number
    from tests.registry.test_pages_world import person_with_record

    grid = User.objects.get(username="gridworker").unit
    house = HouseFactory(grid=grid, road="幸福路", number="8号", building="3号楼", room="502")
    for room in ("501", "601", "602"):
        HouseFactory(grid=grid, road="幸福路", number="8号", building="3号楼", room=room)
    HouseFactory(grid=grid, road="幸福路", number="10号", building="1号楼", room="101")
    head = person_with_record(
        "张建国",
        house,
        valid_id_number(sequence=301),
        "13812345678",
        household_address=house.address,
        relation_to_head="户主",
    )
    person_with_record(
        "李秀英",
        house,
        valid_id_number(sequence=302),
        "13812340002",
        person_type="流动",
        household_address="河北省保定市莲池区东关大街1号",
    )
    person_with_record(
        "王小明", house, valid_id_number(sequence=303), "13812340003", person_type="常住"
    )
    OrganisationFactory(name="幸福便利店有限公司", house=house)
    return {"house": house, "head": head}


def test_grid_worker_opens_a_house_on_a_phone_and_records_a_visit(
    demo_site, grid_houses, open_session, artifacts_dir
):
    from grassroots.registry.models import Visit

    house, head = grid_houses["house"], grid_houses["head"]
    session = open_session(NARROW_PHONE)
    page = session.page
    _sign_in(session, _account(demo_site, "gridworker"), "/registry/houses/")
    page.wait_for_selector(f"a[data-house='{house.pk}']")
    assert page.locator(".rg-building").count() == 2
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "registry-houses-phone.png"), full_page=True)
    height = page.locator(f"a[data-house='{house.pk}']").bounding_box()["height"]
    assert height >= 48  # a thumb-sized row

    page.click(f"a[data-house='{house.pk}']")
    page.wait_for_selector("#people")
    assert page.locator("#people li").count() == 3
    assert "138****5678" in page.content() and "13812345678" not in page.content()
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "registry-house-phone.png"), full_page=True)

    page.fill("#id_note", "入户走访，户主换了手机号")
    page.click(f"details[data-person='{head.pk}'] > summary")
    page.fill(f"#id_phone_{head.pk}", "13900001111")
    page.select_option("#id_house_use", "rented")
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector(".messages li.success")
    visit = Visit.objects.get(note="入户走访，户主换了手机号")
    assert visit.visited_by.username == "gridworker" and visit.house_id == house.pk
    assert Visit.objects.filter(person=head).exists()  # the correction, about the head
    head.refresh_from_db()
    assert head.phone_masked == "139****1111"
    assert "13900001111" not in page.content()
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "registry-visit-done-phone.png"), full_page=True)

    desktop = open_session(DESKTOP)
    _sign_in(desktop, _account(demo_site, "gridworker"), f"/registry/houses/{house.pk}/")
    desktop.page.screenshot(path=str(artifacts_dir / "registry-house-desktop.png"), full_page=True)

    elderly = open_session(NARROW_PHONE)
    _sign_in(elderly, _account(demo_site, "gridworker"), "/registry/houses/")
    elderly.page.click("#elderly-toggle")
    elderly.page.wait_for_selector("html.elderly")
    assert elderly.horizontal_overflow() <= 0
    elderly.page.screenshot(
        path=str(artifacts_dir / "registry-houses-elderly-phone.png"), full_page=True
    )
    for s in (session, desktop, elderly):
        assert not s.foreign_requests(), s.foreign_requests()
        assert not s.console_errors, s.console_errors


def test_steward_reviews_a_pair_and_undoes_the_merge(
    demo_site, grid_houses, open_session, artifacts_dir
):
    from grassroots.registry.models import MergeEvent, Person
    from tests.registry.factories import MatchCandidateFactory, valid_id_number
    from tests.registry.test_pages_world import person_with_record

    head = grid_houses["head"]
    twin = person_with_record(
        "張建國", grid_houses["house"], valid_id_number(sequence=301), "13899990000"
    )
    pair = MatchCandidateFactory(
        left=head,
        right=twin,
        probability=0.87,
        explanation={"name": "pinyin", "id_number": "exact", "phone": "different"},
    )
    session = open_session(DESKTOP)
    page = session.page
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(session, _account(demo_site, "steward"), "/registry/review/")
    assert page.locator("#pair").get_attribute("data-candidate") == str(pair.pk)
    assert "87%" in page.locator("#probability").inner_text()
    assert page.locator("#compare .rg-ag-disagree").count() == 1
    assert "13899990000" not in page.content() and "13812345678" not in page.content()
    page.screenshot(path=str(artifacts_dir / "registry-review-desktop.png"), full_page=True)

    page.click("#confirm")
    page.wait_for_selector("#undo")
    assert Person.objects.filter(pk__in=[head.pk, twin.pk], is_active=True).count() == 1
    page.click("#undo")
    page.wait_for_selector(".messages li.success")
    assert MergeEvent.objects.get().undone_at is not None
    assert Person.objects.filter(pk__in=[head.pk, twin.pk], is_active=True).count() == 2

    page.goto(session.base_url + f"/registry/people/{head.pk}/")
    assert "13812345678" not in page.content()
    page.fill("#reveal-reason", "核实户主联系方式")
    page.select_option("#reveal-field", "phone")
    page.click("#reveal-form button[type=submit]")
    page.wait_for_selector("#revealed-phone")
    assert page.locator("#revealed-phone").inner_text() == "13812345678"
    assert "13812345678" not in page.url
    page.screenshot(path=str(artifacts_dir / "registry-person-desktop.png"), full_page=True)

    phone = open_session(NARROW_PHONE)
    _sign_in(phone, _account(demo_site, "steward"), f"/registry/review/{pair.pk}/")
    assert phone.horizontal_overflow() <= 0
    phone.page.screenshot(path=str(artifacts_dir / "registry-review-phone.png"), full_page=True)
    phone.goto(f"/registry/people/{head.pk}/")
    assert phone.horizontal_overflow() <= 0
    assert "13812345678" not in phone.page.content()
    phone.page.screenshot(path=str(artifacts_dir / "registry-person-phone.png"), full_page=True)
    for s in (session, phone):
        assert not s.foreign_requests(), s.foreign_requests()
        assert not s.console_errors, s.console_errors
