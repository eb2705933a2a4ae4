"""demo.registry_files: the department files of the demo district, their dirt and their truth."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from grassroots.demo.registry_files import (
    DIRT,
    DUPLICATE,
    FORMATS,
    HEADERS,
    PERSON_SOURCES,
    REQUIRED,
    RegistryFiles,
    make_houses,
    make_organisations,
    row_codes,
    write_demo_registry_files,
    write_registry_files,
)
from grassroots.registry.sources import spec_for
from grassroots.registry.validators import id_check_char

TODAY = date(2025, 1, 1)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋"


def small_people(n: int = 80) -> pd.DataFrame:
    """A hand-made population with valid ID numbers (no noise of its own)."""
    rows = []
    for i in range(n):
        birth = date(1940, 1, 1) + timedelta(days=397 * i)
        male = i % 2 == 0
        home = f"北京市示范区和平路{i % 20 + 1}号{i % 5 + 1}号楼{i % 3 + 1}单元{i % 9 + 1}01室"
        body = f"110199{birth:%Y%m%d}{(i * 2 + (1 if male else 0)) % 1000:03d}"
        rows.append(
            {
                "person_id": i,
                "name": SURNAMES[i % 10] + GIVEN[(i // 10) % 10] + GIVEN[i % 7],
                "sex": "M" if male else "F",
                "birth_date": birth.isoformat(),
                "id_number": body + id_check_char(body),
                "phone": f"138{i:08d}",
                "address": home,
                "household_address": home,
                "ethnicity": "汉族" if i % 7 else "回族",
                "household_no": f"1{i // 3:08d}",
                "relation_to_head": ("户主", "配偶", "子女")[i % 3],
                "person_type": ("户籍", "常住", "流动")[i % 3],
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> RegistryFiles:
    people = small_people()
    extracts = {key: people.copy() for key in PERSON_SOURCES}
    return write_registry_files(
        tmp_path_factory.mktemp("registry_files"),
        extracts,
        seed=11,
        people=people,
        organisations=make_organisations(40, seed=11, people=people),
        dirt=0.1,
        observed_at=TODAY,
    )


def read_rows(path: Path, encoding: str) -> tuple[list[str], list[list[object]]]:
    if path.suffix == ".xlsx":
        sheet = load_workbook(path).worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        return [str(h) for h in values[0]], values[1:]
    text = path.read_bytes().decode(encoding)
    table = list(csv.reader(io.StringIO(text, newline="")))
    return table[0], table[1:]


def test_every_source_is_written_with_exactly_its_headers(written):
    assert set(written.files) == set(HEADERS)
    for key, registry_file in written.files.items():
        headers, rows = read_rows(registry_file.path, registry_file.encoding or "utf-8")
        assert tuple(headers) == HEADERS[key]
        assert len(rows) == registry_file.truth.rows
        # the importer's contract knows every header, and every required one is there
        spec = spec_for(key)
        assert set(headers) <= set(spec.headers)
        assert set(spec.required_headers) <= set(headers)
        assert set(spec.required_headers) == set(REQUIRED[key])


def test_encodings_and_formats(written):
    public = written.files["public_security"].path.read_bytes()
    assert written.files["public_security"].encoding == "gbk"
    with pytest.raises(UnicodeDecodeError):
        public.decode("utf-8")
    assert public.decode("gbk").startswith("姓名,性别")
    civil = written.files["civil_affairs"].path.read_bytes()
    assert civil.startswith(b"\xef\xbb\xbf")
    for key in ("social_security", "community_visit", "housing"):
        data = written.files[key].path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")
    market = written.files["market_regulation"]
    assert market.file_format == "xlsx"
    assert market.path.read_bytes().startswith(b"PK")
    assert FORMATS["market_regulation"].file_format == "xlsx"


def test_every_kind_of_dirt_is_present_and_explained(written):
    for key, registry_file in written.files.items():
        truth = registry_file.truth
        kinds = set(truth.injected.values())
        assert set(DIRT[key]) <= kinds, (key, kinds)
        assert DUPLICATE in kinds
        for row, kind in truth.injected.items():
            if kind == DUPLICATE:
                assert row in truth.duplicates
                continue
            assert row in truth.rejects, (key, row, kind)
            assert kind in truth.rejects[row], (key, row, kind, truth.rejects[row])
        # a few percent, not most of the file
        assert len(truth.rejects) < truth.rows * 0.3


def test_dirty_cells_are_what_the_truth_says(written):
    for key, registry_file in written.files.items():
        headers, rows = read_rows(registry_file.path, registry_file.encoding or "utf-8")
        truth = registry_file.truth
        for row, kind in truth.injected.items():
            cells = dict(zip(headers, rows[row], strict=True))
            if kind == DUPLICATE:
                assert rows[row] == rows[truth.duplicates[row]]
                continue
            value = cells[DIRT[key][kind]]
            if kind == "required":
                assert value in ("", None)
            elif kind == "formula":
                assert str(value).startswith(("=", "@"))
        # rows not in the truth's rejects are valid by the registry's validators
        for index, cells in enumerate(rows):
            mapping = {h: ("" if v is None else v) for h, v in zip(headers, cells, strict=True)}
            codes = row_codes(key, mapping, today=TODAY)
            assert bool(codes) == (index in truth.rejects), (key, index, codes)


def test_variants_are_accepted(written):
    """Unusual but valid spellings (+86 phones, lower-case x, 15-digit IDs, other date
    formats, 汉) are not rejects."""
    kinds = set()
    for registry_file in written.files.values():
        truth = registry_file.truth
        kinds |= set(truth.variants.values())
        assert not set(truth.variants) & set(truth.rejects)
    assert {"phone_international", "date_iso", "id_15_digits"} <= kinds


def test_xlsx_formula_is_a_real_formula_and_dates_are_cells(written):
    path = written.files["market_regulation"].path
    truth = written.files["market_regulation"].truth
    sheet = load_workbook(path).worksheets[0]
    (formula_row,) = [row for row, kind in truth.injected.items() if kind == "formula"]
    cell = sheet.cell(row=formula_row + 2, column=1)
    assert cell.data_type == "f"
    founded = [sheet.cell(row=r, column=8).value for r in range(2, sheet.max_row + 1)]
    assert any(isinstance(v, date) for v in founded)


def test_truth_names_the_person_of_every_row(written):
    truth = written.files["public_security"].truth
    assert len(truth.entity_ids) == truth.rows
    assert set(truth.entity_ids) == set(range(80))


def test_wrong_columns_example_matches_no_required_column(written):
    path = written.wrong_columns
    assert path.parent.name == "examples"
    headers = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    mapping = spec_for("civil_affairs").header_map()
    from grassroots.registry.sources import normalise_header

    found = {mapping[normalise_header(h)] for h in headers if normalise_header(h) in mapping}
    required = {c.field for c in spec_for("civil_affairs").columns if c.required}
    assert required - found  # the importer refuses the file: required columns are missing


def test_deterministic_from_the_seed(tmp_path):
    people = small_people(40)
    extracts = {"public_security": people, "civil_affairs": people}
    first = write_registry_files(tmp_path / "a", extracts, seed=5, people=people, dirt=0.1)
    again = write_registry_files(tmp_path / "b", extracts, seed=5, people=people, dirt=0.1)
    other = write_registry_files(tmp_path / "c", extracts, seed=6, people=people, dirt=0.1)
    for key in ("public_security", "civil_affairs", "housing"):
        assert first.files[key].path.read_bytes() == again.files[key].path.read_bytes()
        assert first.files[key].truth == again.files[key].truth
    assert (
        read_rows(first.files["market_regulation"].path, "")[1]
        == (read_rows(again.files["market_regulation"].path, "")[1])
    )
    assert (
        first.files["public_security"].path.read_bytes()
        != other.files["public_security"].path.read_bytes()
    )


def test_sources_without_data_are_not_written(tmp_path):
    result = write_registry_files(tmp_path, {"civil_affairs": small_people(30)}, seed=1)
    assert set(result.files) == {"civil_affairs"}
    with pytest.raises(ValueError):
        write_registry_files(tmp_path, {"market_regulation": small_people(3)}, seed=1)


def test_made_up_organisations_and_houses_are_valid():
    people = small_people(60)
    organisations = make_organisations(30, seed=3, people=people)
    assert organisations["uscc"].is_unique
    assert organisations["org_name"].is_unique
    assert organisations["uscc"].str[2:8].eq("110199").all()
    houses = make_houses(people, seed=3)
    assert houses["address"].is_unique
    assert len(houses) == people["address"].nunique()


def test_blank_or_dirty_extract_values_count_as_rejects(tmp_path):
    """The extract's own noise (a mistyped ID, a missing ID where it is required) is in the
    truth as well, with the codes the validators give."""
    people = small_people(30)
    noisy = people.copy()
    number = noisy.loc[3, "id_number"]
    noisy.loc[3, "id_number"] = number[:15] + str((int(number[15]) + 1) % 10) + number[16:]
    noisy.loc[4, "id_number"] = None
    result = write_registry_files(tmp_path, {"civil_affairs": noisy}, seed=2, dirt=0.0)
    truth = result.files["civil_affairs"].truth
    assert truth.injected == {}
    assert set(truth.rejects) == {3, 4}
    assert truth.rejects[4] == ("required",)
    assert truth.rejects[3][0].startswith("id_")


def importer_verdicts(registry_file) -> tuple[set[int], set[int]]:
    """Rows the registry importer rejects and rows it takes for repeats."""
    importer = pytest.importorskip("grassroots.registry.importer")
    spec = spec_for(registry_file.source)
    table = importer.read_table(registry_file.path)
    assert table.headers == list(HEADERS[registry_file.source])
    assert len(table.rows) == registry_file.truth.rows
    mapping = importer.map_headers(spec, table.headers)
    validator = importer.RowValidator(
        spec, mapping, table.headers, default_observed_at=TODAY, today=TODAY
    )
    rejected, repeated = set(), set()
    for index, (number, cells) in enumerate(zip(table.row_numbers, table.rows, strict=True)):
        assert number == index + 2  # the truth's row + 2 is the spreadsheet row
        result = validator.validate(number, cells)
        if isinstance(result, importer.RejectedRow):
            rejected.add(index)
        elif validator.duplicate_of(result) is not None:
            repeated.add(index)
    return rejected, repeated


def test_the_importer_finds_what_the_truth_says(written):
    for key, registry_file in written.files.items():
        rejected, repeated = importer_verdicts(registry_file)
        assert rejected == set(registry_file.truth.rejects), key
        assert repeated == set(registry_file.truth.duplicates), key


@pytest.mark.slow
def test_demo_files_from_the_population(tmp_path):
    result = write_demo_registry_files(tmp_path, people=600, seed=7)
    assert set(result.files) == set(HEADERS)
    for registry_file in result.files.values():
        truth = registry_file.truth
        assert truth.rows > 0
        assert 0 < len(truth.rejects) < truth.rows * 0.2
        # the population's own noise (mistyped IDs, repeats) and the dirt, as the importer
        # sees them
        rejected, repeated = importer_verdicts(registry_file)
        assert rejected == set(truth.rejects), registry_file.source
        assert repeated == set(truth.duplicates), registry_file.source
    person_ids = set(result.files["public_security"].truth.entity_ids)
    assert person_ids - {None}
