"""The shared data of the base database for departments (``/api/v1/registry/``).

Authentication: ``Authorization: Token <key>`` (``manage.py drf_create_token USERNAME``
issues one for a department handler's account; the department's grants go with it) or a
session. Every read starts from ``sharing.reader_for``: a department reads only the fields
of a grant of its own in force, only records in its jurisdiction; a data steward reads the
records in their data scope, sensitive fields masked. An expired or revoked grant, or none,
is 403 with the reason; a filter or lookup on a field outside the grant is 403 too. Each
record returned is one ``AccessLog`` row. ID numbers and phone numbers are looked up in the
request body (``POST …/lookup/``), never in a URL.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.core.api import CursorPage
from grassroots.core.errors import NotFound, PermissionDeniedError, ValidationFailed

from . import catalogue, sharing
from .catalogue import DATE, INTEGER, LIST, NUMBER, Dataset

# --- shared pieces ---------------------------------------------------------------------------


class SharingErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(required=False)


ERRORS = {400: SharingErrorOut, 403: SharingErrorOut, 404: SharingErrorOut}
MAX_ID = 2**63 - 1  # the largest primary key a database holds


class RecordPage(CursorPage):
    """Cursor pagination by record id: the cursor carries nothing but the id (no other
    field leaks through it)."""

    ordering = ("id",)


def _staff_only(request: Request) -> None:
    if not getattr(request.user, "is_staff_member", False):
        raise PermissionDeniedError(_("只有工作人员可以使用共享数据接口。"))


def _grant_param(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("grant 须为授权编号（整数）。"), field="grant") from None
    if not 1 <= number <= MAX_ID:
        raise ValidationFailed(_("grant 须为授权编号（整数）。"), field="grant")
    return number


# --- the catalogue ---------------------------------------------------------------------------


class FieldOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    sensitivity = serializers.ChoiceField(choices=[s.value for s in catalogue.Sensitivity])
    sensitive = serializers.BooleanField(help_text="masked unless granted in full")
    share = serializers.ChoiceField(choices=[s.value for s in catalogue.ShareType])
    kind = serializers.CharField()
    lookup = serializers.BooleanField(help_text="exact lookup through POST …/lookup/")


class DatasetOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    path = serializers.CharField(help_text="/api/v1/registry/{path}/ lists its records")
    grade = serializers.ChoiceField(choices=[g.value for g in catalogue.Grade])
    share = serializers.ChoiceField(choices=[s.value for s in catalogue.ShareType])
    legal_basis = serializers.CharField()
    providers = serializers.ListField(child=serializers.CharField())
    fields = FieldOut(many=True)


def _dataset_data(ds: Dataset) -> dict[str, Any]:
    return {
        "key": ds.key,
        "name": str(ds.name),
        "description": str(ds.description),
        "path": ds.path,
        "grade": ds.grade.value,
        "share": ds.share.value,
        "legal_basis": str(ds.legal_basis),
        "providers": list(ds.providers),
        "fields": [
            {
                "key": f.key,
                "label": str(f.label),
                "description": str(f.description),
                "sensitivity": f.sensitivity.value,
                "sensitive": f.is_sensitive,
                "share": ds.share_of(f).value,
                "kind": f.kind,
                "lookup": bool(f.lookup),
            }
            for f in ds.fields
        ],
    }


class DatasetListApi(APIView):
    """The sharing catalogue: every dataset with its fields, sensitivity and share type."""

    @extend_schema(responses={200: DatasetOut(many=True), 403: SharingErrorOut})
    def get(self, request: Request) -> Response:
        _staff_only(request)
        return Response(DatasetOut([_dataset_data(d) for d in catalogue.DATASETS], many=True).data)


# --- grants ----------------------------------------------------------------------------------


class GrantOut(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(help_text="department key")
    dataset = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    full_fields = serializers.ListField(
        child=serializers.CharField(), help_text="sensitive fields granted unmasked"
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    state = serializers.ChoiceField(choices=list(sharing.GRANT_STATE_LABELS))
    purpose = serializers.CharField()


class GrantListApi(APIView):
    """The grants the user may see (a department handler: their department's)."""

    @extend_schema(responses={200: GrantOut(many=True)})
    def get(self, request: Request) -> Response:
        grants = sharing.grant_scope(request.user).order_by("-valid_until", "-id")[:200]
        data = [
            {
                "id": g.pk,
                "department": g.department.key,
                "dataset": g.dataset,
                "fields": g.fields,
                "full_fields": g.full_fields,
                "valid_from": g.valid_from,
                "valid_until": g.valid_until,
                "state": sharing.grant_state(g),
                "purpose": g.request.purpose,
            }
            for g in grants
        ]
        return Response(GrantOut(data, many=True).data)


# --- records ---------------------------------------------------------------------------------


def _value_field(spec: catalogue.FieldSpec) -> serializers.Field:
    kwargs: dict[str, Any] = {
        "required": False,
        "allow_null": True,
        "help_text": f"{spec.label}（{spec.sensitivity_label}）"
        + ("; masked unless granted in full" if spec.is_sensitive else ""),
    }
    if spec.kind == DATE:
        return serializers.DateField(**kwargs)
    if spec.kind == NUMBER:
        return serializers.FloatField(**kwargs)
    if spec.kind == INTEGER:
        return serializers.IntegerField(**kwargs)
    if spec.kind == LIST:
        return serializers.ListField(child=serializers.CharField(), **kwargs)
    return serializers.CharField(allow_blank=True, **kwargs)


def _record_serializer(ds: Dataset) -> type[serializers.Serializer]:
    """One record of ``ds``: ``id`` and every shareable field — only the granted ones are
    present in an answer."""
    attrs: dict[str, Any] = {"id": serializers.IntegerField()}
    attrs.update(
        {spec.key: _value_field(spec) for spec in ds.fields if spec.key in ds.shareable_keys}
    )
    name = ds.record_type.title() + "RecordOut"
    attrs["__doc__"] = f"One record of {ds.key}; only the fields of the grant are present."
    return type(name, (serializers.Serializer,), attrs)


def _lookup_serializer(ds: Dataset) -> type[serializers.Serializer]:
    attrs: dict[str, Any] = {
        "grant": serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            help_text="the grant to read under (when several)",
        )
    }
    for spec in ds.fields:
        if spec.lookup:
            attrs[spec.key] = serializers.CharField(
                required=False, max_length=64, help_text=f"{spec.label}: exact match"
            )
    attrs["__doc__"] = "Exactly one of the lookup fields."
    return type(ds.record_type.title() + "LookupIn", (serializers.Serializer,), attrs)


