"""Model goldens: reference.py fed HuggingFace's own attention from the model fixtures, and
HuggingFace's own pruned forward pass (reference.register_pruned_attention) for end-to-end values.

For each model fixture (Tests/Fixtures/models/<model>) and reference case
(Tests/Fixtures/reference/<model>/<case>.safetensors, written by Tests/Fixtures/generate.py)
this writes Tests/Fixtures/analysis/model_<model>_<case>.json with:
- `points`: pruneSweep points (threshold incl. τ equal to / just above a real block max,
  coverage, topK; block sizes with partial last blocks and B > T; keep policies), seedEpsilon 1e-12;
- `profile`: profileAttention with blockSize 4 and the default thresholds (plus `summary`);
- `perPosition`: perPositionKL for every metric, with segments;
- `endToEnd`: HF's pruned forward (cascade) vs HF's dense forward for a few points, with the
  pruned run's decision margin (how close any block decision came to flipping) and the
  smallest top-1 logit gap, so the Swift test can say why its comparison is exact.

The attention fed to reference.py is the stored `attentions` tensor (the same bytes the Swift
tests read); the script first re-runs HF eager attention and checks it matches the stored one.

Run (venv /root/venvs/sa, versions in requirements.txt; about a minute):
    /root/venvs/sa/bin/python Tests/Fixtures/analysis/generate_model_goldens.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import GPT2LMHeadModel
from transformers.utils import logging as hf_logging

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import reference  # noqa: E402

# (model, case, block sizes): every list has a partial last block and a B > T (or B = T) entry.
CASES = [
    ("tiny-peaked", "english", [1, 4, 5, 16, 64]),    # T = 52: 52 % 5 = 2, 52 % 16 = 4
    ("tiny-peaked", "mixed", [1, 4, 8, 32, 64]),      # T = 41: 41 % 4 = 1, 41 % 32 = 9
    ("tiny-peaked", "single", [1, 4]),                # T = 1: the one case kept at T = 1
    ("tiny-legacy", "english", [1, 4, 5, 16, 64]),
    ("tiny-legacy", "mixed", [1, 4, 8, 32, 64]),
    ("tiny-legacy", "full", [4, 16, 64, 128]),        # T = 64 = n_positions: B = T and B > T
]

FIXED_THRESHOLDS = [1.0, 0.5, 0.2, 0.05, 0.02, 0.01, 0.002, 1e-4]
COVERAGES = [0.5, 0.9, 0.95, 1.0]
TOP_KS = [1, 2, 3, 100]
KEEPS = [(True, False), (False, True), (True, True)]
SEED_EPS = reference.DEFAULT_EPS


def visible_block_maxima(attn, B):
    """Every visible block max (float32) of attention (L, H, T, T)."""
    L, H, T, _ = attn.shape
    out = []
    for l in range(L):
        for h in range(H):
            for q in range(T):
                for j in range(q // B + 1):
                    out.append(attn[l, h, q, j * B:min(j * B + B, T)].max())
    return np.asarray(out, dtype=np.float32)


def data_thresholds(attn):
    """τ equal to the median visible block max at B = 4 (that block is kept: M < τ is false)
    and the next float32 above it (now it is pruned): the strictness of `<` on real values.
    Only values in (0, 1] not already in FIXED_THRESHOLDS (at T = 1 the median is 1)."""
    maxima = np.sort(visible_block_maxima(attn, 4))
    m = maxima[len(maxima) // 2]
    up = np.nextafter(m, np.float32(np.inf), dtype=np.float32)
    return [float(v) for v in (m, up) if float(v) <= 1 and float(v) not in FIXED_THRESHOLDS]


def sweep_points(attn, blocks):
    T = attn.shape[2]
    median = data_thresholds(attn)[:1] or [0.02]
    thresholds = FIXED_THRESHOLDS + data_thresholds(attn)
    grid = [("threshold", v) for v in thresholds] + [("coverage", v) for v in COVERAGES] + \
           [("topK", v) for v in TOP_KS]
    specs = [(sel, B, v, False, False) for B in blocks for sel, v in grid]
    keep_blocks = [b for b in blocks if b <= T][:2] if T > 1 else blocks[:1]
    for B in keep_blocks:
        for sel, v in [("threshold", 0.05), ("threshold", median[0]), ("coverage", 0.9), ("topK", 2)]:
            for ks, kl in KEEPS:
                specs.append((sel, B, v, ks, kl))
    points = []
    for sel, B, v, ks, kl in specs:
        r = reference.sweep_point(attn, sel, B, v, ks, kl, SEED_EPS)
        r["keepSink"], r["keepLocal"] = ks, kl
        points.append(r)
    return points


def profile_golden(attn):
    thresholds = [0.05, 0.1, 0.2, 0.5]
    prof = reference.profile(attn, block_size=4, thresholds=thresholds, entry_threshold=0.05)
    heads = [h for layer in prof["layers"] for h in layer["heads"]]
    mean = lambda f: sum(f(h) for h in heads) / len(heads)
    prof["summary"] = {
        "entrySparsity": mean(lambda h: h["entrySparsity"]),
        "entrySparsitySeed": mean(lambda h: h["entrySparsitySeed"]),
        "entropy": mean(lambda h: h["entropy"]), "sinkMass": mean(lambda h: h["sinkMass"]),
        "localMass": mean(lambda h: h["localMass"]),
        "blocks": [{"threshold": t, "fraction": mean(lambda h: h["blocks"][i]["fraction"]),
                    "fractionSeed": mean(lambda h: h["blocks"][i]["fractionSeed"])} for i, t in enumerate(thresholds)],
        "coverage": {k: mean(lambda h: h["coverage"][k]) for k in ("p90", "p95", "p99")},
    }
    return dict(prof, blockSize=4, thresholds=thresholds, entryThreshold=0.05)


def per_position_goldens(attn):
    configs = [  # (selection, B, value, keepSink, keepLocal, segment size)
        ("threshold", 32, 0.002, False, False, 25),   # the method's defaults, the notebook's segments
        ("threshold", 4, 0.05, True, False, 10),
        ("coverage", 4, 0.9, False, True, 7),
    ]
    out = []
    for metric in ("attentionKL", "seedKL", "prunedMass"):
        for sel, B, v, ks, kl, seg in configs:
            r = reference.per_position(attn, sel, B, v, metric, ks, kl, segment_size=seg, eps=SEED_EPS)
            out.append(dict(r, metric=metric, selection=sel, blockSize=B, threshold=v, keepSink=ks,
                            keepLocal=kl, segmentSize=seg))
    return out


# ---------------------------------------------------------------- decision margins

def row_margin(row, q, T, B, selection, value):
    """Smallest relative distance of one row's pure-rule decisions from their boundary
    (inf when the row has no decision that could flip)."""
    nb = q // B + 1
    if selection == "threshold":
        return min(abs(float(reference.block_max(row, j, B, T)) - value) / value for j in range(nb))
    masses = sorted((reference.block_mass(row, j, B, T, q) for j in range(nb)), reverse=True)
    if selection == "topK":
        k = int(value)
        if k >= nb:
            return math.inf
        return (masses[k - 1] - masses[k]) / masses[k - 1] if masses[k - 1] > 0 else 0.0
    n = len(reference.pure_kept_blocks(row, q, T, B, "coverage", value))
    target = value * sum(masses)
    margin = (sum(masses[:n]) - target) / target if target > 0 else math.inf
    if n > 1:
        margin = min(margin, (target - sum(masses[:n - 1])) / target)
    if n < nb and masses[n - 1] > 0:
        margin = min(margin, (masses[n - 1] - masses[n]) / masses[n - 1])
    return margin


def decision_margin(probs_by_layer, B, selection, value):
    """Smallest row margin over every row of the pruned run's own attention."""
    best = math.inf
    for probs in probs_by_layer:
        _, H, T, _ = probs.shape
        for h in range(H):
            for q in range(T):
                best = min(best, row_margin(probs[0, h, q], q, T, B, selection, value))
    return best


