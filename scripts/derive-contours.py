#!/usr/bin/env python3
"""Commune contours for the map page, from the copy of IGN Admin Express COG 2018 (simplified,
via france-geojson) kept in ../shared/data/geo (see its SOURCE.md and data/SOURCES.md).

Writes data/contours-59-62.json: {"source", "licence", "communes": [{"code", "nom", "rings"}]}
where rings are lists of [longitude, latitude] in units of 1e-5 degree (integers), outer rings
and holes as in the source. 2018 codes are kept: logis maps merged communes to today's commune
with its former-commune table when it draws the map. Deterministic: same input, same bytes.

Usage: python3 scripts/derive-contours.py [SOURCE_DIR]
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data" / "geo"
files = ["communes-59-nord.geojson", "communes-62-pas-de-calais.geojson"]

communes = []
for name in files:
    data = json.loads((src / name).read_text(encoding="utf-8"))
    for f in data["features"]:
        g = f["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        rings = []
        for poly in polygons:
            for ring in poly:
                pts = [[round(x * 100000), round(y * 100000)] for x, y in ring]
                # Drop consecutive duplicates left by the rounding.
                dedup = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
                if len(dedup) >= 4:
                    rings.append(dedup)
        communes.append({"code": f["properties"]["code"], "nom": f["properties"]["nom"], "rings": rings})

communes.sort(key=lambda c: c["code"])
out = {
    "source": "IGN – Admin Express COG 2018, via france-geojson (gregoiredavid/france-geojson, commit 5d34ee6)",
    "licence": "Licence Ouverte / Open Licence (Etalab)",
    "communes": communes,
}
dest = root / "data" / "contours-59-62.json"
dest.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
print(f"{dest.relative_to(root)} : {len(communes)} communes")
