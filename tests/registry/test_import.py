"""Importing department files: whole-file refusals, row validation, all-or-nothing writes,
duplicates, formulas, encodings, the rejects file and its re-submission."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import ValidationFailed
from grassroots.registry import importer, services
from grassroots.registry.choices import ImportStatus
from grassroots.registry.models import House, ImportReject, SourceRecord
from tests.org.factories import UserFactory
from tests.registry.factories import valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


PS_HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "户籍地址",
    "户号",
    "与户主关系",
    "人员类型",
    "登记日期",
]


def ps_row(
    name="张三",
    id_number=None,
    address="北京市东城区和平街道幸福社区幸福路1号1号楼1单元101室",
    **kw,
):
    id_number = id_number or valid_id_number(birth=date(1980, 5, 6), sequence=11)
    row = {
        "姓名": name,
        "性别": "",
        "民族": "汉族",
        "出生日期": "",
        "公民身份号码": id_number,
        "户籍地址": address,
        "户号": "H001",
        "与户主关系": "户主",
        "人员类型": "户籍",
        "登记日期": "2024-03-05",
    }
    row.update(kw)
    return row


def write_csv(path, headers, rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def steward():
    return UserFactory(role="data_steward")


def run(
    tmp_path,
    rows,
    *,
    headers=PS_HEADERS,
    source="public_security",
    user=None,
    encoding="utf-8-sig",
    name="ps.csv",
):
    path = write_csv(tmp_path / name, headers, rows, encoding)
    return services.import_file(source=source, path=path, user=user)


def test_valid_rows_become_records_and_houses(tmp_path, steward):
    rows = [
        ps_row("张三", valid_id_number(sequence=11)),
        ps_row("李四", valid_id_number(sequence=12)),
        ps_row("王五", valid_id_number(sequence=13), address="北京市东城区幸福路2号3号楼2单元501"),
    ]
    batch = run(tmp_path, rows, user=steward)
    assert batch.status == ImportStatus.DONE, batch.error
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (3, 3, 0)
    assert batch.processed_rows == 3
    assert SourceRecord.objects.filter(batch=batch).count() == 3
    assert House.objects.count() == 2
    record = SourceRecord.objects.get(name="张三")
    assert record.sex == "M" and record.birth_date is not None
    assert record.house is not None
    assert AuditEvent.objects.filter(action="registry.import", target_id=str(batch.pk)).exists()


def test_gbk_file_is_read(tmp_path, steward):
    rows = [
        ps_row("欧阳娜娜", valid_id_number(sequence=22)),
        ps_row("曾磊", valid_id_number(sequence=23)),
    ]
    batch = run(tmp_path, rows, user=steward, encoding="gbk")
    assert batch.status == ImportStatus.DONE, batch.error
    assert batch.encoding == "gb18030"
    assert set(SourceRecord.objects.values_list("name", flat=True)) == {"欧阳娜娜", "曾磊"}


def test_gb18030_file_with_rare_characters(tmp_path, steward):
    rows = [ps_row("王䶮", valid_id_number(sequence=24))]
    batch = run(tmp_path, rows, user=steward, encoding="gb18030")
    assert batch.status == ImportStatus.DONE, batch.error
    assert SourceRecord.objects.get().name == "王䶮"


def test_wrong_columns_refuse_the_whole_file(tmp_path, steward):
    headers = ["企业名称", "统一社会信用代码", "住所"]
    batch = run(
        tmp_path,
        [{"企业名称": "某公司", "统一社会信用代码": "x", "住所": "y"}],
        headers=headers,
        user=steward,
    )
    assert batch.status == ImportStatus.FAILED
    assert "姓名" in batch.error and "公民身份号码" in batch.error and "户籍地址" in batch.error
    assert "企业名称" in batch.error  # what the file had
    assert SourceRecord.objects.count() == 0 and ImportReject.objects.count() == 0
    assert AuditEvent.objects.filter(action="registry.import_refused").exists()


def test_aliases_and_extra_columns_are_accepted(tmp_path, steward):
    headers = ["姓名", "身份证号码", "户籍地址", "备注"]
    rows = [
        {
            "姓名": "张三",
            "身份证号码": valid_id_number(sequence=31),
            "户籍地址": "幸福路9号",
            "备注": "x",
        }
    ]
    batch = run(tmp_path, rows, headers=headers, user=steward)
    assert batch.status == ImportStatus.DONE, batch.error
    assert batch.accepted_rows == 1
    assert batch.report["unknown_columns"] == ["备注"]


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "空"),
        (b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d\n", "没有数据"),
        (b"\x00\x01\x02\xff\xfe\x00" * 50, "编码"),
    ],
)
def test_empty_or_undecodable_files_are_refused(tmp_path, steward, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    batch = services.import_file(source="public_security", path=path, user=steward)
    assert batch.status == ImportStatus.FAILED
    assert fragment in batch.error
    assert SourceRecord.objects.count() == 0


def test_too_big_and_too_many_rows(tmp_path, steward, settings):
    rows = [
        ps_row("张三", valid_id_number(sequence=41)),
        ps_row("李四", valid_id_number(sequence=42)),
    ]
    settings.REGISTRY_IMPORT_MAX_ROWS = 1
    batch = run(tmp_path, rows, user=steward, name="a.csv")
    assert batch.status == ImportStatus.FAILED and "上限" in batch.error
    settings.REGISTRY_IMPORT_MAX_ROWS = 100
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    batch = run(tmp_path, rows, user=steward, name="b.csv")
    assert batch.status == ImportStatus.FAILED and "太大" in batch.error
    assert SourceRecord.objects.count() == 0


def test_bad_rows_are_rejected_with_reasons(tmp_path, steward):
    good = valid_id_number(sequence=51)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        ps_row("张三", good),
        ps_row("李四", bad_check),
        ps_row("王五", valid_id_number(sequence=53), 出生日期="2023-02-30"),
        ps_row("", valid_id_number(sequence=54)),
        ps_row("赵六", valid_id_number(sequence=55), 人员类型="外星"),
    ]
    batch = run(tmp_path, rows, user=steward)
    assert batch.status == ImportStatus.DONE
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 4)
    codes = {r.row_number: [x["code"] for x in r.reasons] for r in ImportReject.objects.all()}
    assert codes == {
        3: ["id_checksum"],
        4: ["date_impossible"],
        5: ["required"],
        6: ["person_type_invalid"],
    }
    reject = ImportReject.objects.get(row_number=3)
    assert bad_check not in str(reject.raw)  # masked
    assert "********" in reject.raw["公民身份号码"]
    assert batch.report["reject_codes"]["id_checksum"] == 1


def test_birth_date_must_agree_with_id_number(tmp_path, steward):
    number = valid_id_number(birth=date(1980, 5, 6), sequence=61)
    rows = [
        ps_row("张三", number, 出生日期="1980-05-07"),
        ps_row(
            "李四", valid_id_number(birth=date(1981, 1, 2), sequence=62), 出生日期="1981年1月2日"
        ),
    ]
    batch = run(tmp_path, rows, user=steward)
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 1)
    assert ImportReject.objects.get().reasons[0]["code"] == "id_birth_mismatch"


def test_formulas_are_not_evaluated_but_flagged(tmp_path, steward):
    rows = [
        ps_row('=HYPERLINK("http://x","点我")', valid_id_number(sequence=71)),
        ps_row("张三", valid_id_number(sequence=72), 户号="@SUM(1+1)"),
        ps_row("李四", valid_id_number(sequence=73), 户号="+cmd|' /C calc'!A0"),
        ps_row("王五", valid_id_number(sequence=74), 户号="-"),
    ]
    batch = run(tmp_path, rows, user=steward)
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 3)
    assert all(r.reasons[0]["code"] == "formula" for r in ImportReject.objects.all())
    assert SourceRecord.objects.get().name == "王五"


def test_duplicated_rows_are_imported_once(tmp_path, steward):
    row = ps_row("张三", valid_id_number(sequence=81))
    same_but_spaced = dict(row, 姓名=" 张三 ", 公民身份号码=row["公民身份号码"].lower())
    other = ps_row("李四", valid_id_number(sequence=82))
    batch = run(tmp_path, [row, same_but_spaced, other], user=steward)
    assert (batch.accepted_rows, batch.duplicate_rows, batch.rejected_rows) == (2, 1, 0)
    assert SourceRecord.objects.count() == 2
    # the same file again: nothing new
    again = run(tmp_path, [row, other], user=steward, name="again.csv")
    assert (again.accepted_rows, again.duplicate_rows) == (0, 2)
    assert again.report["already_imported"] == 2
    assert SourceRecord.objects.count() == 2


def test_a_failure_while_writing_leaves_nothing(tmp_path, steward, monkeypatch):
    from grassroots.registry import resolve

    rows = [ps_row(f"张{i}", valid_id_number(sequence=100 + i)) for i in range(30)]
    rows.append(ps_row("坏行", "123"))
    calls = {"n": 0}
    real = resolve.fast_insert

    def flaky(model, objs, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(model, objs, **kwargs)

    monkeypatch.setattr(services, "WRITE_BATCH", 10)
    monkeypatch.setattr(resolve, "fast_insert", flaky)
    batch = run(tmp_path, rows, user=steward)
    assert calls["n"] == 2  # the first ten rows were written, then the disk filled up
    assert batch.status == ImportStatus.FAILED
    assert "没有写入任何数据" in batch.error
    assert SourceRecord.objects.count() == 0
    assert House.objects.count() == 0
    assert ImportReject.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and batch.accepted_rows == 0


def test_xlsx_with_dates_numbers_and_formulas(tmp_path, steward):
    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(PS_HEADERS)
    number = valid_id_number(birth=date(1975, 7, 8), sequence=91)
    ws.append(
        [
            "张三",
            "男",
            "汉",
            datetime(1975, 7, 8),
            number,
            "幸福路3号2号楼101",
            "H9",
            "户主",
            "户籍",
            datetime(2024, 1, 2),
        ]
    )
    ws.append(
        [
            "李四",
            "女",
            "汉族",
            None,
            valid_id_number(sequence=92),
            "幸福路3号2号楼102",
            "H9",
            "户主",
            "户籍",
            "=TODAY()",
        ]
    )
    ws.append(
        [
            "王五",
            "男",
            "汉族",
            None,
            110105197507080000,
            "幸福路3号2号楼103",
            "H9",
            "户主",
            "户籍",
            45000,
        ]
    )
    path = tmp_path / "ps.xlsx"
    wb.save(path)
    batch = services.import_file(source="public_security", path=path, user=steward)
    assert batch.status == ImportStatus.DONE, batch.error
    assert batch.file_format == "xlsx"
    assert batch.accepted_rows == 1
    record = SourceRecord.objects.get()
    assert record.observed_at == date(2024, 1, 2) and record.data["ethnicity"] == "汉族"
    codes = sorted(r.reasons[0]["code"] for r in ImportReject.objects.all())
    assert codes == ["formula", "id_format"]  # an ID stored as a number lost digits


def test_rejects_file_round_trip(tmp_path, steward):
    good = valid_id_number(sequence=201)
    fixed = valid_id_number(sequence=202)
    broken = fixed[:17] + ("0" if fixed[17] != "0" else "1")
    batch = run(tmp_path, [ps_row("张三", good), ps_row("李四", broken)], user=steward)
    assert batch.rejected_rows == 1
    name, content = services.import_rejects_file(batch=batch, user=steward)
    assert name == "ps-rejects.csv" and content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [*PS_HEADERS, "错误原因"]
    assert table[1][4] == broken  # the full value, to correct
    assert "校验码" in table[1][-1]
    assert AuditEvent.objects.filter(action="registry.rejects_download").exists()
    table[1][4] = fixed
    corrected = tmp_path / "fixed.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    corrected.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    again = services.import_file(
        source="public_security", path=corrected, user=steward, resubmission_of=batch
    )
    assert again.status == ImportStatus.DONE, again.error
    assert (again.accepted_rows, again.rejected_rows) == (1, 0)
    assert again.resubmission_of == batch
    assert SourceRecord.objects.filter(name="李四").count() == 1


def test_resubmission_must_be_of_the_same_source(tmp_path, steward):
    batch = run(tmp_path, [ps_row("张三", valid_id_number(sequence=211))], user=steward)
    path = write_csv(tmp_path / "x.csv", ["房屋地址"], [{"房屋地址": "幸福路1号"}])
    with pytest.raises(ValidationFailed):
        services.import_file(source="housing", path=path, user=steward, resubmission_of=batch)


def test_correction_with_source_key_supersedes(tmp_path, steward):
    headers = [*PS_HEADERS, "记录编号"]
    first = run(
        tmp_path,
        [ps_row("张三", valid_id_number(sequence=221), 记录编号="R1")],
        headers=headers,
        user=steward,
    )
    assert first.accepted_rows == 1
    second = run(
        tmp_path,
        [ps_row("张叁", valid_id_number(sequence=221), 记录编号="R1", 登记日期="2024-06-01")],
        headers=headers,
        user=steward,
        name="b.csv",
    )
    assert second.accepted_rows == 1 and second.report["superseded"] == 1
    assert SourceRecord.objects.get(superseded=False).name == "张叁"
    assert SourceRecord.objects.get(superseded=True).name == "张三"


def test_rejects_csv_neutralises_formulas():
    content = importer.rejects_csv(["姓名"], [({"姓名": "=1+1"}, "公式")]).decode("utf-8-sig")
    assert "'=1+1" in content


def test_housing_and_market_regulation_files(tmp_path, steward):
    from grassroots.registry.models import Organisation
    from tests.registry.factories import valid_uscc

    houses = write_csv(
        tmp_path / "h.csv",
        ["房屋地址", "房屋用途", "建筑面积", "产权人", "登记日期"],
        [
            {
                "房屋地址": "幸福路5号1号楼1单元101",
                "房屋用途": "出租",
                "建筑面积": "65.5平方米",
                "产权人": "张三",
                "登记日期": "2024/3/5",
            },
            {
                "房屋地址": "幸福路5号1号楼1单元102",
                "房屋用途": "自住",
                "建筑面积": "-3",
                "产权人": "李四",
                "登记日期": "20240305",
            },
        ],
    )
    batch = services.import_file(source="housing", path=houses, user=steward)
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 1), batch.error
    house = House.objects.get()
    assert (
        house.house_use == "rented" and str(house.area_m2) == "65.50" and house.owner_name == "张三"
    )
    assert house.provenance["area_m2"]["source"] == "housing"
    uscc = valid_uscc()
    orgs = write_csv(
        tmp_path / "o.csv",
        [
            "企业名称",
            "统一社会信用代码",
            "法定代表人",
            "联系电话",
            "住所",
            "企业类型",
            "登记状态",
            "成立日期",
        ],
        [
            {
                "企业名称": "北京幸福商贸有限公司",
                "统一社会信用代码": uscc,
                "法定代表人": "王五",
                "联系电话": "010-65001234",
                "住所": "幸福路5号1号楼1单元101",
                "企业类型": "有限责任公司",
                "登记状态": "存续",
                "成立日期": "2010-01-01",
            },
            {
                "企业名称": "北京幸福商贸有限公司（分店）",
                "统一社会信用代码": uscc[:17] + "0" if uscc[17] != "0" else uscc[:17] + "1",
                "住所": "幸福路5号",
            },
        ],
    )
    batch = services.import_file(source="market_regulation", path=orgs, user=steward)
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 1), batch.error
    org = Organisation.objects.get()
    assert org.uscc == uscc and org.house == house and org.status == "existing"
    assert org.phone_masked.startswith("010") and "65001234" not in org.phone_encrypted