def top1_and_gap(logits):
    """Per position: argmax (first on ties) and the gap between the two largest logits (T, V)."""
    z = np.asarray(logits, dtype=np.float64)
    s = np.sort(z, axis=-1)
    return [int(i) for i in np.argmax(z, axis=-1)], [float(g) for g in s[:, -1] - s[:, -2]]


def run_pruned(model_dir, ids, spec, index):
    """HF's pruned forward (cascade) for one point: logits (T, V) and its decision margin."""
    sel, B, v, ks, kl = spec
    seen = []
    name = reference.register_pruned_attention(sel, B, v, ks, kl, name="sa_golden_%d" % index,
                                               on_probabilities=lambda layer, p: seen.append(p))
    model = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation=name).eval()
    with torch.no_grad():
        logits = model(ids).logits[0].float().numpy()
    return logits, decision_margin(seen, B, sel, v)


# Candidates per rule, (selection, B, value, keepSink, keepLocal), tried in order. A point is
# written only when every decision of HF's pruned run is at least MIN_MARGIN (relative) from
# its boundary, so float32 differences between HF and Swift cannot flip it and the cascade
# stays the same computation (near-threshold behaviour is covered by the sweep goldens).
# tiny-legacy's attention is nearly uniform: its block masses tie to ~1e-6, so the usual
# topK / coverage points are ill-conditioned there and later candidates get picked.
E2E_CANDIDATES = [
    ("threshold", 2, [("threshold", 4, 0.05, False, False), ("threshold", 16, 0.01, True, False),
                      ("threshold", 8, 0.03, False, False), ("threshold", 16, 0.04, False, True),
                      ("threshold", 4, 0.02, False, False)]),
    ("coverage", 1, [("coverage", 4, 0.8, False, False), ("coverage", 16, 0.5, False, False),
                     ("coverage", 8, 0.95, False, False), ("coverage", 4, 0.99, False, False)]),
    ("topK", 1, [("topK", 8, 2, False, True), ("topK", 16, 3, False, False), ("topK", 32, 1, True, False),
                 ("topK", 48, 1, False, False)]),
]
MIN_MARGIN = 1e-3


