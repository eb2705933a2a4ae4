"""Staff pages for one case: its detail with the steps the user's role may take, and the
POST that takes one step (or 督办) (see ``staff_common`` for the rules all staff pages
follow)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.core.errors import DomainError, NotFound, ValidationFailed
from grassroots.core.geo import to_display
from grassroots.org.choices import Role

from .. import services, workflow
from ..choices import OPEN_STATUSES
from ..duplicates import duplicate_candidates
from ..models import Case, CasePhoto
from ..routing import route
from ..selectors import staff as sel
from .staff_common import (
    boundary_url,
    int_or_none,
    photo_service,
    photos_enabled,
    role_of,
    staff_required,
)

SUPERVISORS = {Role.DISPATCHER, Role.LEADER}
# Steps after which a photo of the work may be added, and what kind it is.
PHOTO_STEPS = {"handle": CasePhoto.Kind.RESULT, "verify": CasePhoto.Kind.AFTER}


def _action_forms(request: HttpRequest, case: Case, *, changeable: bool) -> list[dict[str, Any]]:
    """One small form per step the user's role may take on the case now."""
    if not changeable:
        return []
    forms = []
    for transition in workflow.actions_for(status=case.status, role=role_of(request)):
        form: dict[str, Any] = {
            "action": transition.action,
            "label": transition.label,
            "reason_required": transition.reason_required,
            "photos": photos_enabled() and transition.action in PHOTO_STEPS,
        }
        if transition.action == "dispatch":
            suggestion = route(category=case.category, area=case.area)
            form["suggested"] = suggestion.department
            form["suggested_assisting"] = {d.pk for d in suggestion.assisting}
            form["departments"] = list(sel.dispatch_departments(case))
        elif transition.action == "merge":
            form["candidates"] = duplicate_candidates(case, user=request.user)
        forms.append(form)
    return forms


def _render_detail(
    request: HttpRequest,
    case: Case,
    *,
    error: DomainError | None = None,
    error_action: str = "",
    status: int = 200,
    revealed_phone: str = "",
) -> HttpResponse:
    now = timezone.now()
    detail = sel.case_detail(case, now=now)
    changeable = sel.can_change(request.user, case)
    point = None
    if case.lon is not None and case.lat is not None:
        lon, lat = to_display(case.lon, case.lat)
        point = {"lon": round(lon, 7), "lat": round(lat, 7)}
    is_open = case.status in OPEN_STATUSES
    return render(
        request,
        "cases/staff/case_detail.html",
        {
            "d": detail,
            "case": case,
            "point": point,
            "boundary_url": boundary_url(case.community or case.street or case.area),
            "forms": _action_forms(request, case, changeable=changeable),
            "can_supervise": is_open and role_of(request) in SUPERVISORS,
            "duplicates": (
                duplicate_candidates(case, user=request.user)
                if is_open and not case.merged_into_id
                else []
            ),
            "error": error,
            "error_action": error_action,
            "revealed_phone": revealed_phone,
            "can_reveal": (
                changeable
                and role_of(request) in services.CONTACT_ROLES
                and bool(case.reporter_phone_encrypted)
            ),
            "posted": request.POST if error else {},
        },
        status=status,
    )


@staff_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = sel.access_case(request.user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _render_detail(request, case)


def _department(value: str | None, *, field: str) -> Any:
    from grassroots.org.models import Department

    pk = int_or_none(value)
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk, is_active=True).first()
    if department is None:
        raise ValidationFailed(_("请选择有效的部门。"), field=field)
    return department


def _take_step(request: HttpRequest, pk: int, action: str) -> Case:
    """Run one step inside a transaction (all or nothing) and return the case."""
    user = request.user
    post = request.POST
    processed = []
    if action in PHOTO_STEPS and photo_service is not None:
        processed = photo_service.process(request.FILES.getlist("photos"))
    with transaction.atomic():
        case = services.case_get_for_update(case_id=pk, user=user)
        kwargs: dict[str, Any] = {}
        if action == "dispatch":
            kwargs["department"] = _department(post.get("department"), field="department")
            if kwargs["department"] is not None:
                kwargs["assisting"] = [
                    d
                    for d in (_department(v, field="assisting") for v in post.getlist("assisting"))
                    if d is not None
                ]
        elif action == "merge":
            target = int_or_none(post.get("merge_into"))
            if target is None:
                raise ValidationFailed(_("请选择要合并到的案件。"), field="merge_into")
            kwargs["merge_into"] = sel.access_case(user, target)
        case = services.case_transition(
            case=case,
            action=action,
            actor=services.Actor.of(user),
            reason=post.get("reason", "").strip()[:500],
            note=post.get("note", "").strip()[:2000],
            **kwargs,
        )
        if processed and photo_service is not None:
            photo_service.attach(
                case=case, processed=processed, kind=PHOTO_STEPS[action], user=user
            )
    return case


def _after_step(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    if sel.case_scope(request.user).filter(pk=case.pk).exists():
        return redirect("cases:staff-case", pk=case.pk)
    # e.g. a department returned the case: it has left the department's scope
    return redirect("cases:inbox")


@staff_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST one step of the state machine (or 督办) on a case."""
    try:
        if action == "supervise":
            case = sel.access_case(request.user, pk)
            with transaction.atomic():
                case = services.case_supervise(
                    case=case,
                    actor=services.Actor.of(request.user),
                    note=request.POST.get("note", "").strip()[:2000],
                )
            return _after_step(request, case, _("已督办。"))
        case = _take_step(request, pk, action)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        try:
            case = sel.access_case(request.user, pk)
        except NotFound as missing:
            raise Http404(str(missing)) from missing
        return _render_detail(request, case, error=exc, error_action=action, status=exc.status_code)
    return _after_step(
        request,
        case,
        _("“%(step)s”已完成，案件状态：%(status)s。")
        % {"step": workflow.label(action), "status": case.get_status_display()},
    )


@staff_required
@require_POST
def reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the reporter's full number once, after an audited reason (never cached)."""
    try:
        phone = services.case_reporter_phone_reveal(
            case_id=pk, user=request.user, reason=request.POST.get("reason", "")
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        case = sel.access_case(request.user, pk)
        return _render_detail(
            request, case, error=exc, error_action="reveal", status=exc.status_code
        )
    case = sel.access_case(request.user, pk)
    response = _render_detail(request, case, revealed_phone=phone)
    response["Cache-Control"] = "no-store"
    return response
