"""The settlement benchmark's anchor (issue 21): DuckDB loads the attributions and occupancy
files logis-bench generated into its own database file (a fresh one), then groups them by
commune, as the observatory's indicators would. Prints
"duckdb LEASES_LOAD_SECONDS OCCUPANCY_LOAD_SECONDS GROUP_SECONDS ROWS PEAK_MIB"."""
import os
import resource
import sys
import tempfile
import time

import duckdb

leases, occupancy = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as d:
    con = duckdb.connect(os.path.join(d, "bench.duckdb"))
    loads = []
    for name, path in (("leases", leases), ("occupancy", occupancy)):
        t = time.perf_counter()
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
            [path],
        )
        loads.append(time.perf_counter() - t)
    t = time.perf_counter()
    con.execute(
        "SELECT commune, count(*), "
        "count(*) FILTER (WHERE CAST(ressources_pct_plafond AS INTEGER) < 20), "
        "count(*) FILTER (WHERE aide_logement = 'oui'), "
        "count(*) FILTER (WHERE composition = 'monoparentale'), "
        "count(*) FILTER (WHERE CAST(enfants AS INTEGER) >= 3), "
        "count(*) FILTER (WHERE emploi = 'non') FROM occupancy GROUP BY commune"
    ).fetchall()
    con.execute(
        "SELECT substr(date_bail, 7, 4), commune, count(*), count(*) FILTER (WHERE qpv = 'non'), "
        "count(*) FILTER (WHERE dalo = 'oui' OR prioritaire = 'oui') FROM leases GROUP BY 1, 2"
    ).fetchall()
    group = time.perf_counter() - t
    rows = con.execute("SELECT (SELECT count(*) FROM leases) + (SELECT count(*) FROM occupancy)").fetchone()[0]
    con.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"duckdb {loads[0]:.3f} {loads[1]:.3f} {group:.3f} {rows} {peak:.0f}")
