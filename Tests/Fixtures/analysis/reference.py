"""Plain reference implementation of SelectAttention's metric definitions (Protocol/README.md §11,
"Metric definitions"), element by element, independent of the Swift code.

Importable: feed it attention of shape (L, H, T, T) (e.g. HuggingFace's `output_attentions`
stacked) to get the sweep / profile / per-position values the Swift `AttentionAnalysis`
module must reproduce, and register `sa_pruned` in transformers' AttentionInterface to run
the pruned forward pass (end-to-end goldens).

Run as a script to regenerate the synthetic goldens next to this file:
    /root/venvs/sa/bin/python Tests/Fixtures/analysis/reference.py

Conventions that the definitions leave to the implementation (the Swift code does the same):
- attentionKL = -log1p(-prunedMass), the same number as -ln(m) computed without cancellation.
- coverage: the row mass it must reach is summed in the descending-mass order it walks, so a
  coverage of 1 stops exactly at the last block with positive mass.
- topK ties and coverage ties: lower block index first.
- a row whose kept blocks hold no mass at all (only possible with keep policies on rows with
  exact zeros) falls back to dense like a fully pruned row.
- segments are half-open [start, end).
"""
import json
import math
import os
import sys

import numpy as np

DEFAULT_EPS = 1e-12


# ---------------------------------------------------------------- geometry and selection

def block_count(T, B):
    return (T + B - 1) // B


def visible_blocks(q, B):
    """Blocks j with j*B <= q."""
    return q // B + 1


def block_keys(j, B, T):
    return range(j * B, min(j * B + B, T))


def block_max(row, j, B, T):
    """M[q, j]: max over every key of block j (keys past q are 0 in causal attention)."""
    return max(float(row[k]) for k in block_keys(j, B, T))


def block_mass(row, j, B, T, q):
    """Sum of A[q, k] over the block's visible keys k <= q, in float64, key by key."""
    total = 0.0
    for k in block_keys(j, B, T):
        if k <= q:
            total += float(row[k])
    return total


def pure_kept_blocks(row, q, T, B, selection, value):
    """Set of visible blocks the rule keeps (no keep policy, no fallback)."""
    nb = visible_blocks(q, B)
    if selection == "threshold":
        return {j for j in range(nb) if not (block_max(row, j, B, T) < value)}
    masses = [block_mass(row, j, B, T, q) for j in range(nb)]
    order = sorted(range(nb), key=lambda j: (-masses[j], j))
    if selection == "topK":
        return set(order[: min(int(value), nb)])
    if selection == "coverage":
        total = 0.0
        for j in order:
            total += masses[j]
        target = value * total
        kept, running = 0, 0.0
        while kept < nb and running < target:
            running += masses[order[kept]]
            kept += 1
        return set(order[:kept])
    raise ValueError("selection must be threshold, coverage or topK, got %r" % selection)


