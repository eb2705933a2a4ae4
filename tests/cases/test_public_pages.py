"""Resident pages through HTTP: report, tracking, rating, reopening, photos, refusals."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from grassroots.cases import photos, services
from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, CasePhoto, TimelineEntry
from grassroots.cases.notify import MemoryBackend
from grassroots.cases.services import REPORTER, Actor, case_submit, case_transition
from grassroots.core.errors import ValidationFailed

from .factories import category, make_world

pytestmark = pytest.mark.django_db

REPORT_URL = "/cases/report/"
DESCRIPTION = "小区门口下水道堵了，污水冒出来"


@pytest.fixture(autouse=True)
def _clean(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return make_world()


def jpeg(size=(320, 240), gps: bool = True) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (39.0, 0.0, 18.0), 3: "E", 4: (116.0, 0.0, 18.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 200, 0)).save(out, format="PNG")
    return out.getvalue()


def form_data(world, **overrides):
    lon, lat = world.point
    data = {
        "lon": str(lon),
        "lat": str(lat),
        "crs": "wgs84",
        "address": "幸福路12号南门",
        "description": DESCRIPTION,
        "category": str(category().pk),
        "name": "王秀英",
        "phone": "138 1234 5678",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts():
    return (Case.objects.count(), TimelineEntry.objects.count(), CasePhoto.objects.count())


def run_commit_hooks(client, capture, *args, **kwargs):
    with capture(execute=True):
        return client.post(*args, **kwargs)


# --- the report page ---------------------------------------------------------------------


def test_report_page_renders_the_four_steps(client, world):
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for marker in ('id="step-where"', 'id="step-what"', 'id="step-photos"', 'id="step-contact"'):
        assert marker in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "下水道堵塞" in html and "<optgroup" in html
    assert 'data-crs="wgs84"' in html
    assert "js/report.js" in html and "vendor/leaflet/leaflet.js" in html


def test_report_without_photos(client, world, django_capture_on_commit_callbacks):
    response = run_commit_hooks(
        client, django_capture_on_commit_callbacks, REPORT_URL, form_data(world)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:report_done")
    case = Case.objects.get()
    assert case.channel == Channel.WEB
    assert case.grid == world.grid and case.community == world.community
    assert case.reporter is None and case.reporter_name == "王秀英"
    assert case.photos.count() == 0
    assert MemoryBackend.outbox[-1].tracking_code == case.tracking_code

    done = client.get(response["Location"])
    assert done.status_code == 200
    html = done.content.decode()
    assert case.tracking_code[:5] in html and case.tracking_code[5:] in html
    assert reverse("cases:track_detail", args=[case.tracking_code]) in html
    assert "138****5678" in html and "13812345678" not in html


def test_done_page_forgets_the_code_after_a_while(client, world, monkeypatch):
    from grassroots.cases.views import public

    assert client.get(reverse("cases:report_done")).status_code == 302  # nothing reported
    client.post(REPORT_URL, form_data(world))
    assert client.get(reverse("cases:report_done")).status_code == 200
    later = public.time.time() + public.DONE_PAGE_SECONDS + 1
    monkeypatch.setattr(public.time, "time", lambda: later)
    response = client.get(reverse("cases:report_done"))
    assert response.status_code == 302 and response["Location"] == REPORT_URL


def test_report_with_photos_strips_metadata(client, world):
    files = [
        SimpleUploadedFile("IMG_1.jpg", jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("screen.png", png(), content_type="image/png"),
    ]
    response = client.post(REPORT_URL, {**form_data(world), "photos": files})
    assert response.status_code == 302
    case = Case.objects.get()
    stored = list(case.photos.order_by("id"))
    assert [p.kind for p in stored] == ["report", "report"]
    for p in stored:
        with p.image.open("rb") as f:
            assert not Image.open(f).getexif()
        assert "IMG_1" not in p.image.name


def test_signed_in_resident_is_the_reporter(client, world):
    client.force_login(world.resident)
    response = client.post(REPORT_URL, form_data(world, phone=""))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.reporter == world.resident
    done = client.get(reverse("cases:report_done")).content.decode()
    assert "138****" not in done


def test_address_alone_is_enough(client, world):
    response = client.post(REPORT_URL, form_data(world, lon="", lat=""))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.lon is None and case.grid is None and case.area == world.district


def test_point_in_gcj02_is_converted_before_locating(client, world):
    from grassroots.core.geo import to_display

    lon, lat = to_display(*world.point, crs="gcj02")
    response = client.post(REPORT_URL, form_data(world, lon=str(lon), lat=str(lat), crs="gcj02"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.grid == world.grid
    assert abs(case.lon - world.point[0]) < 1e-6 and abs(case.lat - world.point[1]) < 1e-6


def _files(kind):
    if kind == "text":
        return [SimpleUploadedFile("photo.jpg", b"not an image\n" * 50, content_type="image/jpeg")]
    if kind == "big":
        out = io.BytesIO()
        Image.effect_noise((300, 300), 100).convert("RGB").save(out, format="JPEG", quality=95)
        assert len(out.getvalue()) > 20_000
        return [SimpleUploadedFile("big.jpg", out.getvalue(), content_type="image/jpeg")]
    if kind == "many":
        return [SimpleUploadedFile(f"p{i}.png", png(), content_type="image/png") for i in range(3)]
    if kind == "flood":
        out = io.BytesIO()
        Image.new("L", (3000, 3000), 0).save(out, format="PNG", optimize=True)
        return [SimpleUploadedFile("flood.png", out.getvalue(), content_type="image/png")]
    return []


BAD_INPUTS = [
    ("no_place", {"lon": "", "lat": "", "address": ""}, None, "location", "请在地图上选择位置"),
    ("outside", {"lon": "117.5", "lat": "40.5"}, None, "location", "不在本辖区范围内"),
    ("garbage_point", {"lon": "abc", "lat": "nan"}, None, "location", "位置无效"),
    ("bad_coordinates", {"lon": "500", "lat": "39"}, None, "location", "坐标无效"),
    ("empty_text", {"description": "   "}, None, "description", "请描述一下问题"),
    ("long_text", {"description": "堵" * 2001}, None, "description", "描述太长了"),
    ("no_category", {"category": ""}, None, "category", "请选择问题类别"),
    ("unknown_category", {"category": "999999"}, None, "category", "请从列表中选择问题类别"),
    ("bad_phone", {"phone": "12ab"}, None, "phone", "手机号码格式不正确"),
    ("long_address", {"address": "路" * 300}, None, "location", "地址太长了"),
    ("not_an_image", {}, "text", "photos", "不是照片"),
    ("oversized", {}, "big", "photos", "太大了"),
    ("too_many", {}, "many", "photos", "最多上传 2 张照片"),
    ("pixel_flood", {}, "flood", "photos", "尺寸太大"),
]


@pytest.mark.parametrize(
    ("overrides", "files", "field", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_rerenders_with_message_and_writes_nothing(
    client, world, settings, overrides, files, field, message
):
    settings.CASE_PHOTO_MAX_COUNT = 2
    settings.CASE_PHOTO_MAX_BYTES = 20_000
    settings.CASE_PHOTO_MAX_PIXELS = 4_000_000
    before = counts()
    data = form_data(world, **overrides)
    if files:
        data["photos"] = _files(files)
    response = client.post(REPORT_URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="{field}-error"' in html  # shown next to its field
    assert counts() == before
    # what the person typed is kept
    if overrides.get("description", DESCRIPTION) == DESCRIPTION:
        assert DESCRIPTION in html
    if "name" not in overrides:
        assert 'value="王秀英"' in html
    if files:
        assert 'id="photos-dropped"' in html


def test_several_problems_are_shown_at_once(client, world):
    response = client.post(
        REPORT_URL, form_data(world, lon="", lat="", address="", description="", category="")
    )
    html = response.content.decode()
    for field in ("location", "description", "category"):
        assert f'id="{field}-error"' in html
    assert Case.objects.count() == 0


def test_failure_after_the_case_is_written_rolls_everything_back(client, world, monkeypatch):
    def broken_attach(**kwargs):
        raise ValidationFailed("存储失败", field="photos")

    monkeypatch.setattr(photos, "attach", broken_attach)
    before = counts()
    response = client.post(
        REPORT_URL,
        {**form_data(world), "photos": [SimpleUploadedFile("a.png", png(), "image/png")]},
    )
    assert response.status_code == 400
    assert "存储失败" in response.content.decode()
    assert counts() == before
    assert MemoryBackend.outbox == []


def test_reports_are_rate_limited_per_address(client, world, settings):
    settings.CASE_REPORTS_PER_HOUR = 2
    assert client.post(REPORT_URL, form_data(world)).status_code == 302
    # a refused attempt does not count
    assert client.post(REPORT_URL, form_data(world, description="")).status_code == 400
    assert client.post(REPORT_URL, form_data(world)).status_code == 302
    response = client.post(REPORT_URL, form_data(world))
    assert response.status_code == 429
    assert "一小时" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert Case.objects.count() == 2
    # another address is not affected
    assert client.post(REPORT_URL, form_data(world), REMOTE_ADDR="10.0.0.9").status_code == 302


def test_suggest_endpoint(client, world):
    response = client.get(reverse("cases:report_suggest"), {"q": "下水道堵了"})
    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert suggestions[0]["id"] == category().pk
    assert suggestions[0]["name"] == "下水道堵塞"
    assert len(suggestions) <= 3
    assert client.get(reverse("cases:report_suggest")).json() == {"suggestions": []}


def test_suggest_without_script_preselects_and_writes_nothing(client, world):
    response = client.post(
        REPORT_URL, form_data(world, category="", description="下水道堵了", suggest="1")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{category().pk}" selected>' in html
    assert 'class="chip is-chosen"' in html
    assert "field-error" not in html
    assert Case.objects.count() == 0


# --- tracking ------------------------------------------------------------------------------


def submit(world, **kwargs):
    params = dict(
        category=category(),
        description=DESCRIPTION,
        channel=Channel.WEB,
        lon=world.point[0],
        lat=world.point[1],
        reporter_name="张三丰",
        reporter_phone="13812345678",
    )
    params.update(kwargs)
    return case_submit(**params)


def step(case, action, user=None, **kwargs):
    actor = Actor.of(user) if user is not None else REPORTER
    return case_transition(case=case, action=action, actor=actor, **kwargs)


def closed_case(world):
    case = submit(world)
    case = step(case, "register", world.dispatcher)
    case = step(case, "dispatch", world.dispatcher)
    case = step(case, "accept", world.handler)
    case = step(case, "handle", world.handler, note="已疏通下水道，路面已冲洗干净。")
    case = step(case, "verify", world.grid_worker)
    return step(case, "close", world.dispatcher)


def track_url(case):
    return reverse("cases:track_detail", args=[case.tracking_code])


def test_track_form_normalises_the_code(client, world):
    case = submit(world)
    code = case.tracking_code
    typed = f" {code[:3].lower()} {code[3:7]} {code[7:].lower()} "
    response = client.get(reverse("cases:track"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == track_url(case)
    # a lower-case code in the address goes to the canonical one
    response = client.get(f"/cases/track/{code.lower()}/")
    assert response.status_code == 302 and response["Location"] == track_url(case)
    assert client.get(reverse("cases:track")).status_code == 200


def test_malformed_code_is_explained(client, world):
    response = client.get(reverse("cases:track"), {"code": "12"})
    assert response.status_code == 400
    assert "10 位字母和数字" in response.content.decode()


def test_unknown_code_is_a_friendly_404(client, world):
    submit(world)
    response = client.get("/cases/track/ABCDEFGH23/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到这个查询码" in html
    assert 'name="code"' in html


def test_code_lookups_are_rate_limited(client, world, settings):
    settings.CASE_TRACK_MISSES_PER_HOUR = 3
    case = submit(world)
    for _ in range(3):
        assert client.get("/cases/track/ABCDEFGH23/").status_code == 404
    response = client.get(track_url(case))
    assert response.status_code == 429
    assert "一小时" in response.content.decode()
    assert client.get(track_url(case), REMOTE_ADDR="10.1.1.1").status_code == 200


def test_tracking_page_shows_public_steps_only(client, world):
    handler = world.handler
    handler.display_name = "李建国"
    handler.first_name, handler.last_name = "建国", "李"
    handler.email = "lijianguo@example.org"
    handler.save()
    case = submit(world)
    case = step(case, "register", world.dispatcher)
    case = step(case, "dispatch", world.dispatcher)
    services.case_supervise(
        case=case, actor=Actor.of(world.dispatcher), note="内部督办：请李建国今天办完"
    )
    case = step(case, "accept", handler)
    TimelineEntry.objects.create(
        case=case,
        at=case.updated_at,
        action="comment",
        actor=handler,
        internal_note="内部备注：联系人13900001111在家",
        public_note="",
        is_public=False,
    )
    TimelineEntry.objects.create(
        case=case,
        at=case.updated_at,
        action="comment",
        actor=handler,
        actor_department=world.drainage,
        public_note="已联系反映人 13900002222，明天上门",
        is_public=True,
    )
    other = submit(world, reporter_name="赵六", reporter_phone="13700001234")

    response = client.get(track_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "排水集团" in html  # the department, not the person
    assert "已派遣至排水集团" in html
    assert "第1网格" in html and "花园社区" in html
    assert "幸福路" not in html or case.address  # the reporter's own address only
    for secret in (
        "李建国",
        "lijianguo",
        handler.username,
        world.dispatcher.username,
        world.dispatcher.display_name,
        "内部督办",
        "内部备注",
        "13900001111",
        "13900002222",  # a phone in a public note is masked
        "张三丰",
        "13812345678",
        "138****5678",
        other.tracking_code,
        "赵六",
    ):
        assert secret not in html, secret
    assert "139****2222" in html
    # progress: submitted, registered, dispatched done; handling under way
    assert html.count("progress-step is-done") == 3
    assert 'progress-step is-current" aria-current="step"' in html


def test_merged_case_shows_merge_without_the_other_reporter(client, world):
    first = submit(world, reporter_name="钱七", reporter_phone="13600001111")
    first = step(first, "register", world.dispatcher)
    dup = submit(world)
    dup = step(dup, "merge", world.dispatcher, merge_into=first)
    first = step(first, "dispatch", world.dispatcher)
    html = client.get(track_url(dup)).content.decode()
    assert "已与其他群众反映的同一问题合并办理" in html
    assert first.tracking_code not in html
    assert "钱七" not in html and "13600001111" not in html
    assert "已派遣至排水集团" in html  # the handling of the case it joined


def test_rate_and_reopen(client, world):
    case = closed_case(world)
    page = client.get(track_url(case)).content.decode()
    assert 'id="rate-submit"' in page
    assert "已疏通下水道" in page

    bad = client.post(reverse("cases:rate", args=[case.tracking_code]), {"rating": "great"})
    assert bad.status_code == 400
    assert "请选择满意、基本满意或不满意" in bad.content.decode()

    response = client.post(
        reverse("cases:rate", args=[case.tracking_code]),
        {"rating": "dissatisfied", "comment": "还是有臭味"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RATED and case.rating == "dissatisfied"
    page = client.get(track_url(case)).content.decode()
    assert "还是有臭味" in page and 'id="reopen-submit"' in page and 'id="rate-submit"' not in page

    empty = client.post(reverse("cases:reopen", args=[case.tracking_code]), {"reason": "  "})
    assert empty.status_code == 400
    assert "请说一说问题为什么还没有解决" in empty.content.decode()

    response = client.post(
        reverse("cases:reopen", args=[case.tracking_code]), {"reason": "下雨又堵了"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED and case.reopen_count == 1
    page = client.get(track_url(case)).content.decode()
    assert 'id="reopen-submit"' not in page
    assert "下雨又堵了" in page


def test_satisfied_rating_offers_no_reopen(client, world):
    case = closed_case(world)
    client.post(reverse("cases:rate", args=[case.tracking_code]), {"rating": "satisfied"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RATED
    page = client.get(track_url(case)).content.decode()
    assert 'id="reopen-submit"' not in page
    response = client.post(reverse("cases:reopen", args=[case.tracking_code]), {"reason": "再看看"})
    assert response.status_code == 400
    assert "只有评价为不满意的案件可以申请重启一次" in response.content.decode()


def test_rating_an_open_case_is_refused_kindly(client, world):
    case = submit(world)
    response = client.post(
        reverse("cases:rate", args=[case.tracking_code]), {"rating": "satisfied"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="step-error"' in html and "不能执行" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert client.post("/cases/track/ABCDEFGH23/rate/", {"rating": "satisfied"}).status_code == 404


def test_photos_are_served_only_with_the_code(client, world):
    case = submit(world)
    other = submit(world)
    processed = photos.process([SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")])
    (mine,) = photos.attach(case=case, processed=processed, kind="report")
    (before,) = photos.attach(case=case, processed=processed, kind="before")
    (result,) = photos.attach(case=case, processed=processed, kind="result")

    response = client.get(reverse("cases:photo", args=[case.tracking_code, mine.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(b"".join(response.streaming_content))).getexif()
    assert (
        client.get(reverse("cases:photo", args=[case.tracking_code, result.pk])).status_code == 200
    )
    assert (
        client.get(reverse("cases:photo", args=[case.tracking_code, before.pk])).status_code == 404
    )
    assert (
        client.get(reverse("cases:photo", args=[other.tracking_code, mine.pk])).status_code == 404
    )
    page = client.get(track_url(case)).content.decode()
    assert reverse("cases:photo", args=[case.tracking_code, mine.pk]) in page
    assert reverse("cases:photo", args=[case.tracking_code, before.pk]) not in page


# --- languages -----------------------------------------------------------------------------


def test_english_rendering(client, world):
    response = client.get(REPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Blocked sewer" in html and "下水道堵塞" not in html
    suggestions = client.get(
        reverse("cases:report_suggest"), {"q": "blocked drain"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()["suggestions"]
    assert suggestions[0]["name"] == "Blocked sewer"

    case = closed_case(world)
    client.cookies["gr_lang"] = "en"
    page = client.get(track_url(case)).content.decode()
    assert '<html lang="en"' in page and "Blocked sewer" in page


def test_traditional_chinese_rendering(client, world):
    client.cookies["gr_lang"] = "zh-hant"
    html = client.get(REPORT_URL).content.decode()
    assert 'lang="zh-Hant"' in html
    assert "路燈" in html and "公用設施" in html
