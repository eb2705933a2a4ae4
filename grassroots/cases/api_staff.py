"""REST endpoints of the closed loop for staff and integrations (``/api/v1/cases/``).

Authentication: a session, or ``Authorization: Token <key>`` (``manage.py drf_create_token
USERNAME`` issues one). Every read starts from the staff selectors (``case_scope`` /
``access_case``: the data scope), every step goes through ``services.case_get_for_update``
and ``services.case_transition`` (or ``case_supervise``) in one transaction. Unknown and
out-of-scope cases are the same 404; an illegal step is 409; a missing reason is 400 — the
same messages as the staff pages. Personal data of reporters is masked in every answer.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.core.api import CursorPage
from grassroots.core.crypto import decrypt
from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.core.idempotency import PARAMETER as IDEMPOTENCY_KEY
from grassroots.core.idempotency import idempotent
from grassroots.core.masking import mask_name, mask_phone
from grassroots.org.models import Department, Unit

from . import api, services, workflow
from .choices import OPEN_STATUSES, CaseStatus, Channel, DeadlineState
from .models import Case, Category
from .selectors import staff as sel
from .selectors.categories import category_by_code

SUPERVISORS = {"dispatcher", "leader"}
# Every step some staff role may take (the state machine says which; ``rate`` and
# ``withdraw`` belong to the reporter alone), plus 督办.
STAFF_ACTIONS: tuple[str, ...] = (
    *(a for a, t in workflow.TRANSITIONS.items() if t.roles - {workflow.REPORTER, workflow.SYSTEM}),
    "supervise",
)


# --- output ----------------------------------------------------------------------------------


class CategoryOut(serializers.ModelSerializer):
    key = serializers.SerializerMethodField(help_text="kind:code, as the filters and reports use")

    class Meta:
        model = Category
        fields = ["key", "kind", "code", "name", "name_en", "major_code", "major_name"]

    def get_key(self, obj: Category) -> str:
        return f"{obj.kind}:{obj.code}"


class _Ref(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class _DeptRef(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


def _unit(unit: Unit | None) -> dict[str, str] | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def _dept(dept: Department | None) -> dict[str, str] | None:
    return {"key": dept.key, "name": dept.name} if dept is not None else None


class CaseRowOut(serializers.Serializer):
    """One case in a list. The reporter's name and phone are masked (张*, 138****5678)."""

    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    status_label = serializers.CharField()
    category = CategoryOut()
    channel = serializers.ChoiceField(choices=Channel.choices)
    area = _Ref()
    department = _DeptRef(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resolve_due = serializers.DateTimeField(allow_null=True)
    deadline_state = serializers.ChoiceField(choices=DeadlineState.choices)
    supervised = serializers.BooleanField()
    reporter_name = serializers.CharField(help_text="masked")
    reporter_phone = serializers.CharField(help_text="masked")


def _row(case: Case, now: Any) -> dict[str, Any]:
    return {
        "id": case.pk,
        "tracking_code": case.tracking_code,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "category": case.category,
        "channel": case.channel,
        "area": _unit(case.area),
        "department": _dept(case.department),
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "resolve_due": case.resolve_due,
        "deadline_state": sel.deadline_state(case, now),
        "supervised": case.supervised,
        "reporter_name": mask_name(case.reporter_name),
        "reporter_phone": mask_phone(decrypt(case.reporter_phone_encrypted)),
    }


class TimelineOut(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    label = serializers.CharField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    actor = serializers.IntegerField(allow_null=True, help_text="user id of the staff member")
    actor_unit = _Ref(allow_null=True)
    actor_department = _DeptRef(allow_null=True)
    public_note = serializers.CharField(allow_blank=True)
    internal_note = serializers.CharField(allow_blank=True, help_text="staff only")
    is_public = serializers.BooleanField()
    data = serializers.DictField()


class AssignmentOut(serializers.Serializer):
    department = _DeptRef()
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class DeadlinesOut(serializers.Serializer):
    response_due = serializers.DateTimeField(allow_null=True)
    resolve_due = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    handled_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    suspended_at = serializers.DateTimeField(allow_null=True)


class ActionOut(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    reason_required = serializers.BooleanField()


class CaseDetailOut(CaseRowOut):
    description = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    lon = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    result = serializers.CharField(allow_blank=True)
    urgency = serializers.CharField()
    owner_unit = _Ref()
    merged_into = serializers.CharField(allow_null=True, help_text="tracking code")
    merged = serializers.ListField(child=serializers.CharField(), help_text="tracking codes")
    deadlines = DeadlinesOut()
    assignments = AssignmentOut(many=True)
    timeline = TimelineOut(many=True)
    actions = ActionOut(many=True, help_text="the steps this user may take now")


def _actions(user: Any, case: Case) -> list[dict[str, Any]]:
    role = getattr(user, "role", "")
    found: list[dict[str, Any]] = []
    if sel.can_change(user, case):
        found = [
            {"action": t.action, "label": str(t.label), "reason_required": t.reason_required}
            for t in workflow.actions_for(status=case.status, role=role)
            if t.action in STAFF_ACTIONS
        ]
    if case.status in OPEN_STATUSES and role in SUPERVISORS:
        found.append(
            {"action": "supervise", "label": workflow.label("supervise"), "reason_required": False}
        )
    return found


def _detail(user: Any, case: Case) -> dict[str, Any]:
    now = timezone.now()
    d = sel.case_detail(case, now=now)
    data = _row(case, now)
    data.update(
        description=case.description,
        address=case.address,
        lon=case.lon,
        lat=case.lat,
        result=case.result,
        urgency=case.urgency,
        owner_unit=_unit(case.owner_unit),
        merged_into=case.merged_into.tracking_code if case.merged_into else None,
        merged=[m.tracking_code for m in d.merged],
        reporter_name=d.reporter_name,
        reporter_phone=d.reporter_phone,
        deadlines={
            "response_due": case.response_due,
            "resolve_due": case.resolve_due,
            "dispatched_at": case.dispatched_at,
            "responded_at": case.responded_at,
            "handled_at": case.handled_at,
            "closed_at": case.closed_at,
            "suspended_at": case.suspended_at,
        },
        assignments=[
            {
                "department": _dept(a.department),
                "role": a.role,
                "is_active": a.is_active,
                "created_at": a.created_at,
            }
            for a in d.assignments
        ],
        timeline=[
            {
                "at": e.at,
                "action": e.action,
                "label": workflow.label(e.action),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor_id,
                "actor_unit": _unit(e.actor_unit),
                "actor_department": _dept(e.actor_department),
                "public_note": e.public_note,
                "internal_note": e.internal_note,
                "is_public": e.is_public,
                "data": e.data,
            }
            for e in d.timeline
        ],
        actions=_actions(user, case),
    )
    return data


# --- the list --------------------------------------------------------------------------------


class CaseFilterIn(serializers.Serializer):
    tab = serializers.CharField(
        required=False, help_text="an inbox tab key of the user's role (see inbox/)"
    )
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    category = serializers.CharField(required=False, help_text="kind:code, e.g. event:0404")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    area = serializers.CharField(required=False, help_text="unit code: the unit and below")
    deadline = serializers.ChoiceField(choices=DeadlineState.choices, required=False)
    q = serializers.CharField(required=False, max_length=200, help_text="full-text search")


_ALL = sel.Tab("all", "all")


def _filters(user: Any, params: Any) -> tuple[sel.Tab, sel.InboxFilters]:
    s = CaseFilterIn(data=params)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        raise ValidationFailed(f"{field}: {errors[0]}", field=field)
    data = s.validated_data
    tab = _ALL
    if data.get("tab"):
        tab = next((t for t in sel.tabs_for(user) if t.key == data["tab"]), _ALL)
        if tab is _ALL or tab.kind != "cases":
            raise ValidationFailed(_("未知的列表。"), field="tab")
    filters = sel.InboxFilters(
        status=data.get("status", ""),
        channel=data.get("channel", ""),
        deadline=data.get("deadline", ""),
        q=data.get("q", ""),
    )
    if data.get("category"):
        kind, _sep, code = data["category"].partition(":")
        category = category_by_code(kind=kind, code=code) if kind and code else None
        if category is None:
            raise ValidationFailed(
                _("未知的类别，请用“类型:编码”，例如 event:0404。"), field="category"
            )
        filters.category = category.pk
    if data.get("area"):
        filters.area = Unit.objects.filter(code=data["area"]).first()
        if filters.area is None:
            raise ValidationFailed(_("未知的区域编码。"), field="area")
    if filters.deadline == DeadlineState.ON_TIME:
        filters.deadline = ""
        tab = sel.Tab(tab.key, tab.label, tab.condition, deadline=DeadlineState.ON_TIME)
    return tab, filters


class CaseListApi(generics.GenericAPIView):
    """The cases in the user's data scope, newest first, with the inbox filters."""

    pagination_class = CursorPage
    serializer_class = CaseRowOut

    def get_queryset(self) -> Any:  # for the schema; the list builds its own
        return Case.objects.none()

    @extend_schema(parameters=[CaseFilterIn], responses={200: CaseRowOut(many=True)})
    def get(self, request: Request) -> Response:
        tab, filters = _filters(request.user, request.query_params)
        now = timezone.now()
        qs = sel.inbox_cases(request.user, tab=tab, filters=filters, now=now)
        page = self.paginate_queryset(qs)
        rows = [_row(case, now) for case in page or []]
        return self.get_paginated_response(CaseRowOut(rows, many=True).data)


# --- one case --------------------------------------------------------------------------------


class CaseDetailApi(APIView):
    """One case in the user's scope: timeline (internal notes included), assignments,
    deadlines and the steps the user may take now."""

    @extend_schema(responses={200: CaseDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        case = sel.access_case(request.user, pk)
        return Response(CaseDetailOut(_detail(request.user, case)).data)


class StepIn(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="required for reject, return, suspend, send_back",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="the result for handle; the opinion for supervise",
    )
    department = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="dispatch: lead department key"
    )
    assisting = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        max_length=20,
        help_text="dispatch: assisting department keys",
    )
    merge_into = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="merge: the target's tracking code"
    )


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(required=False)


class StepOut(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    status_label = serializers.CharField()
    supervised = serializers.BooleanField()
    visible = serializers.BooleanField(
        help_text="false when the step took the case out of the user's scope (e.g. return)"
    )


def _department(case: Case, key: str, *, field: str) -> Department:
    department = (
        sel.dispatch_departments(case).filter(key=key).order_by("-jurisdiction__depth").first()
    )
    if department is None:
        raise ValidationFailed(_("请选择有效的部门。"), field=field)
    return department


def _step_kwargs(user: Any, case: Case, action: str, data: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if action == "dispatch" and data["department"]:
        kwargs["department"] = _department(case, data["department"], field="department")
        kwargs["assisting"] = [_department(case, k, field="assisting") for k in data["assisting"]]
    elif action == "merge":
        code = data["merge_into"].strip()
        target = sel.case_scope(user).filter(tracking_code=code).first() if code else None
        if target is None:
            raise ValidationFailed(_("请选择要合并到的案件。"), field="merge_into")
        kwargs["merge_into"] = target
    return kwargs


class CaseStepApi(APIView):
    """One step of the state machine (or 督办) on a case; ``action`` is fixed per URL."""

    parser_classes = [JSONParser, FormParser]
    action_name = ""

    @extend_schema(
        request=StepIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: StepOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        data = api._parse(StepIn, api._json_body(request))
        user = request.user
        action = self.action_name
        if action == "supervise":
            case = sel.access_case(user, pk)
            with transaction.atomic():
                case = services.case_supervise(
                    case=case, actor=services.Actor.of(user), note=data["note"].strip()
                )
        else:
            with transaction.atomic():
                case = services.case_get_for_update(case_id=pk, user=user)
                case = services.case_transition(
                    case=case,
                    action=action,
                    actor=services.Actor.of(user),
                    reason=data["reason"].strip(),
                    note=data["note"].strip(),
                    **_step_kwargs(user, case, action, data),
                )
        return Response(
            StepOut(
                {
                    "id": case.pk,
                    "tracking_code": case.tracking_code,
                    "status": case.status,
                    "status_label": str(CaseStatus(case.status).label),
                    "supervised": case.supervised,
                    "visible": sel.case_scope(user).filter(pk=case.pk).exists(),
                }
            ).data,
            status=status.HTTP_200_OK,
        )


def step_view(action: str) -> Any:
    """The view for ``POST cases/<id>/<action>/``, with its own operation in the schema."""
    if action not in STAFF_ACTIONS:
        raise NotFound(_("未知的操作。"))
    view: type[CaseStepApi] = type(
        f"Case{action.title().replace('_', '')}Api",
        (CaseStepApi,),
        {"action_name": action, "__doc__": f"{workflow.label(action)} ({action})."},
    )
    return view.as_view()


# --- inbox, categories -----------------------------------------------------------------------


class TabOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text="cases: list with cases/?tab=KEY; returns: own returns")
    count = serializers.IntegerField()


class InboxOut(serializers.Serializer):
    role = serializers.CharField()
    tabs = TabOut(many=True)


class InboxApi(APIView):
    """The user's role inbox: its tabs with how many cases each holds."""

    @extend_schema(responses={200: InboxOut})
    def get(self, request: Request) -> Response:
        user = request.user
        counts = sel.tab_counts(user, timezone.now())
        tabs = []
        for tab in sel.tabs_for(user):
            if tab.kind == "cases":
                count = counts.get(tab.key, 0)
            else:
                count = sel.department_returns(user).count()
            tabs.append({"key": tab.key, "label": str(tab.label), "kind": tab.kind, "count": count})
        return Response(InboxOut({"role": getattr(user, "role", ""), "tabs": tabs}).data)


class CategoryListApi(APIView):
    """Every reportable category (public)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: CategoryOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = Category.objects.filter(is_active=True).order_by("kind", "code")
        return Response(CategoryOut(qs, many=True).data)


# --- the resident's report, idempotent -------------------------------------------------------


class IdempotentCaseReportApi(api.CaseReportApi):
    """``POST reports/`` with ``Idempotency-Key`` (the report view of ``cases.api``)."""

    @extend_schema(
        request=api.ReportIn, responses={201: api.ReportOut}, parameters=[IDEMPOTENCY_KEY]
    )
    @idempotent
    def post(self, request: Request) -> Response:
        return super().post(request)
