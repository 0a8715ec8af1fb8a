"""The relocation benchmark's anchor: scipy.optimize.linear_sum_assignment on the cost matrix
logis-bench wrote (households × vacancies, float64 little-endian, infeasible pairs at a
prohibitive cost). Prints "scipy SECONDS MATCHED TOTAL" (the best of 3 runs after loading)."""
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

path, rows, cols, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
cost = np.fromfile(path, dtype="<f8").reshape(rows, cols)
best = None
for _ in range(3):
    t = time.perf_counter()
    r, c = linear_sum_assignment(cost)
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
chosen = cost[r, c]
ok = chosen < big
print(f"scipy {best:.4f} {int(ok.sum())} {int(chosen[ok].sum())}")
