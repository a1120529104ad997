"""A schematic map of the country's regions for the dashboard: one inline SVG shape per
`registry.Region` (the 7 regions and the 2 cities), shaded by how much of a product is
available there. Drawn by hand on a 600×300 grid, north up: the neighbours touch as they do on
a real map, the shapes are not surveyed. No tiles, no external files."""

from __future__ import annotations

import math
from dataclasses import dataclass

from salamat.registry.models import Region

# Each region: its outline (an SVG path) or, for the two cities, a circle (cx, cy, r), and where
# its name goes.
SHAPES: dict[str, str] = {
    Region.TALAS: "M40,95 L70,62 L165,58 L172,110 L120,122 L60,118 Z",
    Region.CHUY: "M165,58 L200,36 L335,30 L340,112 L262,120 L172,110 Z",
    Region.ISSYK_KUL: "M335,30 L425,18 L525,34 L592,72 L586,150 L520,178 L432,150 L340,112 Z",
    Region.NARYN: "M262,120 L340,112 L432,150 L520,178 L482,236 L402,252 L330,240 L284,190 Z",
    Region.JALAL_ABAD: "M60,118 L120,122 L172,110 L262,120 L284,190 L222,196 L150,186 L100,170 L58,150 Z",
    Region.OSH_REGION: "M150,186 L222,196 L284,190 L330,240 L402,252 L330,272 L250,290 L160,266 L142,226 Z",
    Region.BATKEN: "M14,214 L98,204 L142,226 L160,266 L92,278 L10,252 Z",
}
CITIES: dict[str, tuple[int, int, int]] = {
    Region.BISHKEK: (250, 50, 12),
    Region.OSH_CITY: (176, 210, 11),
}
LABELS: dict[str, tuple[int, int]] = {
    Region.TALAS: (108, 92),
    Region.CHUY: (258, 88),
    Region.ISSYK_KUL: (488, 132),
    Region.NARYN: (392, 195),
    Region.JALAL_ABAD: (196, 150),
    Region.OSH_REGION: (262, 244),
    Region.BATKEN: (78, 244),
    Region.BISHKEK: (250, 24),
    Region.OSH_CITY: (120, 198),
}
LAKE = (452, 84, 58, 15)  # Issyk-Kul lake, for orientation only: cx, cy, rx, ry
LEVELS = 4  # shades of availability besides "none"


@dataclass(frozen=True)
class RegionCell:
    """One region on the map: its figures and how it is drawn."""

    code: str
    label: str
    packages: int
    sites: int
    level: int  # 0: none in stock; 1..LEVELS: a share of the best-supplied region
    selected: bool
    path: str = ""
    circle: tuple[int, int, int] | None = None
    label_at: tuple[int, int] = (0, 0)


def region_cells(rows: list[dict], *, selected: str = "") -> list[RegionCell]:
    """Every region (cities last, so that they are drawn on top), with its availability."""
    by_region = {r["region"]: r for r in rows}
    most = max((r["packages"] for r in rows), default=0)
    cells = []
    for code, label in Region.choices:
        row = by_region.get(code, {})
        packages = row.get("packages", 0)
        level = math.ceil(LEVELS * packages / most) if packages and most else 0
        cells.append(
            RegionCell(
                code=code, label=str(label), packages=packages, sites=row.get("sites", 0),
                level=min(level, LEVELS), selected=code == selected, path=SHAPES.get(code, ""),
                circle=CITIES.get(code), label_at=LABELS[code],
            )
        )  # fmt: skip
    return sorted(cells, key=lambda c: c.circle is not None)


def legend(rows: list[dict]) -> list[dict]:
    """The map's legend: the package counts each shade stands for."""
    most = max((r["packages"] for r in rows), default=0)
    if not most:
        return []
    steps = []
    for level in range(1, LEVELS + 1):
        low = math.floor(most * (level - 1) / LEVELS) + 1
        high = math.floor(most * level / LEVELS)
        if high >= low:
            steps.append({"level": level, "low": low, "high": high})
    return steps
