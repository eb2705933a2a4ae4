"""The data steward's pages through HTTP: overview, upload → batch (progress, results,
reasons, rejects file, re-submission), whole-file refusal, and who may open them.

Masking and ``Cache-Control: no-store`` are checked on every page that shows personal data.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grassroots.audit.models import AuditEvent
from grassroots.registry.choices import ImportStatus
from grassroots.registry.models import ImportBatch, SourceRecord
from tests.registry.factories import (
    ImportBatchFactory,
    ImportRejectFactory,
    SourceRecordFactory,
    source,
    valid_id_number,
)

from .test_pages_world import ID_1, html_of, make_world

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "性别", "出生日期", "公民身份号码", "户籍地址", "人员类型", "登记日期"]
GOOD_ID = ID_1
BAD_ID = ID_1[:-1] + ("0" if ID_1[-1] != "0" else "1")  # wrong check character


def _csv(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _rows() -> list[list[str]]:
    address = "北京市东城区和平街道幸福路8号3号楼1单元502室"
    return [
        ["张建国", "男", GOOD_ID[6:14], GOOD_ID, address, "户籍", "2024-03-05"],
        ["李秀英", "女", "", BAD_ID, address, "户籍", "2024-03-05"],
        ["王小明", "男", "", "12345", address, "户籍", "2024-03-05"],
    ]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """POST a file to the upload form; the import job queued when the upload commits runs
    at once (Huey runs inline in tests)."""

    def post(
        client, content: bytes, *, name: str = "户籍.csv", key: str = "public_security", **extra
    ):
        data = {"source": source(key).pk, "file": SimpleUploadedFile(name, content, "text/csv")}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/registry/imports/", {**data, **extra})

    return post


# --- overview -----------------------------------------------------------------------------------


def test_overview_counts_sources_and_queue(client, world):
    ImportBatchFactory(source=source("civil_affairs"), uploaded_by=world.steward)
    client.force_login(world.steward)
    response = client.get("/registry/")
    assert response.status_code == 200
    html = html_of(response)
    assert 'data-count="people">4<' in html
    assert 'data-count="houses">3<' in html
    assert 'data-count="organisations">1<' in html
    assert 'data-count="facilities">1<' in html
    assert 'data-source="civil_affairs"' in html and "已完成" in html
    assert 'id="review-size"' in html


def test_overview_counts_only_what_the_steward_may_see(client, world):
    client.force_login(world.community_steward)
    html = html_of(client.get("/registry/"))
    assert 'data-count="people">3<' in html  # not the other community's resident
    assert 'data-count="houses">2<' in html


def test_overview_counts_rows_waiting_for_resolution_and_runs_it(
    client, world, django_capture_on_commit_callbacks
):
    SourceRecordFactory(person=None, grid=world.grid, name="新来的人")
    SourceRecordFactory(person=None, grid=world.other_grid, name="别处的人")
    client.force_login(world.community_steward)
    assert 'data-count="unresolved">1<' in html_of(client.get("/registry/"))
    client.force_login(world.steward)
    assert 'data-count="unresolved">2<' in html_of(client.get("/registry/"))
    assert client.get("/registry/resolve/").status_code == 405
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/registry/resolve/")
    assert response.status_code == 302 and response["Location"] == "/registry/"
    assert len(queued) == 1  # the resolution job, queued when the request commits
    assert AuditEvent.objects.filter(
        action="registry.resolve_requested", actor=world.steward
    ).exists()


@pytest.mark.parametrize(
    "who", ["grid_worker", "dispatcher", "leader", "operator", "handler", "resident"]
)
def test_steward_pages_refuse_other_roles(client, world, who):
    batch = ImportBatchFactory(uploaded_by=world.steward)
    client.force_login(getattr(world, who))
    for url in (
        "/registry/",
        "/registry/imports/",
        f"/registry/imports/{batch.pk}/",
        f"/registry/imports/{batch.pk}/progress/",
        f"/registry/imports/{batch.pk}/rejects.csv",
        "/registry/review/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "您的角色不能使用基础数据库的这个页面" in html_of(response)
    assert client.post("/registry/resolve/").status_code == 403
    assert not AuditEvent.objects.filter(action="registry.resolve_requested").exists()


def test_signed_out_goes_to_login(client):
    response = client.get("/registry/imports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- upload and batch ---------------------------------------------------------------------------


def test_upload_imports_the_good_rows_and_lists_the_rejects(client, world, upload):
    client.force_login(world.steward)
    response = upload(client, _csv(_rows()))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/imports/{batch.pk}/"
    assert batch.status == ImportStatus.DONE, batch.error
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 2)
    assert SourceRecord.objects.filter(batch=batch).count() == 1

    response = client.get(response["Location"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    assert 'data-count="accepted">1<' in html and 'data-count="rejected">2<' in html
    assert 'id="reason-summary"' in html and 'id="rejects"' in html
    assert "身份证号校验码不正确" in html and "身份证号位数不对" in html  # in general words
    assert 'id="download-rejects"' in html and 'id="resubmit"' in html
    assert 'hx-get="' not in html  # finished: no polling
    # the rejected rows show masked: no full ID number on the page
    assert BAD_ID not in html and GOOD_ID not in html
    assert BAD_ID[:6] + "********" + BAD_ID[-4:] in html


def test_progress_fragment_polls_until_done_then_reloads(client, world):
    running = ImportBatchFactory(
        uploaded_by=world.steward,
        status=ImportStatus.IMPORTING,
        total_rows=200,
        processed_rows=50,
    )
    client.force_login(world.steward)
    page = html_of(client.get(f"/registry/imports/{running.pk}/"))
    assert f'hx-get="/registry/imports/{running.pk}/progress/"' in page
    assert 'value="25"' in page and "50 / 200" in page

    fragment = client.get(f"/registry/imports/{running.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'hx-trigger="every 1s"' in html_of(fragment)
    assert fragment["Cache-Control"] == "no-store"

    ImportBatch.objects.filter(pk=running.pk).update(
        status=ImportStatus.DONE, processed_rows=200, accepted_rows=200
    )
    done = client.get(f"/registry/imports/{running.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_wrong_columns_refuse_the_whole_file_with_one_message(client, world, upload):
    client.force_login(world.steward)
    response = upload(client, _csv([["张三", "13812345678"]], header=["名字", "手机"]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED and batch.error
    assert not SourceRecord.objects.filter(batch=batch).exists()
    html = html_of(client.get(response["Location"]))
    assert 'id="refused"' in html and "整个文件未导入" in html
    assert batch.error in html
    assert f"?resubmit={batch.pk}" in html


def test_gbk_file_is_read(client, world, upload):
    client.force_login(world.steward)
    upload(client, _csv(_rows()[:1], encoding="gbk"))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.DONE and batch.accepted_rows == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "文件是空的"),
        (b"PK\x03\x04", "a.xls", "只接受 CSV 或 Excel"),
        (b"a,b\n", "a.txt", "只接受 CSV 或 Excel"),
    ],
)
def test_bad_uploads_are_400_and_write_nothing(client, world, upload, content, name, message):
    client.force_login(world.steward)
    response = upload(client, content, name=name)
    assert response.status_code == 400
    assert message in html_of(response)
    assert not ImportBatch.objects.exists()


def test_upload_without_a_source_is_400(client, world):
    client.force_login(world.steward)
    response = client.post(
        "/registry/imports/", {"file": SimpleUploadedFile("a.csv", _csv(_rows()), "text/csv")}
    )
    assert response.status_code == 400 and "请选择数据来源" in html_of(response)
    assert not ImportBatch.objects.exists()


def test_too_big_upload_is_refused(client, world, upload, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    client.force_login(world.steward)
    response = upload(client, _csv(_rows()))
    assert response.status_code == 400 and "上限" in html_of(response)
    assert not ImportBatch.objects.exists()


def test_rejects_file_has_the_full_values_and_is_audited(client, world, upload):
    client.force_login(world.steward)
    upload(client, _csv(_rows()))
    batch = ImportBatch.objects.get()
    response = client.get(f"/registry/imports/{batch.pk}/rejects.csv")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert BAD_ID in text and "错误原因" in text
    assert AuditEvent.objects.filter(
        action="registry.rejects_download", actor=world.steward, target_id=str(batch.pk)
    ).exists()


def test_resubmission_links_the_corrected_file_to_the_first(client, world, upload):
    client.force_login(world.steward)
    upload(client, _csv(_rows()))
    first = ImportBatch.objects.get()
    form = html_of(client.get(f"/registry/imports/?resubmit={first.pk}"))
    assert f'name="resubmission_of" value="{first.pk}"' in form
    assert "重新提交更正后的文件" in form
    corrected = _rows()[1:2]
    corrected[0][3] = valid_id_number(region="110105", sequence=778)  # even: a woman's
    response = upload(client, _csv(corrected), name="fixed.csv", resubmission_of=first.pk)
    second = ImportBatch.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302
    assert second.resubmission_of_id == first.pk and second.accepted_rows == 1
    assert "fixed.csv" in html_of(client.get(f"/registry/imports/{first.pk}/"))


def test_batches_of_another_subtree_are_404(client, world):
    other = ImportBatchFactory(uploaded_by=world.other_dispatcher)
    client.force_login(world.community_steward)
    assert client.get(f"/registry/imports/{other.pk}/").status_code == 404
    assert client.get(f"/registry/imports/{other.pk}/progress/").status_code == 404
    assert client.get(f"/registry/imports/{other.pk}/rejects.csv").status_code == 404
    client.force_login(world.steward)  # the district's steward sees it
    assert client.get(f"/registry/imports/{other.pk}/").status_code == 200


def test_reject_rows_are_paginated(client, world):
    batch = ImportBatchFactory(uploaded_by=world.steward, rejected_rows=60)
    for _ in range(60):
        ImportRejectFactory(batch=batch)
    client.force_login(world.steward)
    first = html_of(client.get(f"/registry/imports/{batch.pk}/"))
    assert first.count("data-row=") == 50 and "page=2" in first
    second = html_of(client.get(f"/registry/imports/{batch.pk}/?page=2"))
    assert second.count("data-row=") == 10


def test_the_import_report_is_said_in_sentences(client, world):
    batch = ImportBatchFactory(
        uploaded_by=world.steward,
        accepted_rows=10,
        duplicate_rows=3,
        report={
            "duplicates_in_file": 2,
            "already_imported": 1,
            "houses_created": 4,
            "unknown_columns": ["备注", "联系人"],
        },
    )
    client.force_login(world.steward)
    html = html_of(client.get(f"/registry/imports/{batch.pk}/"))
    assert "文件内重复的行 2 行" in html and "与以前导入的内容相同的行 1 行" in html
    assert "新建房屋 4 处" in html and "备注、联系人" in html


def test_phone_numbers_in_rejected_rows_are_masked(client, world):
    batch = ImportBatchFactory(uploaded_by=world.steward, rejected_rows=1)
    ImportRejectFactory(batch=batch, raw={"姓名": "张三", "手机号": "13812345678"})
    client.force_login(world.steward)
    html = html_of(client.get(f"/registry/imports/{batch.pk}/"))
    assert "13812345678" not in html and "138****5678" in html


def test_imports_page_lists_batches_and_the_expected_columns(client, world):
    ImportBatchFactory(uploaded_by=world.steward, original_name="民政2024.xlsx")
    client.force_login(world.steward)
    html = html_of(client.get("/registry/imports/"))
    assert "民政2024.xlsx" in html
    assert "公民身份号码" in html and "rg-required" in html
    assert 'data-max-bytes="' in html


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_overview_and_imports_queries_do_not_grow_with_rows(client, world):
    client.force_login(world.steward)
    ImportBatchFactory(source=source("housing"), uploaded_by=world.steward)
    few = {url: _queries(client, url) for url in ("/registry/", "/registry/imports/")}
    for key in ("public_security", "civil_affairs", "market_regulation"):
        for _ in range(3):
            ImportBatchFactory(source=source(key), uploaded_by=world.steward)
    assert {url: _queries(client, url) for url in few} == few


def test_review_queries_do_not_grow_with_the_queue(client, world):
    from tests.registry.factories import MatchCandidateFactory, PersonFactory

    MatchCandidateFactory(left=world.p1, right=world.p2)
    client.force_login(world.steward)
    few = _queries(client, "/registry/review/")
    for _ in range(8):
        MatchCandidateFactory(
            left=PersonFactory(house=world.h1), right=PersonFactory(house=world.h1)
        )
    assert _queries(client, "/registry/review/") == few


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_steward_pages_in_other_languages_and_elderly_mode(client, world, language):
    batch = ImportBatchFactory(uploaded_by=world.steward, rejected_rows=1)
    ImportRejectFactory(batch=batch)
    client.force_login(world.steward)
    client.cookies["gr_lang"] = language
    client.cookies["gr_elderly"] = "1"
    for url in ("/registry/", "/registry/imports/", f"/registry/imports/{batch.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'class="elderly"' in html_of(response)


@pytest.mark.parametrize(
    ("who", "tiles"),
    [
        ("steward", {"/registry/"}),
        ("admin", {"/registry/"}),
        ("grid_worker", {"/registry/houses/"}),
        ("dispatcher", set()),
        ("handler", set()),
        ("resident", set()),
    ],
)
def test_home_tiles(client, world, who, tiles):
    client.force_login(getattr(world, who))
    html = html_of(client.get("/"))
    candidates = ("/registry/", "/registry/houses/")
    shown = {url for url in candidates if f'class="tile" href="{url}"' in html}
    assert shown == tiles


def test_steward_tabs_link_the_sharing_pages_when_installed(client, world):
    from django.urls import NoReverseMatch, reverse

    client.force_login(world.steward)
    html = html_of(client.get("/registry/"))
    try:
        sharing = reverse("registry:sharing")
    except NoReverseMatch:
        assert "数据共享" not in html
    else:
        assert f'href="{sharing}"' in html
