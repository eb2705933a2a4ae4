"""The assessment page (考评): every unit of a level, all KPIs, ranked by the composite."""

from django.http import Http404, HttpRequest, HttpResponse


def assessment(request: HttpRequest) -> HttpResponse:
    raise Http404


def assessment_export(request: HttpRequest) -> HttpResponse:
    raise Http404


def weights_edit(request: HttpRequest) -> HttpResponse:
    raise Http404