def row_decision(row, q, T, B, selection, value, keep_sink=False, keep_local=False):
    """Returns (pure_kept, effective_kept, fully_pruned) for query q's row."""
    nb = visible_blocks(q, B)
    pure = pure_kept_blocks(row, q, T, B, selection, value)
    effective = set(pure)
    if keep_sink:
        effective.add(0)
    if keep_local:
        effective.add(q // B)
    pruned = [j for j in range(nb) if j not in effective]
    kept_mass = sum(block_mass(row, j, B, T, q) for j in sorted(effective))
    fully = len(effective) == 0 or (len(pruned) > 0 and kept_mass <= 0)
    if fully:
        effective = set(range(nb))
    return pure, effective, fully


# ---------------------------------------------------------------- row metrics

def row_metrics(row, q, T, B, selection, value, keep_sink=False, keep_local=False, eps=DEFAULT_EPS):
    """All per-row numbers of one point, as a dict."""
    nb = visible_blocks(q, B)
    pure, effective, fully = row_decision(row, q, T, B, selection, value, keep_sink, keep_local)
    Z = 0.0
    for k in range(q + 1):
        Z += float(row[k])
    pruned_sum = 0.0
    pruned_blocks = 0
    for j in range(nb):
        if j not in effective:
            pruned_blocks += 1
            for k in block_keys(j, B, T):
                if k <= q:
                    pruned_sum += float(row[k])
    pruned_mass = pruned_sum / Z if (pruned_blocks > 0 and Z > 0) else 0.0
    attention_kl = -math.log1p(-pruned_mass)
    # seedKL: the notebook's clamped formula over all T keys, pure rule.
    kept_keys = [k for k in range(q + 1) if (k // B) in pure]
    Zk = 0.0
    for k in kept_keys:
        Zk += float(row[k])
    c = max(Zk, eps)
    kept_set = set(kept_keys)
    total = 0.0
    for k in range(T):
        p = float(row[k]) if k <= q else 0.0
        qv = p / c if k in kept_set else 0.0
        pp, qq = max(p, eps), max(qv, eps)
        total += pp * (math.log(pp) - math.log(qq))
    seed_kl = max(total, 0.0)
    return {
        "prunedBlocks": pruned_blocks,
        "seedPrunedBlocks": nb - len(pure),
        "prunedMass": pruned_mass,
        "attentionKL": attention_kl,
        "seedKL": seed_kl,
        "fullyPruned": fully,
    }


# ---------------------------------------------------------------- studies

def sweep_point(attn, selection, block_size, value, keep_sink=False, keep_local=False, eps=DEFAULT_EPS):
    """One pruneSweep point over attention (L, H, T, T)."""
    L, H, T, _ = attn.shape
    B = block_size
    visible = H * sum(visible_blocks(q, B) for q in range(T))
    all_pairs = H * T * block_count(T, B)
    layers = []
    seed_fractions = []
    for l in range(L):
        acc = {"prunedBlocks": 0, "seedPrunedBlocks": 0, "prunedMass": 0.0, "attentionKL": 0.0,
               "seedKL": 0.0, "fullyPruned": 0}
        for h in range(H):
            for q in range(T):
                r = row_metrics(attn[l, h, q], q, T, B, selection, value, keep_sink, keep_local, eps)
                for key in acc:
                    acc[key] += r[key]
        rows = H * T
        layers.append({
            "layer": l,
            "prunedBlockFraction": acc["prunedBlocks"] / visible,
            "prunedMass": acc["prunedMass"] / rows,
            "attentionKL": acc["attentionKL"] / rows,
            "seedKL": acc["seedKL"] / rows,
            "fullyPrunedRows": int(acc["fullyPruned"]),
        })
        seed_fractions.append((acc["seedPrunedBlocks"] + (all_pairs - visible)) / all_pairs)
    mean = lambda key: sum(x[key] for x in layers) / L
    return {
        "selection": selection, "blockSize": B, "threshold": value,
        "prunedBlockFraction": mean("prunedBlockFraction"),
        "seedPrunedFraction": sum(seed_fractions) / L,
        "prunedMass": mean("prunedMass"), "attentionKL": mean("attentionKL"), "seedKL": mean("seedKL"),
        "fullyPrunedRows": sum(x["fullyPrunedRows"] for x in layers),
        "layers": layers,
    }


def coverage_count(row, q, T, B, fraction):
    return len(pure_kept_blocks(row, q, T, B, "coverage", fraction))


def profile(attn, block_size=4, thresholds=(0.05, 0.1, 0.2, 0.5), entry_threshold=0.05):
    """profileAttention over attention (L, H, T, T)."""
    L, H, T, _ = attn.shape
    B = block_size
    nB = block_count(T, B)
    layers = []
    for l in range(L):
        heads = []
        for h in range(H):
            a = attn[l, h]
            below_visible = below_all = 0
            entropy = sink = local = 0.0
            for q in range(T):
                for k in range(T):
                    v = float(a[q, k])
                    if v < entry_threshold:
                        below_all += 1
                        if k <= q:
                            below_visible += 1
                    if k <= q and v > 0:
                        entropy -= v * math.log(v)
                sink += float(a[q, 0])
                local += block_mass(a[q], q // B, B, T, q)
            blocks = []
            for tau in thresholds:
                vis = vis_pairs = all_below = 0
                for q in range(T):
                    for j in range(nB):
                        m = block_max(a[q], j, B, T)
                        if m < tau:
                            all_below += 1
                            if j * B <= q:
                                vis += 1
                        if j * B <= q:
                            vis_pairs += 1
                blocks.append({"threshold": tau, "fraction": vis / vis_pairs, "fractionSeed": all_below / (T * nB)})
            coverage = {}
            for name, f in (("p90", 0.9), ("p95", 0.95), ("p99", 0.99)):
                coverage[name] = sum(coverage_count(a[q], q, T, B, f) for q in range(T)) / T
            heads.append({
                "head": h,
                "entrySparsity": below_visible / (T * (T + 1) // 2),
                "entrySparsitySeed": below_all / (T * T),
                "entropy": entropy / T, "sinkMass": sink / T, "localMass": local / T,
                "blocks": blocks, "coverage": coverage,
            })
        layers.append({"layer": l, "heads": heads})
    return {"layers": layers}


def per_position(attn, selection, block_size, value, metric, keep_sink=False, keep_local=False,
                 segment_size=None, eps=DEFAULT_EPS):
    """perPositionKL: per layer, per position, mean over heads of the row metric."""
    L, H, T, _ = attn.shape
    layers = []
    for l in range(L):
        values = []
        for q in range(T):
            s = 0.0
            for h in range(H):
                s += row_metrics(attn[l, h, q], q, T, block_size, selection, value, keep_sink, keep_local, eps)[metric]
            values.append(s / H)
        entry = {"layer": l, "values": values}
        if segment_size:
            entry["segments"] = [
                {"start": s, "end": min(s + segment_size, T),
                 "mean": sum(values[s:min(s + segment_size, T)]) / (min(s + segment_size, T) - s)}
                for s in range(0, T, segment_size)]
        layers.append(entry)
    return {"layers": layers}


def stack_attentions(attentions):
    """HuggingFace `output_attentions` (a tuple of L tensors (1, H, T, T)) as a float32 numpy
    array (L, H, T, T), the layout every function here takes."""
    return np.stack([np.asarray(a.detach().cpu().float().numpy()[0], dtype=np.float32) for a in attentions])


# ---------------------------------------------------------------- pruned forward (transformers)

def prune_probabilities(probs, selection, block_size, value, keep_sink=False, keep_local=False):
    """Applies the rule to float32 probabilities (..., T, T) row by row, as the intervention
    does: pruned blocks' visible keys set to 0, kept keys divided by the row's kept sum (float64).
    Rows that prune nothing (including dense fallbacks) are left untouched."""
    out = np.array(probs, dtype=np.float32, copy=True)
    T = out.shape[-1]
    flat = out.reshape(-1, T, T)
    for m in range(flat.shape[0]):
        for q in range(T):
            row = flat[m, q]
            _, effective, _ = row_decision(row, q, T, block_size, selection, value, keep_sink, keep_local)
            if len(effective) == visible_blocks(q, block_size):
                continue
            kept = 0.0
            for k in range(q + 1):
                if (k // block_size) in effective:
                    kept += float(row[k])
            new = [0.0] * T
            for k in range(q + 1):
                if (k // block_size) in effective:
                    new[k] = float(np.float32(float(row[k]) / kept))
            flat[m, q, :] = np.asarray(new, dtype=np.float32)
    return out


def register_pruned_attention(selection, block_size, value, keep_sink=False, keep_local=False, name="sa_pruned",
                              on_probabilities=None):
    """Registers `name` in transformers' AttentionInterface: eager causal attention with the
    rule applied after the softmax, before multiplying by V (the cascade: each layer's mask
    comes from that layer's own attention in the pruned run). Single unpadded sequences only
    (the causal mask is built here; `attention_mask` is ignored).
    Use: model.set_attn_implementation(name) or from_pretrained(..., attn_implementation=name).
    `on_probabilities(layer, probs)`, when given, sees each layer's float32 probabilities
    (1, H, T, T) before the rule is applied (the pruned run's own attention)."""
    import torch
    from transformers import AttentionInterface

    def pruned_attention(module, query, key, value_states, attention_mask, scaling=None, dropout=0.0, **kwargs):
        if scaling is None:
            scaling = query.size(-1) ** -0.5
        scores = torch.matmul(query, key.transpose(-1, -2)) * scaling
        T = scores.shape[-1]
        causal = torch.ones(T, T, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        probs = torch.softmax(scores.float(), dim=-1)
        if on_probabilities is not None:
            on_probabilities(getattr(module, "layer_idx", None), probs.detach().cpu().numpy().copy())
        pruned = prune_probabilities(probs.detach().cpu().numpy(), selection, block_size, value,
                                     keep_sink, keep_local)
        weights = torch.from_numpy(pruned).to(value_states.dtype)
        output = torch.matmul(weights, value_states).transpose(1, 2)
        return output, weights

    AttentionInterface.register(name, pruned_attention)
    return name


def end_to_end(logits_full, logits_pruned, tokens):
    """outputKL, top1Agreement, NLLs and perplexities from two (T, V) logits arrays."""
    zf = np.asarray(logits_full, dtype=np.float64)
    zp = np.asarray(logits_pruned, dtype=np.float64)
    T = zf.shape[0]

    def log_softmax(z):
        m = max(z)
        s = 0.0
        for v in z:
            s += math.exp(v - m)
        return [v - (m + math.log(s)) for v in z]

    kl = 0.0
    agree = 0
    nll_f = nll_p = 0.0
    for t in range(T):
        lf, lp = log_softmax(list(zf[t])), log_softmax(list(zp[t]))
        for a, b in zip(lf, lp):
            kl += math.exp(a) * (a - b)
        agree += int(int(np.argmax(zf[t])) == int(np.argmax(zp[t])))
        if t + 1 < T:
            nll_f -= lf[tokens[t + 1]]
            nll_p -= lp[tokens[t + 1]]
    out = {"outputKL": kl / T, "top1Agreement": agree / T, "nllFull": None, "nllPruned": None,
           "perplexityFull": None, "perplexityPruned": None}
    if T > 1:
        out["nllFull"], out["nllPruned"] = nll_f / (T - 1), nll_p / (T - 1)
        out["perplexityFull"], out["perplexityPruned"] = math.exp(out["nllFull"]), math.exp(out["nllPruned"])
    return out


# ---------------------------------------------------------------- synthetic goldens

def synthetic_attention(seed, L, H, T, peak, tiny=False):
    """Causal softmax attention (L, H, T, T) float32 from seeded scores with spread `peak`
    (large = peaked, small = flat). `tiny` pushes some scores far down so entries land
    below and around the seedKL eps."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, peak, size=(L, H, T, T))
    if tiny:
        drop = rng.random(size=(L, H, T, T)) < 0.3
        scores = scores - drop * rng.uniform(20.0, 35.0, size=(L, H, T, T))
    out = np.zeros((L, H, T, T), dtype=np.float32)
    for l in range(L):
        for h in range(H):
            for q in range(T):
                s = scores[l, h, q, : q + 1]
                e = np.exp(s - s.max())
                out[l, h, q, : q + 1] = (e / e.sum()).astype(np.float32)
    return out


CASES = [
    # name, seed, (L, H, T), peak, tiny, block sizes, eps
    ("flat_t9", 1, (2, 2, 9), 0.3, False, [2, 4, 16], 1e-12),
    ("peaked_t13", 2, (2, 3, 13), 3.0, False, [1, 3, 4, 6], 1e-12),
    ("peaked_t37", 3, (2, 2, 37), 2.5, False, [8, 16, 32], 1e-12),
    ("tiny_t24", 4, (1, 2, 24), 2.0, True, [4, 8], 1e-12),
    ("bigeps_t20", 5, (1, 2, 20), 2.0, True, [4, 5], 1e-3),
    ("single_t1", 6, (2, 2, 1), 1.0, False, [1, 4], 1e-12),
    # Rows scaled by 1.7 (not probability rows): kept masses above 1 exercise the other side
    # of the seedKL clamp band (eps <= A < c*eps).
    ("scaled_t16", 7, (1, 2, 16), 2.0, True, [2, 8], 1e-3),
]

RULES = [
    ("threshold", [0.5, 0.2, 0.05, 0.01]),
    ("coverage", [0.5, 0.9, 1.0]),
    ("topK", [1, 2, 5]),
]

KEEPS = [(False, False), (True, False), (False, True), (True, True)]


def f32_list(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, seed, (L, H, T), peak, tiny, blocks, eps in CASES:
        attn = synthetic_attention(seed, L, H, T, peak, tiny)
        if name.startswith("scaled"):
            attn = (attn * np.float32(1.7)).astype(np.float32)
        points = []
        for selection, values in RULES:
            for B in blocks:
                for v in values:
                    for ks, kl in KEEPS:
                        r = sweep_point(attn, selection, B, v, ks, kl, eps)
                        r["keepSink"], r["keepLocal"] = ks, kl
                        points.append(r)
        prof = profile(attn, block_size=blocks[0], thresholds=(0.05, 0.2, 0.5), entry_threshold=0.05)
        perpos = [dict(per_position(attn, "threshold", blocks[0], 0.2, metric, segment_size=4, eps=eps),
                       metric=metric, selection="threshold", blockSize=blocks[0], threshold=0.2, segmentSize=4)
                  for metric in ("attentionKL", "seedKL", "prunedMass")]
        pruned = []
        for selection, B, v, ks, kl in [("threshold", blocks[0], 0.2, False, False), ("threshold", blocks[-1], 0.05, True, True),
                                        ("coverage", blocks[0], 0.9, False, False), ("topK", blocks[-1], 2, False, True)]:
            probs = prune_probabilities(attn[0], selection, B, v, ks, kl)
            pruned.append({"selection": selection, "blockSize": B, "threshold": v, "keepSink": ks, "keepLocal": kl,
                           "probabilities": f32_list(probs)})
        golden = {
            "generator": "Tests/Fixtures/analysis/reference.py",
            "shape": {"layers": L, "heads": H, "tokens": T},
            "seedEpsilon": eps,
            "attention": f32_list(attn),
            "points": points,
            "profile": dict(prof, blockSize=blocks[0], thresholds=[0.05, 0.2, 0.5], entryThreshold=0.05),
            "perPosition": perpos,
            "pruned": pruned,
        }
        with open(os.path.join(here, "golden_%s.json" % name), "w") as f:
            json.dump(golden, f, separators=(",", ":"))
        print("wrote golden_%s.json: %d points" % (name, len(points)), file=sys.stderr)


if __name__ == "__main__":
    main()