def end_to_end_goldens(model_dir, tokens, logits_full):
    ids = torch.tensor([tokens])
    specs = [(("threshold", 4, 1e-9, False, False), False)]   # prunes nothing: outputKL 0, agreement 1
    for _, count, candidates in E2E_CANDIDATES:
        specs += [(c, True) for c in candidates]
    out = []
    taken = {}
    argmax_full, gap_full = top1_and_gap(logits_full)
    for index, (spec, optional) in enumerate(specs):
        sel = spec[0]
        limit = next((n for s, n, _ in E2E_CANDIDATES if s == sel), 1)
        if optional and taken.get(sel, 0) >= limit:
            continue
        logits, margin = run_pruned(model_dir, ids, spec, index)
        if optional and margin < MIN_MARGIN:
            print("  skip %s: decision margin %.3g" % (spec, margin), file=sys.stderr)
            continue
        taken[sel] = taken.get(sel, 0) + (1 if optional else 0)
        metrics = reference.end_to_end(logits_full, logits, tokens)
        argmax_pruned, gap_pruned = top1_and_gap(logits)
        metrics.update({
            "selection": sel, "blockSize": spec[1], "threshold": spec[2], "keepSink": spec[3], "keepLocal": spec[4],
            "decisionMargin": None if math.isinf(margin) else margin,
            "argmaxFull": argmax_full, "top1GapFull": gap_full,
            "argmaxPruned": argmax_pruned, "top1GapPruned": gap_pruned,
        })
        out.append(metrics)
        print("  e2e %s: KL %.3g agree %.3f margin %.3g" % (spec, metrics["outputKL"], metrics["top1Agreement"], margin),
              file=sys.stderr)
    for sel, count, _ in E2E_CANDIDATES:
        assert taken.get(sel, 0) >= 1, "no well-conditioned %s point for the end-to-end goldens" % sel
    return out


def main():
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for model_name, case, blocks in CASES:
        model_dir = os.path.join(FIXTURES, "models", model_name)
        ref_dir = os.path.join(FIXTURES, "reference", model_name)
        with open(os.path.join(ref_dir, "index.json")) as f:
            tokens = json.load(f)[case]["tokens"]
        stored = load_file(os.path.join(ref_dir, "%s.safetensors" % case))
        attn = stored["attentions"]                                     # (L, H, T, T) float32
        dense = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation="eager").eval()
        with torch.no_grad():
            out = dense(torch.tensor([tokens]), output_attentions=True)
        fresh = reference.stack_attentions(out.attentions)
        logits_full = out.logits[0].float().numpy()                     # (T, V)
        drift = float(np.abs(fresh - attn).max())
        assert drift <= 1e-6, "%s/%s: stored attention differs from HF eager by %g" % (model_name, case, drift)
        L, H, T, _ = attn.shape
        print("%s/%s: T=%d" % (model_name, case, T), file=sys.stderr)
        golden = {
            "generator": "Tests/Fixtures/analysis/generate_model_goldens.py",
            "model": model_name, "case": case, "tokens": tokens,
            "shape": {"layers": L, "heads": H, "tokens": T},
            "seedEpsilon": SEED_EPS,
            # Float64 sum of the stored attention: the Swift test checks it read the same tensor.
            "attentionSum": float(np.sum(attn.astype(np.float64))),
            "points": sweep_points(attn, blocks),
            "profile": profile_golden(attn),
            "perPosition": per_position_goldens(attn),
            "endToEnd": end_to_end_goldens(model_dir, tokens, logits_full),
        }
        path = os.path.join(HERE, "model_%s_%s.json" % (model_name, case))
        with open(path, "w") as f:
            json.dump(golden, f, separators=(",", ":"))
        print("wrote %s: %d points" % (os.path.basename(path), len(golden["points"])), file=sys.stderr)


if __name__ == "__main__":
    main()
