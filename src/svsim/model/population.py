"""The caseload on the census date: an age band x setting table fitted to the two published margins.

SEN2 publishes EHC plans by age band and by setting, but not the cross-table. We fit a prior pattern to both
margins by iterative proportional fitting (IPF), then round to whole plans so that both margins hold exactly
(controlled rounding), keeping structural zeros (a prior of 0 stays 0). Single years of age within each band
come from the age profile, by largest remainder. Everything here is deterministic and pure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from ..domain import AGE_BANDS, SETTINGS, ages_in_band


def ipf(prior: np.ndarray, row_totals: Sequence[float], col_totals: Sequence[float],
        tol: float = 1e-10, max_iter: int = 10_000) -> np.ndarray:
    """Scale `prior` (rows x columns, >= 0) so its row and column sums equal the given totals.

    Zeros in the prior stay zero. Raises ValueError when the margins disagree on the grand total or the zeros
    make the margins impossible to meet.
    """
    x = np.array(prior, dtype=float)
    rows = np.asarray(row_totals, dtype=float)
    cols = np.asarray(col_totals, dtype=float)
    if x.shape != (rows.size, cols.size):
        raise ValueError(f"prior has shape {x.shape}, margins need {(rows.size, cols.size)}")
    if (x < 0).any() or (rows < 0).any() or (cols < 0).any():
        raise ValueError("IPF needs a prior and margins of at least 0")
    total = rows.sum()
    if abs(total - cols.sum()) > 1e-9 * max(1.0, total):
        raise ValueError(f"the margins disagree: rows total {rows.sum():g}, columns total {cols.sum():g}")
    scale = max(1.0, total)
    for _ in range(max_iter):
        rs = x.sum(axis=1)
        if ((rs == 0) & (rows > 0)).any():
            raise ValueError("a row with a positive total has only zeros in the prior")
        x *= np.divide(rows, rs, out=np.zeros_like(rows), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        if ((cs == 0) & (cols > 0)).any():
            raise ValueError("a column with a positive total has only zeros in the prior")
        x *= np.divide(cols, cs, out=np.zeros_like(cols), where=cs > 0)[None, :]
        if np.abs(x.sum(axis=1) - rows).max() <= tol * scale:
            return x
    raise ValueError("IPF did not converge: the zeros in the prior make the margins impossible to meet")


def largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """Split a whole number `total` in proportion to `weights` (ties go to the earlier item)."""
    w = np.asarray(weights, dtype=float)
    if total == 0:
        return [0] * w.size
    if w.sum() <= 0:
        raise ValueError("cannot split a positive total over weights that are all zero")
    exact = w / w.sum() * total
    base = np.floor(exact + 1e-9).astype(int)
    short = int(total - base.sum())
    order = sorted(range(w.size), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:short]:
        base[i] += 1
    return base.tolist()


def controlled_round(table: np.ndarray, row_totals: Sequence[int], col_totals: Sequence[int]) -> np.ndarray:
    """Round a table whose margins are whole numbers to whole numbers with exactly those margins.

    Each cell goes to its floor or its ceiling; whole cells and zeros are kept. The cells rounded up are those
    with the largest fractions where possible, then an augmenting-path search (a small max-flow) fixes any
    margin still short, which always succeeds for a table with these margins.
    """
    t = np.asarray(table, dtype=float)
    snapped = np.where(np.abs(t - np.round(t)) < 1e-7, np.round(t), t)
    base = np.floor(snapped).astype(int)
    frac = snapped - base
    need_r = [int(r) - int(s) for r, s in zip(row_totals, base.sum(axis=1), strict=True)]
    need_c = [int(c) - int(s) for c, s in zip(col_totals, base.sum(axis=0), strict=True)]
    if min(need_r + need_c, default=0) < 0 or sum(need_r) != sum(need_c):
        raise ValueError("the table's margins do not match the totals")
    nr, nc = t.shape
    up = np.zeros_like(base, dtype=bool)
    cells = sorted(((frac[i, j], i, j) for i in range(nr) for j in range(nc) if frac[i, j] > 0),
                   key=lambda c: (-c[0], c[1], c[2]))
    for _, i, j in cells:
        if need_r[i] > 0 and need_c[j] > 0:
            up[i, j] = True
            need_r[i] -= 1
            need_c[j] -= 1
    # repair: augmenting paths row -> col over unused fractional cells, col -> row over used ones
    while any(n > 0 for n in need_r):
        i0 = next(i for i, n in enumerate(need_r) if n > 0)
        parent: dict[tuple[str, int], tuple[str, int] | None] = {("r", i0): None}
        queue = deque([("r", i0)])
        found = None
        while queue and found is None:
            kind, k = queue.popleft()
            if kind == "r":
                for j in range(nc):
                    if frac[k, j] > 0 and not up[k, j] and ("c", j) not in parent:
                        parent[("c", j)] = (kind, k)
                        if need_c[j] > 0:
                            found = ("c", j)
                            break
                        queue.append(("c", j))
            else:
                for i in range(nr):
                    if up[i, k] and ("r", i) not in parent:
                        parent[("r", i)] = (kind, k)
                        queue.append(("r", i))
        if found is None:
            raise ValueError("no whole-number table has these margins and zeros")
        need_c[found[1]] -= 1
        need_r[i0] -= 1
        node = found
        while parent[node] is not None:
            prev = parent[node]
            if node[0] == "c":  # edge row prev -> col node: round this cell up
                up[prev[1], node[1]] = True
            else:  # edge col prev -> row node: undo that cell
                up[node[1], prev[1]] = False
            node = prev
    return base + up.astype(int)


def start_caseload(prior: np.ndarray, by_band: Sequence[float], by_setting: Sequence[float]) -> np.ndarray:
    """Whole plans by [age band, setting] meeting both published margins exactly."""
    rows = [int(round(v)) for v in by_band]
    cols = [int(round(v)) for v in by_setting]
    if sum(rows) != sum(cols):
        raise ValueError(f"start_state caseload by age band totals {sum(rows)} but by setting {sum(cols)}")
    fitted = ipf(prior, rows, cols)
    return controlled_round(fitted, rows, cols)


def start_ages(table: np.ndarray, age_profile: Sequence[float]) -> np.ndarray:
    """Whole plans by [age, setting]: each band's count in each setting spread over its single years of age."""
    out = np.zeros((len(age_profile), len(SETTINGS)), dtype=int)
    for b, band in enumerate(AGE_BANDS):
        ages = ages_in_band(band)
        w = [age_profile[a] for a in ages]
        for s in range(len(SETTINGS)):
            n = int(table[b, s])
            if n == 0:
                continue
            if sum(w) <= 0:
                raise ValueError(f"start_state.age_profile gives no weight to any age in {band}")
            for a, k in zip(ages, largest_remainder(w, n), strict=True):
                out[a, s] += k
    return out


__all__ = ["controlled_round", "ipf", "largest_remainder", "start_ages", "start_caseload"]
