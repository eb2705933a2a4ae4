"""Property-based fuzzing of the OpenAPI document (schemathesis): every documented
operation, generated inputs, no 5xx and every response matching its documented schema.

Runs in-process over WSGI against the test database, on SQLite and PostgreSQL alike, with
a staff token so that the authenticated endpoints are exercised too. Deterministic
(derandomised) and bounded, so CI stays fast and a failure reproduces.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Django's WSGI handler runs ``close_old_connections`` at each request's start and
    end. In a test the connection holds the test's transaction (not autocommit), so the
    handler would close it under the test — on PostgreSQL; SQLite's in-memory test database
    ignores ``close``. Django's own test client disconnects the same receiver around each
    request; schemathesis calls the WSGI application itself, so the receiver stays
    disconnected for the test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token

    from grassroots.org.choices import Role
    from grassroots.org.locate import invalidate_index
    from tests.cases.factories import make_world
    from tests.org.factories import UserFactory

    world = make_world()
    invalidate_index()
    staff = UserFactory(role=Role.DISPATCHER, unit=world.district)
    return Token.objects.create(user=staff).key


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case, staff_token):
    case.call_and_validate(
        headers={"Host": "127.0.0.1", "Authorization": f"Token {staff_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_a_call_keeps_the_test_transaction(staff_token):
    """One call through the same WSGI transport, then the test's own data is still there
    on the same open connection (on PostgreSQL the handler used to close it)."""
    from rest_framework.authtoken.models import Token

    operation = schema["/api/v1/cases/categories/"]["GET"]
    response = operation.Case().call(
        headers={"Host": "127.0.0.1", "Authorization": f"Token {staff_token}"}
    )
    assert response.status_code == 200
    assert connection.in_atomic_block
    assert Token.objects.filter(key=staff_token).exists()
