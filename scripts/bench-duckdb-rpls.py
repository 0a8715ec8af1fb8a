"""The stock benchmark's anchor (issue 20): DuckDB loads the RPLS file logis-bench generated into
its own database file (a fresh one), then groups it by commune, as the indicators would. Prints
"duckdb LOAD_SECONDS GROUP_SECONDS ROWS PEAK_MIB"."""
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
        "CREATE TABLE rpls AS SELECT * FROM read_csv(?, delim = ';', header = true, all_varchar = true)",
        [path],
    )
    load = time.perf_counter() - t
    t = time.perf_counter()
    groups = con.execute(
        "SELECT DEPCOM, count(*), count(*) FILTER (WHERE QPV_CODE <> ''), "
        "count(*) FILTER (WHERE DPEENERGIE IN ('F', 'G')) FROM rpls GROUP BY DEPCOM"
    ).fetchall()
    group = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM rpls").fetchone()[0]
    con.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"duckdb {load:.3f} {group:.3f} {rows} {peak:.0f}")
_ = groups
