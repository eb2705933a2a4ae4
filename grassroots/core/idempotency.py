"""``Idempotency-Key`` for API POSTs that create or change something.

A client that may retry (a flaky network, a mobile app) sends a unique key with the POST.
The first answer is stored under (who, key) together with a fingerprint of the request
(method, path, body); a retry with the same key and the same request gets that answer
again — same status, same body, header ``Idempotent-Replayed: true`` — and nothing is done
twice. The same key with a different request is refused (422); a retry while the first is
still running is refused (409) so the two cannot both act.

Storage is Django's default cache, for ``IDEMPOTENCY_TTL`` (24 hours). **Production needs a
shared cache (Redis)**, as the rate limits already do: with the per-process memory cache
of ``bin/demo`` a retry that reaches another worker process is not recognised. Only the
answers a view returns (below 500) are stored; a refusal raised as an error (400, 404, 409)
changed nothing, so a retry is simply judged again.

Usage, on an ``APIView`` method::

    @idempotent
    def post(self, request, ...): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from . import ratelimit

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_TTL = 24 * 60 * 60
# How long a first request may hold its key before a retry is allowed to run instead.
IN_FLIGHT_TTL = 60
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key (e.g. a UUID) for this request. A retry with the same key and body "
        "returns the first answer (header Idempotent-Replayed: true) and does nothing "
        "again; the same key with a different body answers 422."
    ),
)

F = TypeVar("F", bound=Callable[..., Response])


def _error(status: int, code: str, message: str) -> Response:
    return Response({"code": code, "message": message}, status=status)


def _who(request: Request) -> str:
    user = request.user
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"ip{ratelimit.client_ip(request)}"


def _body(request: Request) -> Any:
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (form posts)
        return {k: v for k, v in data.lists()}
    return data


def fingerprint(request: Request) -> str:
    body = json.dumps(_body(request), sort_keys=True, default=str, ensure_ascii=False)
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def cache_key(request: Request, key: str) -> str:
    digest = hashlib.sha256(f"{_who(request)}\n{key}".encode()).hexdigest()
    return f"idempotency:{digest}"


def idempotent(handler: F) -> F:
    """Make an API view method idempotent under the ``Idempotency-Key`` header."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            return _error(
                400,
                "invalid_idempotency_key",
                _("Idempotency-Key 必须是 1 到 255 个可打印的 ASCII 字符。"),
            )
        store = cache_key(request, key)
        lock = f"{store}:lock"
        print_ = fingerprint(request)
        stored = cache.get(store)
        if stored is None:
            if not cache.add(lock, print_, IN_FLIGHT_TTL):
                return _error(
                    409,
                    "idempotency_in_progress",
                    _("使用同一 Idempotency-Key 的请求正在处理中，请稍后重试。"),
                )
            try:
                response = handler(view, request, *args, **kwargs)
                if response.status_code < 500:
                    cache.set(
                        store,
                        {
                            "fingerprint": print_,
                            "status": response.status_code,
                            "data": response.data,
                        },
                        IDEMPOTENCY_TTL,
                    )
            finally:
                cache.delete(lock)
            return response
        if stored["fingerprint"] != print_:
            return _error(
                422,
                "idempotency_key_reused",
                _("该 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的键。"),
            )
        return Response(stored["data"], status=stored["status"], headers={REPLAYED: "true"})

    return wrapper  # type: ignore[return-value]
