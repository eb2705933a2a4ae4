"""Linking source records to golden records.

Houses, organisations and facilities resolve deterministically when a file is imported
(:mod:`.places`): a house by its address key (``registry.address.address_key``), placed in a
grid by the row's coordinates, else by another house of its building or the community named
in the address; an organisation by its unified social credit code, else by normalised name
and house; a facility by its component code. People resolve probabilistically
(``services.resolve_people`` through ``registry.linkage.link_people``; the plan that keeps
golden ids stable is :mod:`.people`). Golden values are recomputed in bulk
(:mod:`.recompute`) with the rule in ``registry.golden``; large writes go through
:mod:`.bulk`.
"""

from __future__ import annotations

from .bulk import fast_insert, fast_update, new_record, new_row, reserve_ids
from .people import PeoplePlan, ResolveReport, active_root, plan_people
from .places import (
    Geocoder,
    Placement,
    locate_points,
    organisation_name_key,
    place_facilities,
    place_houses,
    place_organisations,
)
from .recompute import (
    HOUSE_VALUE_FIELDS,
    PERSON_UPDATE_FIELDS,
    RECORD_COLUMNS,
    apply_person_golden,
    house_address_provenance,
    recompute_facilities,
    recompute_houses,
    recompute_organisations,
    recompute_people,
    source_keys,
    trust_for_all,
)

__all__ = [
    "HOUSE_VALUE_FIELDS",
    "PERSON_UPDATE_FIELDS",
    "RECORD_COLUMNS",
    "Geocoder",
    "PeoplePlan",
    "Placement",
    "ResolveReport",
    "active_root",
    "apply_person_golden",
    "fast_insert",
    "fast_update",
    "house_address_provenance",
    "locate_points",
    "new_record",
    "new_row",
    "organisation_name_key",
    "place_facilities",
    "place_houses",
    "place_organisations",
    "plan_people",
    "recompute_facilities",
    "recompute_houses",
    "recompute_organisations",
    "recompute_people",
    "reserve_ids",
    "source_keys",
    "trust_for_all",
]
