"""API plumbing shared by every app: turning domain errors into JSON answers."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        return Response(
            {"code": "not_found", "message": _("找不到该记录。")}, status=status.HTTP_404_NOT_FOUND
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {
            "code": getattr(response.data["detail"], "code", "error"),
            "message": str(response.data["detail"]),
        }
    return response


class CursorPage(CursorPagination):
    """Cursor pagination for lists that grow while they are read (newest first, stable
    under inserts; no page numbers, no COUNT). ``?page_size=`` up to 100."""

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")
