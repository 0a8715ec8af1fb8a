"""The strategic plans' benchmark anchor (issue 22): DuckDB loads the three PSP files logis-bench
generated into its own database file (a fresh one), then computes what the cross-analysis does:
dwellings by landlord, commune, strategy and first year; residences exposed to the rental ban
(E 2034, F 2028, G 2025, unless rehabilitated, restructured or demolished before); demolitions
and restructurings of several landlords in one quartier whose years overlap. Prints
"duckdb LOAD_SECONDS ANALYSIS_SECONDS RESIDENCES PEAK_MIB" (the analysis: the best of 5)."""
import os
import resource
import sys
import tempfile
import time

import duckdb

files = sys.argv[1:]
with tempfile.TemporaryDirectory() as d:
    con = duckdb.connect(os.path.join(d, "bench.duckdb"))
    t = time.perf_counter()
    parts = []
    for i, path in enumerate(files):
        parts.append(
            f"SELECT {i} AS bailleur, * FROM read_csv('{path}', delim = ';', header = true, all_varchar = true)"
        )
    con.execute("CREATE TABLE psp AS " + " UNION ALL ".join(parts))
    load = time.perf_counter() - t
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        con.execute(
            "SELECT bailleur, commune, strategie, annee_debut, sum(CAST(logements AS INTEGER)) "
            "FROM psp GROUP BY ALL"
        ).fetchall()
        con.execute(
            "SELECT bailleur, residence, commune FROM psp WHERE "
            "(dpe = 'G' OR dpe = 'F' OR dpe = 'E') AND NOT ("
            "strategie IN ('rehabiliter', 'restructurer', 'demolir') AND annee_fin <> '' AND "
            "CAST(annee_fin AS INTEGER) < CASE dpe WHEN 'G' THEN 2025 WHEN 'F' THEN 2028 ELSE 2034 END)"
        ).fetchall()
        con.execute(
            "WITH r AS (SELECT * FROM psp WHERE strategie IN ('demolir', 'restructurer') AND quartier <> '' AND annee_debut <> '') "
            "SELECT DISTINCT a.bailleur, a.residence, a.commune, a.quartier FROM r a JOIN r b "
            "ON a.commune = b.commune AND a.quartier = b.quartier AND a.bailleur <> b.bailleur "
            "AND CAST(a.annee_debut AS INTEGER) <= CAST(coalesce(nullif(b.annee_fin, ''), b.annee_debut) AS INTEGER) "
            "AND CAST(b.annee_debut AS INTEGER) <= CAST(coalesce(nullif(a.annee_fin, ''), a.annee_debut) AS INTEGER)"
        ).fetchall()
        best = min(best, time.perf_counter() - t)
    rows = con.execute("SELECT count(*) FROM psp").fetchone()[0]
    con.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"duckdb {load:.3f} {best:.4f} {rows} {peak:.0f}")
