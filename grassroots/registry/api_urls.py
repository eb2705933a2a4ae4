"""``/api/v1/registry/``: the sharing catalogue, grants, and the records of each shared
dataset (list, lookup by POST body, one record) — see ``registry.api``."""

from django.urls import path

from . import api, catalogue

urlpatterns = [
    path("datasets/", api.DatasetListApi.as_view(), name="api-registry-datasets"),
    path("grants/", api.GrantListApi.as_view(), name="api-registry-grants"),
]
for _ds in catalogue.shared_datasets():
    _list, _detail, _lookup = api.dataset_views(_ds)
    urlpatterns += [
        path(f"{_ds.path}/", _list, name=f"api-registry-{_ds.path}"),
        path(f"{_ds.path}/lookup/", _lookup, name=f"api-registry-{_ds.path}-lookup"),
        path(f"{_ds.path}/<int:pk>/", _detail, name=f"api-registry-{_ds.path}-detail"),
    ]
