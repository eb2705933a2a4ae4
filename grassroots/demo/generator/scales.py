"""How big each demo scale is."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SEED = 20250101
DEMO_DISTRICT_CODE = "110199"
DEMO_DISTRICT_NAME = ("示范区", "Shifan District")
CITY_CODE = "110100"
CITY_NAME = ("示范市", "Shifan City")
CENTER = (116.40, 39.925)  # lon, lat: the demo district sits about here


@dataclass(frozen=True)
class Scale:
    """Sizes of one scale. Counts are inclusive ranges drawn per parent."""

    name: str
    districts: int  # 0: the district is the root; otherwise a city with this many districts
    streets: tuple[int, int]
    communities: tuple[int, int]
    grids: tuple[int, int]
    district_radius_km: float
    population: int
    relax: int = 4


SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        districts=0,
        streets=(2, 2),
        communities=(2, 3),
        grids=(3, 5),
        district_radius_km=2.0,
        population=12_000,
    ),
    "district": Scale(
        name="district",
        districts=0,
        streets=(8, 8),
        communities=(8, 10),
        grids=(10, 12),
        district_radius_km=4.0,
        population=100_000,
    ),
    # 12 × 8 × ≥10 × ≥11 ≥ 10,560 grids
    "city": Scale(
        name="city",
        districts=12,
        streets=(8, 8),
        communities=(10, 11),
        grids=(11, 13),
        district_radius_km=3.6,
        population=2_400_000,
    ),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None
