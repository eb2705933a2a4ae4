"""Staff case pages, the case map and the public track page name categories, units and
departments in the reader's language: the English name in English (falling back to the
Chinese one), traditional characters in zh-hant. Fixed words of the cases app go through
gettext."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from grassroots.cases import models as case_models
from grassroots.cases.models import CalendarDay
from grassroots.cases.views import staff_inbox

from .factories import category, make_world
from .test_services import step, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    for unit, english in (
        (w.district, "Demo District"),
        (w.street, "East Street"),
        (w.community, "Huayuan Community"),
        (w.grid, "Grid 1"),
    ):
        unit.name_en = english
        unit.save()
    w.drainage.name_en = "Drainage Group"
    w.drainage.save()
    return w


def reader(user, language: str) -> Client:
    client = Client()
    client.cookies["gr_lang"] = language
    client.force_login(user)
    return client


@pytest.fixture
def dispatched(world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    return step(case, "dispatch", world.dispatcher, department=world.drainage)


def test_inbox_in_english(world, dispatched):
    sewer = category("event", "0404")
    assert sewer.name_en
    html = reader(world.dispatcher, "en").get("/cases/staff/?tab=all").content.decode()
    assert dispatched.tracking_code in html
    assert sewer.name_en in html and sewer.name not in html
    assert "Huayuan Community" in html and "花园社区" not in html
    assert "Drainage Group" in html and "排水集团" not in html
    # the filters too: the category and area lists
    assert "East Street" in html and "东街道" not in html


def test_inbox_in_traditional_characters(world, dispatched):
    html = reader(world.dispatcher, "zh-hant").get("/cases/staff/?tab=all").content.decode()
    assert "花園社區" in html and "花园社区" not in html
    assert "排水集團" in html and "排水集团" not in html


def test_inbox_in_simplified_chinese_is_unchanged(world, dispatched):
    html = reader(world.dispatcher, "zh-hans").get("/cases/staff/?tab=all").content.decode()
    assert "花园社区" in html and "排水集团" in html
    assert category("event", "0404").name in html


def test_english_falls_back_to_the_chinese_name(world, dispatched):
    world.drainage.name_en = ""
    world.drainage.save()
    html = reader(world.dispatcher, "en").get("/cases/staff/?tab=all").content.decode()
    assert "排水集团" in html


def _without_notes(html: str) -> str:
    """The page less the timeline's notes: they are text written when the step was
    taken (the dispatch note names the department as it was written then)."""
    notes = r'<(p|span) class="(cs-note|timeline-note)[^"]*">.*?</\1>'
    return re.sub(notes, "", html, flags=re.S)


def test_case_detail_in_english(world, dispatched):
    step(dispatched, "accept", world.handler)
    sewer = category("event", "0404")
    html = reader(world.dispatcher, "en").get(f"/cases/staff/{dispatched.pk}/").content.decode()
    assert sewer.name_en in html and sewer.name not in html
    assert "<dd>Drainage Group</dd>" in html  # the lead department
    assert "Drainage Group</li>" in html  # its assignment
    assert "· Drainage Group</div>" in html  # who accepted
    for english, chinese in (
        ("East Street", "东街道"),
        ("Huayuan Community", "花园社区"),
        ("Grid 1", "第1网格"),
        ("Drainage Group", "排水集团"),
    ):
        assert english in html, english
        assert chinese not in _without_notes(html), chinese


def test_dispatch_form_in_english(world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    html = reader(world.dispatcher, "en").get(f"/cases/staff/{case.pk}/").content.decode()
    assert 'data-action="dispatch"' in html
    assert "Drainage Group" in html and "排水集团" not in html


def test_case_map_data_in_english(world, dispatched):
    sewer = category("event", "0404")
    data = reader(world.dispatcher, "en").get("/cases/staff/map.json").json()
    (feature,) = data["features"]
    assert feature["properties"]["category"] == sewer.name_en
    data = reader(world.dispatcher, "zh-hant").get("/cases/staff/map.json").json()
    assert feature["id"] == data["features"][0]["id"]


def test_bulk_dispatch_message_in_english(world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    response = reader(world.dispatcher, "en").post(
        "/cases/staff/bulk-dispatch/", {"case": [case.pk]}, follow=True
    )
    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"]]
    assert "Drainage Group" in message and "排水集团" not in message


def test_track_page_in_english(world, dispatched):
    sewer = category("event", "0404")
    client = Client()
    client.cookies["gr_lang"] = "en"
    html = client.get(f"/cases/track/{dispatched.tracking_code}/").content.decode()
    assert sewer.name_en in html and sewer.name not in html
    assert "Drainage Group" in html and "排水集团" not in _without_notes(html)
    assert "Grid 1" in html and "第1网格" not in html


def test_calendar_day_words_go_through_gettext(monkeypatch):
    monkeypatch.setattr(case_models, "pgettext", lambda context, word: f"[{context}:{word}]")
    workday = CalendarDay(date=date(2026, 10, 11), is_workday=True, name="国庆调休")
    holiday = CalendarDay(date=date(2026, 10, 1), is_workday=False, name="国庆节")
    assert str(workday) == "2026-10-11 [calendar day:班] 国庆调休"
    assert str(holiday) == "2026-10-01 [calendar day:休] 国庆节"


def test_bulk_dispatch_list_separator_goes_through_gettext(world, monkeypatch):
    monkeypatch.setattr(
        staff_inbox, "pgettext", lambda context, word: " | " if word == "；" else word
    )
    first, second = submit(world), submit(world)
    for case in (first, second):
        step(case, "register", world.dispatcher)
    response = reader(world.dispatcher, "zh-hans").post(
        "/cases/staff/bulk-dispatch/", {"case": [first.pk, second.pk]}, follow=True
    )
    (message,) = [str(m) for m in response.context["messages"]]
    assert " | " in message and "；" not in message