class RecordFilterIn(serializers.Serializer):
    grant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="the grant to read under (when several)",
    )
    grid = serializers.CharField(
        required=False, max_length=15, help_text="unit code: records in that unit and below"
    )


def _parse(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    if not s.is_valid():
        name, errors = next(iter(s.errors.items()))
        message = errors[0] if isinstance(errors, list) else str(errors)
        raise ValidationFailed(f"{name}: {message}", field=str(name))
    return dict(s.validated_data)


def _nothing_personal_in_url(ds: Dataset, params: Any) -> None:
    """ID numbers, phone numbers and other lookup values never travel in a URL (they would
    end up in access logs and browser histories): answer 400 rather than ignore them."""
    named = [f.key for f in ds.fields if (f.lookup or f.is_sensitive) and f.key in params]
    if named:
        raise ValidationFailed(
            _("“%(field)s”只能在请求体中查询（POST …/lookup/），不能放在网址里。")
            % {"field": named[0]},
            field=named[0],
        )


class _DatasetView:
    dataset_key = ""

    @property
    def ds(self) -> Dataset:
        found = catalogue.dataset(self.dataset_key)
        assert found is not None
        return found


class RecordListApi(_DatasetView, generics.GenericAPIView):
    pagination_class = RecordPage

    def get_queryset(self) -> Any:  # for the schema; the list builds its own
        return self.ds.model._default_manager.none()

    def list_records(self, request: Request) -> Response:
        _nothing_personal_in_url(self.ds, request.query_params)
        data = _parse(RecordFilterIn, request.query_params)
        reader = sharing.reader_for(
            user=request.user, dataset=self.ds.key, grant_id=data.get("grant")
        )
        records = reader.records
        if data.get("grid"):
            records = sharing.filter_by_grid(reader, records, data["grid"])
        page = self.paginate_queryset(records)
        return self.get_paginated_response(sharing.read_rows(reader, list(page or [])))


class RecordDetailApi(_DatasetView, APIView):
    def one_record(self, request: Request, pk: int) -> Response:
        _nothing_personal_in_url(self.ds, request.query_params)
        grant_id = _grant_param(request.query_params.get("grant"))
        reader = sharing.reader_for(user=request.user, dataset=self.ds.key, grant_id=grant_id)
        obj = reader.records.filter(pk=pk).first() if pk <= MAX_ID else None
        if obj is None:
            raise NotFound(_("找不到该记录。"))
        return Response(sharing.read_rows(reader, [obj])[0])


class RecordLookupApi(_DatasetView, APIView):
    parser_classes = [JSONParser, FormParser]
    lookup_in: type[serializers.Serializer] = serializers.Serializer

    def lookup_records(self, request: Request) -> Response:
        data = _parse(self.lookup_in, request.data)
        given = [(k, v) for k, v in data.items() if k != "grant" and str(v).strip()]
        if len(given) != 1:
            keys = "、".join(f.key for f in self.ds.fields if f.lookup)
            raise ValidationFailed(
                _("请在请求体中给出且只给出一个查询字段：%(keys)s。") % {"keys": keys},
                field="lookup",
            )
        reader = sharing.reader_for(
            user=request.user, dataset=self.ds.key, grant_id=data.get("grant")
        )
        key, value = given[0]
        records = sharing.lookup(reader, reader.records, key, str(value))
        found = list(records[: sharing.LOOKUP_MAX_RESULTS])
        return Response({"results": sharing.read_rows(reader, found)})


def dataset_views(ds: Dataset) -> tuple[Any, Any, Any]:
    """The list, detail and lookup views of one dataset, each with its own schema (fresh
    methods per dataset: schema annotations are stored on the function)."""
    out = _record_serializer(ds)
    lookup_in = _lookup_serializer(ds)
    name = ds.record_type.title()
    tags = [f"registry: {ds.path}"]
    results = type(f"{name}LookupOut", (serializers.Serializer,), {"results": out(many=True)})

    @extend_schema(
        parameters=[RecordFilterIn], responses={200: out(many=True), **ERRORS}, tags=tags
    )
    def list_get(self: RecordListApi, request: Request) -> Response:
        return self.list_records(request)

    @extend_schema(
        parameters=[
            OpenApiParameter("grant", int, required=False, description="the grant to read under")
        ],
        responses={200: out, **ERRORS},
        tags=tags,
    )
    def detail_get(self: RecordDetailApi, request: Request, pk: int) -> Response:
        return self.one_record(request, pk)

    @extend_schema(request=lookup_in, responses={200: results, **ERRORS}, tags=tags)
    def lookup_post(self: RecordLookupApi, request: Request) -> Response:
        return self.lookup_records(request)

    list_view = type(
        f"{name}ListApi",
        (RecordListApi,),
        {
            "dataset_key": ds.key,
            "serializer_class": out,
            "get": list_get,
            "__doc__": f"Records of {ds.key} readable under the caller's grant, in cursor "
            "pages by id; only the granted fields; each record returned is logged.",
        },
    )
    detail_view = type(
        f"{name}DetailApi",
        (RecordDetailApi,),
        {
            "dataset_key": ds.key,
            "get": detail_get,
            "__doc__": f"One record of {ds.key}; only the granted fields; the read is logged.",
        },
    )
    lookup_view = type(
        f"{name}LookupApi",
        (RecordLookupApi,),
        {
            "dataset_key": ds.key,
            "lookup_in": lookup_in,
            "post": lookup_post,
            "__doc__": f"Exact lookup of {ds.key} records by one lookup field given in the "
            "body (never in the URL); each record returned is logged.",
        },
    )
    return list_view.as_view(), detail_view.as_view(), lookup_view.as_view()
