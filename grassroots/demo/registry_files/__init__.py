"""The demo district's department files: what each department would send the base database.

``write_registry_files(directory, extracts, seed=...)`` writes one file per source in the
formats of the registry's source contract (``grassroots.registry.sources``; exactly the
headers of docs REGISTRY "Department file formats"), from per-source DataFrames of noisy
extracts (``grassroots.demo.population.source_extracts``: ``name, sex, birth_date,
id_number, phone, address, ethnicity, household_no, relation_to_head, person_type,
household_address, person_id``; missing columns are left blank). Organisations (market
regulation) and houses (housing) are made up from the people when not given.

Each file looks like a real export:

============== =================== ==============================================
source          file                 encoding / dates
============== =================== ==============================================
公安户籍        public_security.csv  GBK (GB18030 if a name needs it); 19900105
民政            civil_affairs.csv    UTF-8 with BOM; 2024/3/5
人社            social_security.csv  UTF-8; 2024-03-05 10:21:33
社区走访        community_visit.csv  UTF-8; 2024年3月5日
市场监管        market_regulation.xlsx  Excel date cells (a few serial numbers)
住建            housing.csv          UTF-8; 2024.03.05
============== =================== ==============================================

and carries realistic dirt at a few percent of rows (``dirt``), one problem per dirty row:
a bad ID check digit, an impossible birth date inside an ID number, an impossible date, a
broken phone number, a bad credit code (check character or a forbidden letter), a blank
required cell, a cell with an Excel formula (a real formula in the XLSX file), and exact
duplicated rows; plus accepted variants (``+86 138-1234-5678``, a lower-case ``x``, other
date spellings, ``汉`` for 汉族). ``examples/civil_affairs_wrong_columns.csv`` is a file
whose columns match no source, kept apart.

The result says, for tests, which rows are dirty and why (:class:`FileTruth`): the injected
dirt and the rows that the extracts' own noise makes invalid (a mistyped ID number, a blank
required cell), with the reject codes an importer using ``registry.validators`` gives.
Rows are numbered from 0 in data order; the spreadsheet row is ``row + 2``. Everything is
deterministic from ``seed``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grassroots.registry.validators import id_check_char

from .dirt import add_dirt, make_truth, row_codes
from .formats import (
    DEFAULT_SEED,
    DIRT,
    DUPLICATE,
    FORMATS,
    HEADERS,
    OBSERVED_AT,
    PERSON_SOURCES,
    REQUIRED,
    SOURCE_ORDER,
    FileTruth,
    RegistryFile,
    RegistryFiles,
    Row,
    blank,
    text_of,
)
from .rows import (
    house_rows,
    ids_of,
    make_houses,
    make_organisations,
    organisation_rows,
    person_rows,
)

__all__ = [
    "DEFAULT_SEED",
    "DIRT",
    "DUPLICATE",
    "FORMATS",
    "HEADERS",
    "OBSERVED_AT",
    "PERSON_SOURCES",
    "REQUIRED",
    "SOURCE_ORDER",
    "FileTruth",
    "RegistryFile",
    "RegistryFiles",
    "make_houses",
    "make_organisations",
    "row_codes",
    "write_demo_registry_files",
    "write_registry_files",
    "write_wrong_columns_example",
]

# ---------------------------------------------------------------------------------------
# Writing


def _csv_text(headers: tuple[str, ...], rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([text_of(row.get(h)) for h in headers])
    return buffer.getvalue()


def _write_csv(path: Path, headers: tuple[str, ...], rows: list[Row], encoding: str) -> str:
    text = _csv_text(headers, rows)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        if encoding != "gbk":
            raise
        encoding, data = "gb18030", text.encode("gb18030")  # a name GBK cannot write
    path.write_bytes(data)
    return encoding


def _write_xlsx(path: Path, headers: tuple[str, ...], rows: list[Row]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业登记信息"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([None if blank(row.get(h)) else row.get(h) for h in headers])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
    fixed = datetime(2025, 1, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.save(path)


def write_wrong_columns_example(path: Path) -> Path:
    """A civil affairs export whose columns were renamed: no required column is found."""
    headers = ("序号", "人员姓名", "公民证件", "家庭住址", "救助类别", "更新日期")
    rows = [
        (
            "1",
            "张伟",
            "11019919900101123" + id_check_char("11019919900101123"),
            "和平路1号",
            "低保",
            "2024/3/5",
        ),
        ("2", "王芳", "", "和平路2号3号楼1单元101室", "特困供养", "2024/3/6"),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_registry_files(
    directory: Path | str,
    extracts: Mapping[str, pd.DataFrame],
    *,
    seed: int = DEFAULT_SEED,
    people: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
    houses: pd.DataFrame | None = None,
    dirt: float = 0.03,
    observed_at: date = OBSERVED_AT,
) -> RegistryFiles:
    """Write the department files of the demo district into ``directory`` (module doc).

    ``extracts`` holds the person sources' extracts (any of ``PERSON_SOURCES``).
    ``organisations`` (columns as :func:`make_organisations` returns) and ``houses`` (as
    :func:`make_houses`) are made up from ``people`` when not given; without ``people``
    either, those files are not written. ``dirt`` is the share of rows spoiled.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    unknown = set(extracts) - set(PERSON_SOURCES)
    if unknown:
        raise ValueError(f"not person sources: {', '.join(sorted(unknown))}")
    if organisations is None and people is not None:
        organisations = make_organisations(
            max(10, len(people) // 30), seed=seed, people=people, observed_at=observed_at
        )
    if houses is None and people is not None:
        houses = make_houses(people, seed=seed, observed_at=observed_at)
    files: dict[str, RegistryFile] = {}
    for number, source in enumerate(SOURCE_ORDER):
        rng = np.random.default_rng([seed, 0x5EC, number])
        variants: dict[int, str] = {}
        if source in PERSON_SOURCES:
            if source not in extracts:
                continue
            frame = extracts[source].reset_index(drop=True)
            rows, variants = person_rows(source, frame, rng, observed_at, organisations)
            ids = ids_of(frame)
        elif source == "market_regulation":
            if organisations is None:
                continue
            rows, variants = organisation_rows(organisations, rng)
            ids = ids_of(organisations)
        else:
            if houses is None:
                continue
            rows, ids = house_rows(houses), ids_of(houses)
        cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        rows, ids, injected, _repeats = add_dirt(source, rows, ids, rng, dirt, observed_at, cache)
        variants = _shift_variants(variants, injected, len(rows))
        spec = FORMATS[source]
        path = folder / spec.filename
        headers = HEADERS[source]
        if spec.file_format == "xlsx":
            _write_xlsx(path, headers, rows)
            encoding = ""
        else:
            encoding = _write_csv(path, headers, rows, spec.encoding)
        files[source] = RegistryFile(
            source=source,
            path=path,
            file_format=spec.file_format,
            encoding=encoding,
            headers=headers,
            truth=make_truth(source, rows, ids, injected, variants, observed_at, cache),
        )
    wrong = write_wrong_columns_example(folder / "examples" / "civil_affairs_wrong_columns.csv")
    return RegistryFiles(directory=folder, files=files, wrong_columns=wrong)


def _shift_variants(
    variants: dict[int, str], injected: dict[int, str], rows: int
) -> dict[int, str]:
    """Variant row numbers after the repeats were inserted (repeats and dirty rows keep
    none)."""
    if not variants:
        return {}
    shifted: dict[int, str] = {}
    original = 0
    for position in range(rows):
        if injected.get(position) == DUPLICATE:
            continue
        if original in variants and position not in injected:
            shifted[position] = variants[original]
        original += 1
    return shifted


def write_demo_registry_files(
    directory: Path | str,
    *,
    people: int = 2000,
    seed: int = DEFAULT_SEED,
    dirt: float = 0.03,
) -> RegistryFiles:
    """Generate ``people`` residents (``demo.population``) and write every source's file."""
    from grassroots.demo import population

    crowd = population.generate_people(people, seed)
    extracts = population.source_extracts(crowd, seed)
    return write_registry_files(
        directory,
        {k: v for k, v in extracts.items() if k in PERSON_SOURCES},
        seed=seed,
        people=crowd,
        dirt=dirt,
    )
