"""The golden record of a person: every field with its source, date and trust, the source
records behind it, visits, merge history with undo (stewards), and the audited reveal of
an ID number or a phone number.

Every view of a person is recorded (``services.person_read_audit``); a reveal needs a
reason, shows the full value once in the answer to its POST (never in a URL), is audited,
and is never cached.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from grassroots.core.errors import DomainError, NotFound

from .. import selectors as sel
from .. import services
from ..forms import RevealForm
from .common import HOUSE_ROLES, STEWARD_ROLES, has_role, page, personal, roles_required

readers = roles_required(HOUSE_ROLES)


def _person(request: HttpRequest, pk: int) -> Any:
    try:
        return sel.access_person(request.user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _render(
    request: HttpRequest,
    person: Any,
    *,
    revealed: str = "",
    reveal_error: str = "",
    reveal_field: str = "",
    status: int = 200,
) -> HttpResponse:
    services.person_read_audit(person=person, user=request.user)
    detail = sel.person_detail(request.user, person)
    return page(
        request,
        "registry/person.html",
        {
            "d": detail,
            "person": person,
            "steward": has_role(request.user, STEWARD_ROLES),
            "revealed": revealed,
            "reveal_error": reveal_error,
            "reveal_field": reveal_field,
            "tab": "houses",
        },
        status=status,
    )


@readers
@personal
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _person(request, pk))


@readers
@personal
@require_POST
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal one field in full after a stated reason: 400 without one, 403 for a role that
    may not, 404 out of scope; the value is in this answer only."""
    person = _person(request, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _render(request, person, reveal_error=message, status=400)
    field = form.cleaned_data["field"]
    try:
        value = services.person_reveal(
            person=person, user=request.user, field=field, reason=form.cleaned_data["reason"]
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        return _render(
            request,
            person,
            reveal_error=str(exc.message),
            reveal_field=field,
            status=exc.status_code,
        )
    return _render(request, person, revealed=value, reveal_field=field)
