"""Factories for the base database.

Sensitive values are given in plain text through the ``id_plain`` / ``phone_plain``
parameters and stored sealed (encrypted, blind index, masked), as the importer does::

    person = PersonFactory(id_plain="110105199001011237", phone_plain="13812345678")

``valid_id_number`` and ``valid_uscc`` make numbers with correct check characters.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import factory
from django.utils import timezone

from grassroots.org.choices import UnitLevel
from grassroots.registry.choices import (
    EntityType,
    FacilityStatus,
    ImportStatus,
    MatchStatus,
    MergeReason,
    PersonType,
)
from grassroots.registry.models import (
    Facility,
    House,
    ImportBatch,
    ImportReject,
    MatchCandidate,
    MergeEvent,
    Organisation,
    Person,
    Source,
    SourceRecord,
    Visit,
    seal_id_number,
    seal_phone,
)
from tests.org.factories import UnitFactory, UserFactory

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_seq = itertools.count(1)


def valid_id_number(
    *, region: str = "110105", birth: date | None = None, sequence: int | None = None
) -> str:
    """An 18-character resident ID number with a correct GB 11643 check character."""
    birth = birth or date(1960, 1, 1) + timedelta(days=next(_seq) * 37 % 20000)
    sequence = sequence if sequence is not None else next(_seq) % 999 + 1
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def valid_uscc(*, region: str = "110105", serial: int | None = None) -> str:
    """An 18-character unified social credit code with a correct GB 32100 check character."""
    serial = serial if serial is not None else next(_seq)
    body = f"91{region}{serial:08d}" + "X"
    body = body[:17]
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def grid_unit(**kwargs: object):
    """A grid with its community, street and district above it."""
    district = UnitFactory(level=UnitLevel.DISTRICT)
    street = UnitFactory(parent=district, name="和平街道")
    community = UnitFactory(parent=street, name="幸福社区")
    return UnitFactory(parent=community, **kwargs)


def source(key: str = "public_security") -> Source:
    """The shipped source row (the post-migrate hook creates them)."""
    return Source.objects.get(key=key)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("key",)

    key = "public_security"
    name = factory.LazyAttribute(lambda o: o.key)
    entity_type = EntityType.PERSON
    trust = 50


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportBatch

    source = factory.SubFactory(SourceFactory)
    original_name = factory.Sequence(lambda n: f"import-{n}.csv")
    file_format = "csv"
    encoding = "utf-8"
    status = ImportStatus.DONE
    uploaded_by = None


class ImportRejectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportReject

    batch = factory.SubFactory(ImportBatchFactory)
    row_number = factory.Sequence(lambda n: n + 2)
    raw = factory.LazyFunction(lambda: {"姓名": "张三", "公民身份号码": "110105********1234"})
    reasons = factory.LazyFunction(
        lambda: [{"field": "id_number", "code": "id_checksum", "message": "校验码错误"}]
    )


class HouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = House

    road = "幸福路"
    number = factory.Sequence(lambda n: f"{n + 1}号")
    building = "1号楼"
    unit = "1单元"
    room = "101"
    address = factory.LazyAttribute(
        lambda o: f"北京市东城区和平街道{o.road}{o.number}{o.building}{o.unit}{o.room}室"
    )
    address_key = factory.LazyAttribute(lambda o: f"{o.road}|{o.number}|{o.building}|{o.room}")
    district = "东城区"
    street_name = "和平街道"
    community_name = "幸福社区"
    grid = None


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        exclude = ("id_plain", "phone_plain")

    id_plain = factory.LazyFunction(valid_id_number)
    phone_plain = factory.Sequence(lambda n: f"139{n % 100000000:08d}")
    name = factory.Sequence(lambda n: f"王{'伟芳娜敏静丽强磊军洋'[n % 10]}{n}")
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_plain[16]) % 2 else "F")
    birth_date = factory.LazyAttribute(
        lambda o: date(int(o.id_plain[6:10]), int(o.id_plain[10:12]), int(o.id_plain[12:14]))
    )
    id_number_encrypted = factory.LazyAttribute(
        lambda o: seal_id_number(o.id_plain)["id_number_encrypted"]
    )
    id_number_index = factory.LazyAttribute(lambda o: seal_id_number(o.id_plain)["id_number_index"])
    id_number_masked = factory.LazyAttribute(
        lambda o: seal_id_number(o.id_plain)["id_number_masked"]
    )
    phone_encrypted = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_encrypted"])
    phone_index = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_index"])
    phone_masked = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_masked"])
    person_type = PersonType.REGISTERED
    house = None
    grid = factory.LazyAttribute(lambda o: o.house.grid if o.house else None)
    address = factory.LazyAttribute(lambda o: o.house.address if o.house else "")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        exclude = ("phone_plain",)

    phone_plain = "01065001234"
    name = factory.Sequence(lambda n: f"北京幸福{n}号商贸有限公司")
    name_key = factory.LazyAttribute(lambda o: o.name)
    uscc = factory.LazyFunction(valid_uscc)
    legal_rep = "李四"
    phone_encrypted = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_encrypted"])
    phone_index = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_index"])
    phone_masked = factory.LazyAttribute(lambda o: seal_phone(o.phone_plain)["phone_masked"])
    house = None
    address = factory.LazyAttribute(lambda o: o.house.address if o.house else "幸福路1号")
    grid = factory.LazyAttribute(lambda o: o.house.grid if o.house else None)
    status = "existing"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"1101050101{n % 1000000:06d}")
    name = "上水井盖"
    kind = "0101"
    status = FacilityStatus.INTACT
    grid = None
    address = "幸福路1号"


class SourceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceRecord
        exclude = ("id_plain", "phone_plain")

    id_plain = factory.LazyFunction(valid_id_number)
    phone_plain = ""
    source = factory.LazyFunction(lambda: source("public_security"))
    batch = None
    entity_type = EntityType.PERSON
    row_number = factory.Sequence(lambda n: n + 2)
    observed_at = factory.LazyFunction(timezone.localdate)
    name = "张三"
    sex = "M"
    birth_date = None
    id_number_encrypted = factory.LazyAttribute(
        lambda o: seal_id_number(o.id_plain)["id_number_encrypted"] if o.id_plain else ""
    )
    id_number_index = factory.LazyAttribute(
        lambda o: seal_id_number(o.id_plain)["id_number_index"] if o.id_plain else ""
    )
    id_number_masked = factory.LazyAttribute(
        lambda o: seal_id_number(o.id_plain)["id_number_masked"] if o.id_plain else ""
    )
    phone_encrypted = factory.LazyAttribute(
        lambda o: seal_phone(o.phone_plain)["phone_encrypted"] if o.phone_plain else ""
    )
    phone_index = factory.LazyAttribute(
        lambda o: seal_phone(o.phone_plain)["phone_index"] if o.phone_plain else ""
    )
    phone_masked = factory.LazyAttribute(
        lambda o: seal_phone(o.phone_plain)["phone_masked"] if o.phone_plain else ""
    )
    data = factory.LazyAttribute(lambda o: {"name": o.name, "sex": o.sex})
    address = ""
    person = None


class MatchCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchCandidate

    left = factory.SubFactory(PersonFactory)
    right = factory.SubFactory(PersonFactory)
    probability = 0.8
    match_weight = 3.0
    explanation = factory.LazyFunction(lambda: {"name": "exact", "id_number": "missing"})
    status = MatchStatus.PENDING

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        left, right = kwargs["left"], kwargs["right"]
        if left.pk > right.pk:
            kwargs["left"], kwargs["right"] = right, left
        return super()._create(model_class, *args, **kwargs)


class MergeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MergeEvent

    survivor = factory.SubFactory(PersonFactory)
    absorbed = factory.SubFactory(PersonFactory, is_active=False)
    reason = MergeReason.MANUAL
    moved_records = factory.LazyFunction(list)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    house = factory.SubFactory(HouseFactory)
    person = None
    visited_by = factory.SubFactory(UserFactory, role="grid_worker")
    note = "入户走访，情况正常"
    corrections = factory.LazyFunction(dict)
