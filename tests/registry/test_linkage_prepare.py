"""The records as the linkage compares them (registry.linkage.prepare)."""

from __future__ import annotations

import pandas as pd

from grassroots.demo.population import registry_records
from grassroots.registry.address import address_key
from grassroots.registry.linkage import prepare_people
from grassroots.registry.linkage.chinese import name_features, name_features_many
from grassroots.registry.linkage.prepare import address_keys_of

COLUMNS = ["record_id", "name", "sex", "birth_date", "id_number", "phone", "address", "source"]


def test_fast_address_keys_agree_with_the_parser():
    addresses = registry_records(1500, seed=31)["address"].dropna().unique().tolist()
    tricky = [
        "北京市新区路12号3号楼2单元501室",  # a road with 区 in it
        "示范区城市花园12号3栋2-501",
        "北京市示範區福興胡同１２０號２４號樓４單元１５０１",
        "黑龙江省哈尔滨市道里区61号",
        "和平路十二号三号楼二单元五〇一室",
        "",
    ]
    texts = addresses + tricky
    expected = [address_key(t) or None for t in texts]
    assert address_keys_of(texts) == expected
    assert sum(k is not None for k in expected) > 0.8 * len(texts)


def test_batch_name_features_equal_one_by_one():
    names = [
        "单雄信",
        "張偉",
        " 李  明 ",
        "买买提·艾力",
        "ＪＯＨＮ",
        "王",
        "欧阳",
        "尉迟恭",
        "李\u3000明",
    ]
    assert name_features_many(names) == [name_features(n) for n in names]


def test_prepare_normalises_every_field_and_blanks_crowded_identifiers():
    rows = [
        (1, "張偉", "男", "1985/3/2", " 11019919850302001x ", "+86 138-0013-8000",
         "北京市示范区和平路12号3栋2-501", "civil_affairs"),
        (2, "", "F", "not a date", "123", "12", "somewhere", "x"),
    ]  # fmt: skip
    rows += [
        (10 + i, "李四", "F", "2024-02-30", None, "00000000000", "和平路1号1号楼1单元101室", "y")
        for i in range(60)
    ]
    table = prepare_people(pd.DataFrame(rows, columns=COLUMNS), max_identifier_group=50)
    first = table.iloc[0]
    assert (first["name_s"], first["surname_py"], first["name_py"]) == ("张伟", "zhang", "zhangwei")
    assert (first["sex"], first["birth_date"], first["birth_year"]) == ("M", "1985-03-02", "1985")
    assert first["id_number"] == "11019919850302001X"
    assert first["phone"] == "13800138000"
    assert first["address_key"] == "和平路|12|3|2|501"
    assert first["building_key"] == "和平路|12|3"
    second = table.iloc[1]
    assert second[["name_s", "birth_date", "id_number", "phone", "address_key"]].isna().all()
    crowded = table.iloc[2:]
    assert crowded["phone"].isna().all()  # a placeholder shared by 60 records
    assert crowded["address_key"].isna().all()  # a collective household
    assert crowded["birth_date"].isna().all()  # 30 February
