"""A located world, cases in it, and API clients that authenticate with a token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grassroots.cases.choices import Channel
from grassroots.cases.services import Actor, case_submit, case_transition

from ..cases.factories import category, make_world

PHONE = "13812345678"
NAME = "张三丰"


@pytest.fixture
def world(db):
    cache.clear()
    yield make_world()
    cache.clear()


def submit(world, *, point=None, description="小区门口下水道堵了，污水冒出来", **kwargs):
    lon, lat = point or world.point
    params = dict(
        category=category("event", "0404"),
        description=description,
        channel=Channel.WEB,
        lon=lon,
        lat=lat,
        reporter_phone=PHONE,
        reporter_name=NAME,
    )
    params.update(kwargs)
    return case_submit(**params)


def step(case, action, user, **kwargs):
    return case_transition(case=case, action=action, actor=Actor.of(user), **kwargs)


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user():
    return client_for
