"""No plain ID number or phone number anywhere in the database; full values only through an
audited reveal with a reason, for roles that need them; every read of a person on record."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from grassroots.registry import services
from grassroots.registry.models import ImportReject, Person, SourceRecord
from tests.org.factories import UnitFactory, UserFactory
from tests.registry.factories import HouseFactory, PersonFactory, grid_unit, valid_id_number
from tests.registry.test_resolve import FakeLinker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _all_text_in_database() -> list[str]:
    """Every value of every column of every table, as text, read with a plain cursor."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                found.extend(str(v) for v in row if v is not None)
    return found


def test_no_plain_id_or_phone_in_the_database(tmp_path, monkeypatch, settings):
    import grassroots.registry.linkage as linkage

    monkeypatch.setattr(linkage, "link_people", FakeLinker(), raising=False)
    steward = UserFactory(role="data_steward")
    numbers = [valid_id_number(birth=date(1970 + i, 1, 2), sequence=300 + i) for i in range(4)]
    broken = numbers[3][:17] + ("0" if numbers[3][17] != "0" else "1")
    phones = ["13811112222", "13933334444", "13755556666", "13677778888"]
    path = tmp_path / "civil.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "联系电话", "居住地址", "救助类别"])
    for i, name in enumerate(["张三", "李四", "王五"]):
        writer.writerow([name, numbers[i], phones[i], f"幸福路{i + 1}号1号楼101", "低保"])
    writer.writerow(["赵六", broken, phones[3], "幸福路9号1号楼101", "低保"])  # rejected
    path.write_bytes(buffer.getvalue().encode("gbk"))
    batch = services.import_file(source="civil_affairs", path=path, user=steward)
    assert (batch.accepted_rows, batch.rejected_rows) == (3, 1), batch.error
    services.resolve_people(user=steward)
    person = Person.objects.get(name="张三")
    operator = UserFactory(role="admin", unit=UnitFactory(), is_superuser=True)
    visit = services.record_visit(
        house=person.house, person=person, user=operator, corrections={"phone": "13599990000"}
    )
    assert visit.record is not None
    services.person_reveal(person=person, user=operator, field="phone", reason="核对")
    values = _all_text_in_database()
    blob = "\n".join(values)
    assert "张三" in blob  # the scan does see the data
    for secret in [*numbers[:3], broken, *phones, "13599990000"]:
        assert secret not in blob, secret
        assert secret[:-1] not in blob  # not even without its check digit
    # the uploaded file is not kept either
    assert not any((tmp_path / "media").rglob("*.csv"))
    # but what is stored can be read back by the application
    record = SourceRecord.objects.get(name="张三", batch=batch)
    assert record.id_number_masked == numbers[0][:6] + "********" + numbers[0][-4:]
    reject = ImportReject.objects.get()
    assert broken not in str(reject.raw) and reject.raw_encrypted


@pytest.fixture
def gridded():
    grid = grid_unit()
    house = HouseFactory(grid=grid)
    number = valid_id_number()
    person = PersonFactory(house=house, id_plain=number, phone_plain="13812345678")
    return grid, person, number


def test_steward_reveals_with_a_reason(gridded):
    grid, person, number = gridded
    steward = UserFactory(role="data_steward", unit=grid.parent.parent.parent)
    assert (
        services.person_reveal(person=person, user=steward, field="id_number", reason="核对低保")
        == number
    )
    assert (
        services.person_reveal(person=person, user=steward, field="phone", reason="电话回访")
        == "13812345678"
    )
    events = AuditEvent.objects.filter(action="registry.person_reveal", target_id=str(person.pk))
    assert events.count() == 2
    assert {e.detail["field"] for e in events} == {"id_number", "phone"}
    assert events.first().actor == steward and events.first().reason in ("核对低保", "电话回访")


def test_reveal_needs_a_reason_and_a_role(gridded):
    grid, person, _number = gridded
    steward = UserFactory(role="data_steward", unit=grid)
    with pytest.raises(ValidationFailed):
        services.person_reveal(person=person, user=steward, field="id_number", reason=" ")
    with pytest.raises(ValidationFailed):
        services.person_reveal(person=person, user=steward, field="name", reason="看看")
    dispatcher = UserFactory(role="dispatcher", unit=grid)
    with pytest.raises(PermissionDeniedError):
        services.person_reveal(person=person, user=dispatcher, field="id_number", reason="看看")
    assert not AuditEvent.objects.filter(action="registry.person_reveal").exists()


def test_grid_worker_reveals_only_in_own_grid(gridded):
    grid, person, number = gridded
    own = UserFactory(role="grid_worker", unit=grid)
    assert (
        services.person_reveal(person=person, user=own, field="id_number", reason="入户核实")
        == number
    )
    other = UserFactory(role="grid_worker", unit=UnitFactory(parent=grid.parent))
    with pytest.raises(NotFound):
        services.person_reveal(person=person, user=other, field="id_number", reason="入户核实")
    resident = UserFactory(role="resident")
    with pytest.raises(NotFound):
        services.person_reveal(person=person, user=resident, field="phone", reason="想知道")


def test_unplaced_people_are_the_stewards(gridded):
    _grid, _person, _number = gridded
    loose = PersonFactory(phone_plain="13700001111")
    steward = UserFactory(role="data_steward", unit=UnitFactory())
    assert (
        services.person_reveal(person=loose, user=steward, field="phone", reason="核对")
        == "13700001111"
    )
    worker = UserFactory(role="grid_worker", unit=UnitFactory())
    with pytest.raises(NotFound):
        services.person_reveal(person=loose, user=worker, field="phone", reason="核对")


def test_person_reads_are_audited(gridded):
    grid, person, _number = gridded
    worker = UserFactory(role="grid_worker", unit=grid)
    services.person_read_audit(person=person, user=worker, fields=["name", "phone"])
    event = AuditEvent.objects.get(action="registry.person_read")
    assert event.actor == worker and event.target_id == str(person.pk)
    assert event.detail == {"fields": ["name", "phone"]}
