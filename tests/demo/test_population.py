"""The synthetic population and its departments' extracts (demo.population)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grassroots.demo.population import (
    HOMOPHONES,
    SOURCE_KEYS,
    SURNAMES,
    generate_people,
    registry_records,
    source_extracts,
)
from grassroots.registry.address import address_key
from grassroots.registry.linkage.chinese import name_features, normalise_name
from grassroots.registry.validators import FieldError, validate_id_number


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate_people(3000, seed=11)


@pytest.fixture(scope="module")
def extracts(people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return source_extracts(people, seed=11)


def test_same_seed_same_people_other_seed_other_people(people):
    again = generate_people(3000, seed=11)
    pd.testing.assert_frame_equal(people, again)
    other = generate_people(3000, seed=12)
    assert (other["id_number"] != people["id_number"]).mean() > 0.9


def test_id_numbers_are_valid_unique_and_agree_with_sex_and_birth_date(people):
    assert generate_people(60_000, seed=5)["id_number"].is_unique  # many share a birthday
    for row in people.sample(500, random_state=1).itertuples():
        info = validate_id_number(row.id_number)
        assert info.sex == row.sex
        assert info.birth_date.isoformat() == row.birth_date
    registered = people[people["person_type"] == "户籍"]
    assert registered["id_number"].str.startswith("110199").all()
    floating = people[people["person_type"] == "流动"]
    assert not floating["id_number"].str.startswith("1101").any()


def test_households_share_address_and_children_the_surname(people):
    per_household = people.groupby("household")["address"].nunique()
    assert (per_household == 1).all()
    children = people[people["relation_to_head"] == "子女"]
    heads = people[people["relation_to_head"] == "户主"].set_index("household")
    head_surname = children["household"].map(heads["name"].str[0])
    assert (children["name"].str[0] == head_surname).mean() > 0.95
    # some young children have no phone, some share the head's
    young = people[people["age"] < 14]
    assert young["phone"].isna().any()
    shared = young["phone"].dropna()
    assert shared.isin(heads["phone"]).mean() > 0.5


def test_addresses_are_in_the_district_style_and_parse(people):
    sample = people["address"].sample(200, random_state=2)
    assert sample.str.contains(r"^北京市示范区.+\d+号\d+号楼\d+单元\d+室$").all()
    keys = sample.map(address_key)
    assert (keys.str.count(r"\|") == 4).all()
    assert people["address"].nunique() < len(people)  # families share flats
    # buildings hold several households
    building = people["address"].str.replace(r"\d+单元\d+室$", "", regex=True)
    assert people.groupby(building)["household"].nunique().max() > 2


def test_surname_table_has_homophones_and_misread_surnames():
    names = {s for s, _ in SURNAMES}
    for pair in ("张章", "徐许", "王汪", "萧肖"):
        assert set(pair) <= names
    for tricky in ("单", "曾", "乐", "解", "区", "仇", "朴", "查", "尉迟", "欧阳"):
        assert tricky in names


def test_homophone_table_keeps_the_pinyin():
    for char, options in HOMOPHONES.items():
        for other in options:
            if other == char:
                continue
            a = name_features("王" + char)[3]
            b = name_features("王" + other)[3]
            assert a == b, (char, other)


def test_extracts_have_truth_overlap_and_the_promised_noise(people, extracts):
    assert set(extracts) == set(SOURCE_KEYS)
    for key, frame in extracts.items():
        assert (frame["source"] == key).all()
        assert frame["person_id"].isin(people["person_id"]).all()
    ps, cv = extracts["public_security"], extracts["community_visit"]
    assert len(ps) > 0.8 * len(people)
    both = set(ps["person_id"]) & set(cv["person_id"])
    assert len(both) > 0.2 * len(people)
    # community visits often lack the ID number, public security never does
    assert cv["id_number"].isna().mean() > 0.4
    assert ps["id_number"].notna().all()
    # someone's name is in traditional characters, someone's a homophone
    truth = people.set_index("person_id")["name"]
    visit_names = cv["name"].to_numpy()
    true_names = cv["person_id"].map(truth).to_numpy()
    differs = visit_names != true_names
    normalised = np.array([normalise_name(n) for n in visit_names])
    assert (differs & (normalised == true_names)).any()  # traditional (or a space)
    pinyin_same = np.array(
        [
            name_features(a)[3] == name_features(b)[3]
            for a, b in zip(visit_names, true_names, strict=True)
        ]
    )
    assert (differs & (normalised != true_names) & pinyin_same).any()  # homophone


def test_some_id_numbers_are_one_digit_wrong(extracts):
    ss = extracts["social_security"].dropna(subset=["id_number"])
    invalid = 0
    for value in ss["id_number"]:
        try:
            validate_id_number(value)
        except FieldError:
            invalid += 1
    assert 0 < invalid < 0.05 * len(ss)


def test_registry_records_are_the_union_with_record_ids():
    records = registry_records(500, seed=3)
    assert list(records.columns) == [
        "record_id",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "phone",
        "address",
        "source",
        "person_id",
    ]
    assert records["record_id"].is_unique
    assert set(records["source"]) == set(SOURCE_KEYS)
    assert records.groupby("person_id").size().mean() > 1.3
