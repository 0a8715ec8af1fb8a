"""The import benchmark's anchor: DuckDB loads the exchange-format CSV logis-bench generated into
its own database file (a fresh one), then groups it by commune × year × product, as a report
would. Prints "duckdb LOAD_SECONDS GROUP_SECONDS ROWS PEAK_MIB" (one run: a load is not repeated
on a warm database)."""
import os
import resource
import sys
import tempfile
import time

import duckdb

path = sys.argv[1]
with tempfile.TemporaryDirectory() as d:
    con = duckdb.connect(os.path.join(d, "bench.duckdb"))
    t = time.perf_counter()
    con.execute(
        "CREATE TABLE lines AS SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
        [path],
    )
    load = time.perf_counter() - t
    t = time.perf_counter()
    groups = con.execute(
        "SELECT commune, annee, produit, sum(CAST(logements AS BIGINT)) FROM lines GROUP BY ALL"
    ).fetchall()
    group = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM lines").fetchone()[0]
    con.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"duckdb {load:.3f} {group:.3f} {rows} {peak:.0f}")
_ = groups
