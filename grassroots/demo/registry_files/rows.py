"""Rows of each department file: people from the extracts, organisations and houses made
up from the people."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from grassroots.registry.address import parse_address
from grassroots.registry.validators import (
    USCC_ALPHABET,
    uscc_check_char,
)

from .formats import (
    DEFAULT_SEED,
    FORMATS,
    OBSERVED_AT,
    SEX_TEXT,
    Row,
    blank,
    format_date,
    id_birth,
    iso_date,
    observed_date,
    text_of,
)


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    if name in frame.columns:
        return frame[name].tolist()
    return [None] * len(frame)


def ids_of(frame: pd.DataFrame) -> list[int | None]:
    for name in ("person_id", "entity_id"):
        if name in frame.columns:
            return [None if blank(v) else int(v) for v in frame[name].tolist()]
    return [None] * len(frame)


def person_rows(
    source: str,
    frame: pd.DataFrame,
    rng: np.random.Generator,
    observed_at: date,
    employers: pd.DataFrame | None,
) -> tuple[list[Row], dict[int, str]]:
    style = FORMATS[source].date_style
    variants: dict[int, str] = {}
    rows: list[Row] = []
    names = _column(frame, "name")
    sexes = _column(frame, "sex")
    births = _column(frame, "birth_date")
    ids = _column(frame, "id_number")
    phones = _column(frame, "phone")
    addresses = _column(frame, "address")
    household_addresses = _column(frame, "household_address")
    ethnicities = _column(frame, "ethnicity")
    household_nos = _column(frame, "household_no")
    relations = _column(frame, "relation_to_head")
    person_types = _column(frame, "person_type")
    rolls = rng.random((len(frame), 4))
    for i in range(len(frame)):
        birth = iso_date(births[i])
        id_number, phone = text_of(ids[i]), text_of(phones[i])
        seen = observed_date(rng, observed_at, birth or id_birth(id_number))
        if id_number.endswith("X") and rolls[i, 0] < 0.1:
            id_number, variants[i] = id_number.lower(), "id_lower_x"
        elif (
            source == "civil_affairs"
            and rolls[i, 0] > 0.97
            and id_number[6:8] == "19"
            and id_birth(id_number) is not None
        ):
            # an old record still carries the 15-digit number issued before 1999
            id_number, variants[i] = id_number[:6] + id_number[8:17], "id_15_digits"
        if phone and rolls[i, 1] < 0.04:
            phone = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
            variants[i] = "phone_international"
        elif phone and rolls[i, 1] < 0.07:
            phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            variants[i] = "phone_spaced"
        seen_text = format_date(seen, style, rng)
        if rolls[i, 2] < 0.03:
            seen_text, variants[i] = seen.isoformat(), "date_iso"
        address = text_of(addresses[i])
        if source == "public_security":
            ethnicity = text_of(ethnicities[i])
            if ethnicity == "汉族" and rolls[i, 3] < 0.05:
                ethnicity, variants[i] = "汉", "ethnicity_short"
            row = {
                "姓名": text_of(names[i]),
                "性别": SEX_TEXT.get(text_of(sexes[i]), ""),
                "民族": ethnicity,
                "出生日期": format_date(birth, style) if birth else "",
                "公民身份号码": id_number,
                "户籍地址": address or text_of(household_addresses[i]),
                "户号": text_of(household_nos[i]),
                "与户主关系": text_of(relations[i]),
                "人员类型": text_of(person_types[i]),
                "登记日期": seen_text,
            }
        elif source == "civil_affairs":
            age = (observed_at - birth).days // 365 if birth else 70
            if age >= 80:
                tag = "高龄补贴"
            else:
                tag = ("低保", "特困供养", "残疾人两项补贴", "临时救助")[int(rolls[i, 3] * 4)]
            row = {
                "姓名": text_of(names[i]),
                "身份证号": id_number,
                "联系电话": phone,
                "居住地址": address,
                "救助类别": tag,
                "更新日期": seen_text,
            }
        elif source == "social_security":
            employer_name = employer_code = ""
            if employers is not None and len(employers) and rolls[i, 3] < 0.85:
                k = int(rolls[i, 3] / 0.85 * len(employers))
                employer_name = str(employers["org_name"].iloc[k])
                employer_code = str(employers["uscc"].iloc[k])
            row = {
                "姓名": text_of(names[i]),
                "证件号码": id_number,
                "手机号": phone,
                "通讯地址": address,
                "参保单位": employer_name,
                "参保单位统一社会信用代码": employer_code,
                "更新时间": seen_text,
            }
        else:  # community_visit
            person_type = text_of(person_types[i])
            use = "出租" if person_type == "流动" else ("自住" if rolls[i, 3] < 0.9 else "经营")
            row = {
                "姓名": text_of(names[i]),
                "身份证号": id_number,
                "手机号": phone,
                "居住地址": address,
                "居住类型": person_type,
                "房屋用途": use,
                "走访日期": seen_text,
            }
        rows.append(row)
    return rows, variants


# ---------------------------------------------------------------------------------------
# Organisations and houses made up from the people


_ORG_FIRST = "东西南北新长永和安兴光建景德福康宁华春泰嘉瑞明青文金龙凤"
_ORG_SECOND = "华安平兴宁园桥湖山河苑林庄阳泉源盛和祥丰德乐顺城"
_INDUSTRIES = ("商贸", "餐饮", "科技", "文化传媒", "建筑工程", "物业管理", "家政服务", "教育咨询")
_ORG_KINDS = (
    # (type label, USCC prefix, name pattern, share)
    ("有限责任公司（自然人投资或控股）", "91", "示范市{stem}{industry}有限公司", 0.55),
    ("股份有限公司", "91", "示范市{stem}{industry}股份有限公司", 0.05),
    ("个体工商户", "92", "示范区{stem}{shop}", 0.35),
    ("农民专业合作社", "93", "示范区{stem}种植专业合作社", 0.05),
)
_SHOPS = ("便利店", "小吃店", "理发店", "五金店", "水果店", "洗衣店", "汽车维修部", "药店")
_ORG_STATUS = (("存续", 0.6), ("在业", 0.3), ("注销", 0.07), ("吊销", 0.03))
_FALLBACK_ROADS = ("和平路", "安华街", "新园胡同", "永泉西路", "康宁大街")


def _roads_of(addresses: Iterable[Any]) -> list[str]:
    roads: list[str] = []
    seen: set[str] = set()
    for text in addresses:
        if blank(text):
            continue
        road = parse_address(str(text)).road
        if road and road not in seen:
            seen.add(road)
            roads.append(road)
        if len(roads) >= 60:
            break
    return roads or list(_FALLBACK_ROADS)


def make_organisations(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    people: pd.DataFrame | None = None,
    district_code: str = "110199",
    observed_at: date = OBSERVED_AT,
) -> pd.DataFrame:
    """``count`` organisations of the demo district with valid credit codes (truth)."""
    rng = np.random.default_rng([seed, 0x0C0])
    adults = None
    if people is not None and len(people):
        births = pd.to_datetime(people["birth_date"], errors="coerce")
        adults = people[births < pd.Timestamp(observed_at) - pd.DateOffset(years=22)]
    roads = _roads_of(people["address"] if people is not None else [])
    shares = np.array([k[3] for k in _ORG_KINDS])
    kinds = rng.choice(len(_ORG_KINDS), size=count, p=shares / shares.sum())
    records: list[dict[str, Any]] = []
    names: set[str] = set()
    codes: set[str] = set()
    for i in range(count):
        label, prefix, pattern, _share = _ORG_KINDS[int(kinds[i])]
        for _attempt in range(50):
            stem = str(rng.choice(list(_ORG_FIRST))) + str(rng.choice(list(_ORG_SECOND)))
            name = pattern.format(
                stem=stem,
                industry=str(rng.choice(list(_INDUSTRIES))),
                shop=str(rng.choice(list(_SHOPS))),
            )
            if name not in names:
                break
        else:
            name = f"{name}{i}"
        names.add(name)
        while True:
            org_code = "".join(rng.choice(list(USCC_ALPHABET[:10]), size=6)) + "".join(
                rng.choice(list(USCC_ALPHABET), size=3)
            )
            body = prefix + district_code + org_code
            code = body + uscc_check_char(body)
            if code not in codes:
                codes.add(code)
                break
        if adults is not None and len(adults):
            rep = adults.iloc[int(rng.integers(0, len(adults)))]
            legal_rep, rep_phone = str(rep["name"]), text_of(rep.get("phone"))
        else:
            legal_rep, rep_phone = f"法人{i}", ""
        phone = rep_phone or f"010-6{int(rng.integers(0, 10**7)):07d}"
        if rng.random() < 0.3:
            phone = f"010-{int(rng.integers(6, 9))}{int(rng.integers(0, 10**7)):07d}"
        road = roads[int(rng.integers(0, len(roads)))]
        address = f"北京市示范区{road}{int(rng.integers(1, 200))}号"
        if rng.random() < 0.5:
            address += f"{int(rng.integers(1, 25))}号楼1层{int(rng.integers(1, 9)) + 100}室"
        founded = observed_at - timedelta(days=int(rng.integers(60, 25 * 365)))
        status_p = np.array([s[1] for s in _ORG_STATUS])
        status = _ORG_STATUS[int(rng.choice(len(_ORG_STATUS), p=status_p))][0]
        records.append(
            {
                "entity_id": i,
                "org_name": name,
                "uscc": code,
                "legal_rep": legal_rep,
                "phone": phone,
                "address": address,
                "org_type": label,
                "org_status": status,
                "founded_on": founded.isoformat(),
            }
        )
    return pd.DataFrame.from_records(records)


_HOUSE_USES = (("自住", 0.72), ("出租", 0.2), ("经营", 0.03), ("空置", 0.05))


def make_houses(
    people: pd.DataFrame, *, seed: int = DEFAULT_SEED, observed_at: date = OBSERVED_AT
) -> pd.DataFrame:
    """One row per distinct home of ``people`` (address, use, area, owner)."""
    rng = np.random.default_rng([seed, 0x40E])
    homes = people.dropna(subset=["address"]).drop_duplicates("address", keep="first")
    n = len(homes)
    uses = np.array([u[0] for u in _HOUSE_USES])
    use_p = np.array([u[1] for u in _HOUSE_USES])
    area = np.round(rng.normal(85, 25, n).clip(25, 260), 1)
    registered = [
        (observed_at - timedelta(days=int(d))).isoformat() for d in rng.integers(30, 20 * 365, n)
    ]
    return pd.DataFrame(
        {
            "entity_id": np.arange(n),
            "address": homes["address"].to_numpy(),
            "house_use": uses[rng.choice(len(uses), size=n, p=use_p)],
            "area_m2": area,
            "owner_name": homes["name"].to_numpy(),
            "registered_on": registered,
        }
    )


def organisation_rows(
    frame: pd.DataFrame, rng: np.random.Generator
) -> tuple[list[Row], dict[int, str]]:
    rows: list[Row] = []
    variants: dict[int, str] = {}
    for i, org in enumerate(frame.itertuples(index=False)):
        founded: Any = date.fromisoformat(str(org.founded_on))
        roll = rng.random()
        if roll < 0.04:
            # an Excel serial number typed as a plain number
            founded, variants[i] = (founded - date(1899, 12, 30)).days, "date_serial"
        elif roll < 0.08:
            founded, variants[i] = f"{founded.year}年{founded.month}月{founded.day}日", "date_text"
        rows.append(
            {
                "企业名称": org.org_name,
                "统一社会信用代码": org.uscc,
                "法定代表人": org.legal_rep,
                "联系电话": org.phone,
                "住所": org.address,
                "企业类型": org.org_type,
                "登记状态": org.org_status,
                "成立日期": founded,
            }
        )
    return rows, variants


def house_rows(frame: pd.DataFrame) -> list[Row]:
    return [
        {
            "房屋地址": house.address,
            "房屋用途": house.house_use,
            "建筑面积": f"{house.area_m2:.1f}",
            "产权人": house.owner_name,
            "登记日期": format_date(date.fromisoformat(str(house.registered_on)), "dots"),
        }
        for house in frame.itertuples(index=False)
    ]
