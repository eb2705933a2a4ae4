"""Pages of the base database under ``/registry/`` (namespace ``registry``)."""

from importlib.util import find_spec

from django.urls import include, path

from .views import houses, people, steward

app_name = "registry"
urlpatterns = [
    path("", steward.overview, name="home"),
    path("resolve/", steward.resolve, name="resolve"),
    path("imports/", steward.imports, name="imports"),
    path("imports/<int:pk>/", steward.batch_detail, name="batch"),
    path("imports/<int:pk>/progress/", steward.batch_progress, name="batch-progress"),
    path("imports/<int:pk>/rejects.csv", steward.batch_rejects_file, name="batch-rejects"),
    path("review/", steward.review, name="review"),
    path("review/<int:pk>/", steward.review, name="review-pair"),
    path("review/<int:pk>/<slug:decision>/", steward.review_decide, name="review-decide"),
    path("merges/<int:pk>/undo/", steward.merge_undo, name="merge-undo"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("people/<int:pk>/reveal/", people.person_reveal, name="person-reveal"),
    path("houses/", houses.house_list, name="houses"),
    path("organisations/", houses.organisation_list, name="organisations"),
    path("facilities/", houses.facility_list, name="facilities"),
    path("houses/<int:pk>/", houses.house_detail, name="house"),
    path("houses/<int:pk>/visit/", houses.house_visit, name="house-visit"),
]

# The data-sharing pages (catalogue, requests, grants) live beside these, in their own module.
if find_spec("grassroots.registry.urls_sharing") is not None:
    urlpatterns.append(path("sharing/", include("grassroots.registry.urls_sharing")))
