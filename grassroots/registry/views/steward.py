"""The data steward's pages: the overview, imports (upload → live progress → results,
rejects file, corrected re-submission), the review queue and undoing a merge.

Stewards and administrators only (a 403 page for other roles); every read through
``registry.selectors`` (scoped), every change through one ``registry.services`` call, which
validates, writes and audits in one transaction.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.core.errors import DomainError, NotFound

from .. import selectors as sel
from .. import services
from ..choices import FINISHED_IMPORT_STATUSES, ImportStatus, MatchStatus
from ..forms import UploadForm, max_upload_mb, resubmission_target
from ..sources import spec_for
from .common import STEWARD_ROLES, is_htmx, no_store, page, personal, roles_required

steward_only = roles_required(STEWARD_ROLES)


def _found(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


# --- overview ------------------------------------------------------------------------------------


@steward_only
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    data = sel.overview(request.user)
    return page(
        request,
        "registry/overview.html",
        {"o": data, "tab": "home", "review_pending": data.review_pending},
    )


@steward_only
@require_POST
def resolve(request: HttpRequest) -> HttpResponse:
    """Queue a resolution run: link the new person rows into golden records."""
    try:
        services.resolve_submit(user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已开始归并人员记录，完成后刷新本页查看结果。"))
    return redirect("registry:home")


# --- imports -------------------------------------------------------------------------------------


def _source_help() -> list[dict[str, Any]]:
    """Each source's expected columns, required ones first, for the upload form's help."""
    help_rows = []
    for source in sel.import_sources():
        try:
            spec = spec_for(source.key)
        except (KeyError, LookupError):
            continue
        help_rows.append(
            {
                "source": source,
                "columns": sorted(spec.columns, key=lambda c: not c.required),
            }
        )
    return help_rows


def _imports_page(request: HttpRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    batches = Paginator(sel.batch_list(request.user), sel.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return page(
        request,
        "registry/imports.html",
        {
            "form": form,
            "batches": batches,
            "source_help": _source_help(),
            "max_mb": max_upload_mb(),
            "max_bytes": settings.REGISTRY_IMPORT_MAX_BYTES,
            "tab": "imports",
        },
        status=status,
    )


@steward_only
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    """The list of imports and the upload form; a POST starts an import (a queue job) and
    goes to its batch page, where the progress shows."""
    if request.method == "GET":
        initial = {}
        again = sel.batches(request.user).filter(pk=_int(request.GET.get("resubmit"))).first()
        if again is not None:
            initial = {"source": again.source_id, "resubmission_of": again.pk}
        return _imports_page(request, UploadForm(initial=initial))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    data = form.cleaned_data
    upload = data["file"]
    try:
        batch = services.import_submit(
            source=data["source"],
            user=request.user,
            file=upload,
            name=upload.name,
            observed_at=data.get("observed_at"),
            resubmission_of=resubmission_target(
                data.get("resubmission_of"), sel.batches(request.user)
            ),
        )
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return _imports_page(request, form, status=exc.status_code)
    return redirect("registry:batch", pk=batch.pk)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _batch_context(request: HttpRequest, batch: Any) -> dict[str, Any]:
    finished = batch.status in FINISHED_IMPORT_STATUSES
    context: dict[str, Any] = {
        "batch": batch,
        "finished": finished,
        "refused": batch.status == ImportStatus.FAILED,
        "tab": "imports",
    }
    if finished:
        rejects = Paginator(sel.batch_rejects(batch), sel.REJECTS_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        for reject in rejects.object_list:
            reject.masked_raw = sel.masked_raw(reject.raw)  # type: ignore[attr-defined]
        context.update(
            rejects=rejects,
            reasons=sel.reason_summary(batch),
            report_notes=sel.report_notes(batch),
            resubmissions=list(batch.resubmissions.order_by("-id")[:5]),
        )
    return context


@steward_only
@personal
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _found(sel.access_batch, request.user, pk)
    return page(request, "registry/batch.html", _batch_context(request, batch))


@steward_only
@personal
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; once the import has finished, the whole page
    reloads (``HX-Refresh``) to show the results."""
    batch = _found(sel.access_batch, request.user, pk)
    if batch.status in FINISHED_IMPORT_STATUSES and is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return page(request, "registry/_progress.html", {"batch": batch})


@steward_only
@require_GET
def batch_rejects_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows as the department sent them (ID numbers in full, so they can be
    corrected), with the reasons; the download is audited by the service."""
    batch = _found(sel.access_batch, request.user, pk)
    try:
        filename, data = services.import_rejects_file(batch=batch, user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("registry:batch", pk=batch.pk)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return no_store(response)


# --- review --------------------------------------------------------------------------------------


@steward_only
@personal
@require_GET
def review(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The review queue: the most likely pair first (or the pair asked for), two records
    side by side, masked, with the model's per-field agreement."""
    queue = sel.review_queue(request.user)
    candidate = _found(sel.access_candidate, request.user, pk) if pk else queue.first()
    waiting = Paginator(queue, sel.PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "candidate": candidate,
        "waiting": waiting,
        "review_pending": waiting.paginator.count,
        "recent": sel.recent_decisions(request.user),
        "tab": "review",
    }
    if candidate is not None:
        context["rows"] = sel.compare(candidate)
        sources = sel.record_sources([candidate.left_id, candidate.right_id])
        context["left_sources"] = sources[candidate.left_id]
        context["right_sources"] = sources[candidate.right_id]
        context["merge"] = (
            sel.merge_of(candidate) if candidate.status == MatchStatus.CONFIRMED else None
        )
    return page(request, "registry/review.html", context)


DECISIONS = {"confirm", "reject"}


@steward_only
@require_POST
def review_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404
    candidate = _found(sel.access_candidate, request.user, pk)
    note = request.POST.get("note", "").strip()[:1000]
    try:
        if decision == "confirm":
            services.confirm_match(candidate=candidate, user=request.user, note=note)
            messages.success(request, _("已确认为同一人，两条记录已合并；如有误可撤销。"))
        else:
            services.reject_match(candidate=candidate, user=request.user, note=note)
            messages.success(request, _("已标记为不是同一人。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("registry:review-pair", pk=candidate.pk)
    if decision == "confirm":
        return redirect("registry:review-pair", pk=candidate.pk)
    return redirect("registry:review")


@steward_only
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    event = _found(sel.access_merge, request.user, pk)
    try:
        services.unmerge(event=event, user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已撤销合并，两条记录重新分开。"))
    target = request.POST.get("next", "")
    if target.startswith("/registry/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("registry:person", args=[event.survivor_id]))
