"""The anchor of logis-bench foncier: DuckDB loads the same operations file and runs the cost
report's aggregate (landlord × nature × product × year: operations, dwellings, dwellings with a
cost, cost) on it. Prints "what rows seconds" lines. Run by scripts/ensure-bench-python.sh's Python."""
import sys
import time

import duckdb

path = sys.argv[1]
con = duckdb.connect()
t = time.perf_counter()
con.execute(
    f"CREATE TABLE lines AS SELECT * FROM read_csv('{path}', delim=';', header=true, all_varchar=true)"
)
loaded = con.execute("SELECT count(*) FROM lines").fetchone()[0]
print(f"chargement {loaded} {time.perf_counter() - t:.3f}")
query = """
SELECT bailleur, nature, produit, annee,
       count(DISTINCT reference),
       sum(CAST(logements AS BIGINT)),
       sum(CASE WHEN cout IS NULL THEN 0 ELSE CAST(logements AS BIGINT) END),
       sum(CAST(replace(replace(replace(cout, ' ', ''), '.', ''), ',', '') AS BIGINT))
FROM lines WHERE nature <> 'Démolition'
GROUP BY ALL ORDER BY ALL
"""
runs = []
rows = 0
for _ in range(5):
    t = time.perf_counter()
    rows = len(con.execute(query).fetchall())
    runs.append(time.perf_counter() - t)
runs.sort()
print(f"couts-agregat {rows} {runs[len(runs) // 2]:.3f}")
