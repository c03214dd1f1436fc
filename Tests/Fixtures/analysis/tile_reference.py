"""Plain reference of the tile definitions of Protocol/README.md §11 ("Tiles and estimators",
"Tile metrics"), loop by loop in float64, independent of the Swift code.

Inputs per head: Q, K (T, D) float32 and the exact attention A (T, T) float32. Each estimator
returns (kept, near, multiply_adds): kept[i] = sorted kept key blocks of query block i; near =
the query blocks whose decision lies within NEAR (relative) of a boundary, where float32 rounding
in another implementation may decide the other way (lastQueries decides per head: all or none).
"""
import math

import numpy as np

NEAR = 1e-4
CHUNK_ROWS = 32          # antidiagonal's GEMM chunk: its multiply-adds count what it computes


class Geometry:
    def __init__(self, T, bq, bk):
        self.T, self.bq, self.bk = T, bq, bk
        self.nq = (T + bq - 1) // bq
        self.nk = (T + bk - 1) // bk

    def queries(self, i):
        return range(i * self.bq, min(i * self.bq + self.bq, self.T))

    def keys(self, j):
        return range(j * self.bk, min(j * self.bk + self.bk, self.T))

    def visible(self, i):
        return (self.queries(i)[-1]) // self.bk + 1

    def diagonal(self, i):
        rows = self.queries(i)
        return list(range(rows[0] // self.bk, rows[-1] // self.bk + 1))


# ---------------------------------------------------------------- selection on scores

def order_desc(scores):
    return sorted(range(len(scores)), key=lambda j: (-scores[j], j))


def relative_cut(value, visible_keys):
    """relativeThreshold c: the threshold c / (keys visible to the deciding row)."""
    return value / visible_keys


def select(scores, selection, value, visible_keys=None):
    """(kept indices ascending, near) for one list of scores. relativeThreshold c is threshold
    c / visible_keys (the keys the deciding row sees: a query block's last query)."""
    n = len(scores)
    if selection == "relativeThreshold":
        selection, value = "threshold", relative_cut(value, visible_keys)
    if selection == "threshold":
        kept = [j for j in range(n) if scores[j] >= value]
        near = any(abs(s - value) <= NEAR * value for s in scores)
        return kept, near
    order = order_desc(scores)
    if selection == "topK":
        k = int(value)
        kept = sorted(order[:k])
        near = k < n and scores[order[k - 1]] - scores[order[k]] <= NEAR * max(abs(scores[order[k - 1]]), 1e-300)
        return kept, near
    assert selection == "coverage"
    total = sum(scores[j] for j in order)
    target = value * total
    running, count = 0.0, 0
    while count < n and running < target:
        running += scores[order[count]]
        count += 1
    before = running - scores[order[count - 1]] if count > 0 else 0.0
    scale = NEAR * max(total, 1e-300)
    near = (count > 0 and (abs(running - target) <= scale or abs(target - before) <= scale)) or \
        (0 < count < n and scores[order[count - 1]] - scores[order[count]] <= scale)
    return sorted(order[:count]), near


def mask_from_scores(g, scores, selection, value, keep_diagonal, keep_sink=False):
    kept, near = [], []
    for i in range(g.nq):
        vis = g.visible(i)
        chosen, is_near = select(scores[i][:vis], selection, value, g.queries(i)[-1] + 1)
        chosen = set(chosen)
        if keep_diagonal:
            chosen |= set(g.diagonal(i))
        if keep_sink:
            chosen.add(0)
        kept.append(sorted(j for j in chosen if j < vis))
        if is_near:
            near.append(i)
    return kept, near


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    top = x[finite].max()
    e = np.where(finite, np.exp(x - top), 0.0)
    return e / e.sum()


# ---------------------------------------------------------------- the oracle and the estimators

def oracle(g, A, selection, value, keep_sink=False, keep_local=False):
    scores = []
    for i in range(g.nq):
        row = []
        for j in range(g.visible(i)):
            entries = [float(A[q, k]) for q in g.queries(i) for k in g.keys(j) if k <= q]
            row.append(max(entries) if selection in ("threshold", "relativeThreshold") else math.fsum(entries))
        scores.append(row)
    kept, near = mask_from_scores(g, scores, selection, value, keep_local, keep_sink)
    return kept, near, 0


def mean_pool(g, Q, K, selection, value):
    T, D = Q.shape
    q64, k64 = Q.astype(np.float64), K.astype(np.float64)
    pq = [q64[list(g.queries(i))].mean(axis=0) for i in range(g.nq)]
    pk = [k64[list(g.keys(j))].mean(axis=0) for j in range(g.nk)]
    scores, visible = [], 0
    for i in range(g.nq):
        vis = g.visible(i)
        visible += vis
        scores.append(list(softmax([pq[i] @ pk[j] / math.sqrt(D) for j in range(vis)])))
    kept, near = mask_from_scores(g, scores, selection, value, True)
    return kept, near, 2 * T * D + D * visible


def antidiagonal(g, Q, K, stride, selection, value):
    T, D = Q.shape
    S = stride
    q64, k64 = Q.astype(np.float64), K.astype(np.float64)
    R = (T + S - 1) // S
    scores = [[0.0] * g.visible(i) for i in range(g.nq)]
    for a in range(R):
        logits = []
        for b in range(a + 1):
            terms = [(a * S + S - 1 - s, b * S + s) for s in range(S) if a * S + S - 1 - s < T and b * S + s < T]
            logits.append(sum(q64[q] @ k64[k] for q, k in terms) / (math.sqrt(D) * S) if terms else -math.inf)
        if all(l == -math.inf for l in logits):
            continue
        p = softmax(logits)
        i = (a * S) // g.bq
        rows_of_block = (len(g.queries(i)) + S - 1) // S
        for b in range(a + 1):
            scores[i][(b * S) // g.bk] += p[b] / rows_of_block
    kept, near = mask_from_scores(g, scores, selection, value, True)
    macs = 0
    for a0 in range(0, R, CHUNK_ROWS):
        a1 = min(a0 + CHUNK_ROWS, R)
        macs += (a1 - a0) * a1 * S * D
    return kept, near, macs


def last_queries(g, Q, K, count, selection, value):
    T, D = Q.shape
    n = min(count, T)
    q64, k64 = Q.astype(np.float64), K.astype(np.float64)
    vertical, slash = [0.0] * T, [0.0] * T
    for q in range(T - n, T):
        p = softmax([q64[q] @ k64[k] / math.sqrt(D) for k in range(q + 1)])
        for k in range(q + 1):
            vertical[k] += p[k] / n
            slash[q - k] += p[k] / n
    columns, near_v = select(vertical, selection, value, T)     # relativeThreshold: the last query's T keys
    offsets, near_s = select(slash, selection, value, T)
    kept = [set(g.diagonal(i)) for i in range(g.nq)]
    for k in columns:
        for i in range(g.nq):
            if g.queries(i)[-1] >= k:
                kept[i].add(k // g.bk)
    for o in offsets:
        for q in range(o, T):
            kept[q // g.bq].add((q - o) // g.bk)
    near = list(range(g.nq)) if (near_v or near_s) else []
    return [sorted(s) for s in kept], near, n * T * D


def quest(g, Q, K, selection, value):
    T, D = Q.shape
    q64, k64 = Q.astype(np.float64), K.astype(np.float64)
    high = [k64[list(g.keys(j))].max(axis=0) for j in range(g.nk)]
    low = [k64[list(g.keys(j))].min(axis=0) for j in range(g.nk)]
    scores, pairs = [], 0
    for i in range(g.nq):
        vis = g.visible(i)
        best = [0.0] * vis
        for q in g.queries(i):
            u = [np.maximum(q64[q] * high[j], q64[q] * low[j]).sum() / math.sqrt(D) for j in range(vis)]
            w = softmax(u)
            best = [max(b, float(x)) for b, x in zip(best, w)]
            pairs += vis
        scores.append(best)
    kept, near = mask_from_scores(g, scores, selection, value, True)
    return kept, near, 2 * D * pairs


def streaming(g, sink, window):
    kept = []
    for i in range(g.nq):
        first = g.queries(i)[0]
        chosen = set(g.diagonal(i))
        for j in range(g.visible(i)):
            keys = g.keys(j)
            if keys[0] < sink or max(0, first - keys[-1]) < window:
                chosen.add(j)
        kept.append(sorted(chosen))
    return kept, [], 0


def f32(x):
    """A float32 as the shortest decimal that reads back as the same float32 (for JSON goldens)."""
    return float(str(np.float32(x)))


# ---------------------------------------------------------------- metrics

def head_metrics(g, kept, A, D):
    """Counts and per-row kept mass of one head's mask against its exact attention."""
    T = g.T
    kept_sets = [set(k) for k in kept]
    visible = sum(g.visible(i) for i in range(g.nq))
    entries = 0
    for i in range(g.nq):
        for j in kept_sets[i]:
            entries += len(g.queries(i)) * len(g.keys(j))
    rows, fallback = [], 0
    for q in range(T):
        i = q // g.bq
        if not any(j * g.bk <= q for j in kept_sets[i]):
            fallback += 1
            entries += q + 1
            rows.append(1.0)
            continue
        total = math.fsum(float(A[q, k]) for k in range(q + 1))
        mass = math.fsum(float(A[q, k]) for k in range(q + 1) if k // g.bk in kept_sets[i])
        rows.append(mass / total if total > 0 else 1.0)
    return {"kept": sum(len(k) for k in kept), "visible": visible, "entries": entries,
            "causal": T * (T + 1) // 2, "dense": 2 * D * T * (T + 1) // 2, "fallback": fallback, "rows": rows}


def pooled(heads, macs):
    rows = [m for h in heads for m in h["rows"]]
    ordered = sorted(rows)
    rank = max(1, math.ceil(0.05 * len(ordered)))
    return {
        "tileDensity": sum(h["kept"] for h in heads) / sum(h["visible"] for h in heads),
        "computedFraction": sum(h["entries"] for h in heads) / sum(h["causal"] for h in heads),
        "recall": math.fsum(rows) / len(rows),
        "recallP5": ordered[min(rank, len(ordered)) - 1],
        "attentionKL": math.fsum(-math.log(m) for m in rows) / len(rows),
        "estimatorMultiplyAdds": macs,
        "estimatorCostFraction": macs / sum(h["dense"] for h in heads),
        "fallbackRows": sum(h["fallback"] for h in heads),
    }
