from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def ui(request: HttpRequest) -> dict[str, object]:
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "map_crs": settings.MAP_CRS,
    }
