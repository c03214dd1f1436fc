"""PyTorch peer of the attention-level prune sweep (the version to beat in issue 3): GPT-2
forward with eager attention and output_attentions=True, then per-block maxima and sums computed
with tensor ops and every threshold evaluated at once on block-level data.

It computes the same definitions as Sources/AttentionAnalysis (threshold rule, no keep policy,
dense fallback for fully pruned rows; prunedBlockFraction, seedPrunedFraction, prunedMass,
attentionKL, seedKL from per-block sums of A and A ln(A/eps), fullyPrunedRows), so its numbers
can be set beside the Swift sweep's.

Made as fast as we could: one pass over each layer's (H, T, T) at the piece width
gcd(block sizes) (max in float32; sums of A in float64 as the Swift code does; sums of A >= eps
and of A ln A in float32 within a 16-key piece, float64 across pieces: within 2.2e-8 relative of
all-float64 on synthetic attention; --exact-sums: float64 throughout); --compile runs those
piece statistics through torch.compile, which fuses the per-key passes (within 5e-7 relative).
Larger blocks are combined from the pieces; all thresholds of a block size are evaluated at once
by binning each block by how many thresholds its max reaches; results move to Python once per
layer. The per-key logarithm is float32 (the Swift code uses float64). seedKL here omits the
exact correction for kept entries within a factor Z_kept of eps (the Swift code adds it), a
difference far below 1e-6 relative for softmax attention with eps = 1e-12.

Usage (venv /root/venvs/sa):
    python Benchmarks/analysis_torch_peer.py --synthetic                 # (12, 12, 1024, 1024)
    python Benchmarks/analysis_torch_peer.py --model DIR --text "..."    # tokenized by DIR's tokenizer
    python Benchmarks/analysis_torch_peer.py --model DIR --bench-tokens 1024 --runs 3 [--compile]
The last form is the peer of `gpt2-bench --sweep` (same file, same token ids): it prints
`torch_sweep ...` key=value lines (medians in seconds), `point ...` lines and peak RSS.
The other forms print one JSON object: timings in seconds and the per-point metrics.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch

THRESHOLDS = [0.01, 0.005, 0.002, 0.001, 0.0005]
BLOCK_SIZES = [16, 32, 64]


def pad_last(x, multiple):
    """Zero-pads the last dimension of x up to a multiple of `multiple`."""
    extra = -x.shape[-1] % multiple
    return torch.nn.functional.pad(x, (0, extra)) if extra else x


def piece_stats(a, width, eps, exact=False):
    """(H, T, T) -> per (head, query, piece of `width` keys): max (float32, (H, T, n)) and the
    sums of A, of A where A >= eps, and of A ln(A/eps) where A >= eps ((H, T, n, 3), float64).
    Sums of A run in float64 (ln of the kept mass near 1 needs it); within a piece the other two
    run in float32 (exact=True: float64, ~20% slower), pieces are combined in float64.
    Sum of A ln(A/eps) = sum of A ln A - ln(eps) * sum of A (over A >= eps), the second part per piece."""
    H, T, _ = a.shape
    above = torch.where(a >= eps, a, 0.0)                            # A where A >= eps, else 0
    n = (T + width - 1) // width
    maxima = pad_last(a, width).view(H, T, n, width).amax(-1)

    def piece_sum(x, exact):
        x = pad_last(x, width).view(H, T, n, width)
        return x.double().sum(-1) if exact else x.sum(-1).double()

    mass = piece_sum(a, True)
    above_sum, xlogx = piece_sum(above, exact), piece_sum(torch.xlogy(above, above), exact)
    return maxima, torch.stack([mass, above_sum, xlogx - math.log(eps) * above_sum], dim=-1)


def block_stats(maxima, sums, factor):
    """Blocks of `factor` pieces: max of maxima, sum of sums (zero-padded pieces)."""
    if factor == 1:
        return maxima, sums
    H, T, n = maxima.shape
    nb = (n + factor - 1) // factor
    maxima = pad_last(maxima, factor).view(H, T, nb, factor).amax(-1)
    sums = pad_last(sums.transpose(-1, -2), factor).view(H, T, 3, nb, factor).sum(-1).transpose(-1, -2)
    return maxima, sums


def float32_bounds(thresholds):
    """Per threshold tau, the smallest float32 >= tau: for a float32 x, x < tau exactly when
    x < bound (so float32 block maxima are compared as the Swift code's Double(max) < tau)."""
    bounds = torch.tensor(thresholds, dtype=torch.float64).float()
    below = bounds.double() < torch.tensor(thresholds, dtype=torch.float64)
    return torch.where(below, torch.nextafter(bounds, torch.full_like(bounds, math.inf)), bounds)


def sweep_layer(a, eps=1e-12, exact=False, stats=piece_stats):
    """All (block size × threshold) points on one layer's attention (H, T, T): a dict
    block size -> per-threshold lists (in THRESHOLDS order) of the layer's counts and
    row-averaged metrics.

    Thresholds are nested (a block pruned at tau is pruned at every larger tau), so each block
    goes into one bin — how many thresholds its max reaches — and per-row bin sums, accumulated
    over bins in ascending threshold order, give every threshold's pruned sums at once."""
    H, T, _ = a.shape
    width = math.gcd(*BLOCK_SIZES)
    piece_max, piece_sums = stats(a, width, eps, exact)
    order = sorted(range(len(THRESHOLDS)), key=lambda i: THRESHOLDS[i])   # ascending
    bounds = float32_bounds([THRESHOLDS[i] for i in order])
    P = len(order)
    bins = P + 2                                   # 0...P: thresholds reached; P + 1: not visible
    rows = torch.arange(H * T).view(H, T, 1) * bins
    q = torch.arange(T).view(1, T, 1)
    out = {}
    for B in BLOCK_SIZES:
        maxima, sums = block_stats(piece_max, piece_sums, B // width)      # (H, T, nb), (H, T, nb, 3)
        nb = maxima.shape[-1]
        visible = (torch.arange(nb).view(1, 1, nb) * B) <= q                # (1, T, nb)
        visible_count = visible.sum(-1).view(1, T, 1)                       # (1, T, 1)
        reached = torch.where(visible, torch.bucketize(maxima, bounds, right=True), P + 1)
        index = (rows + reached).view(-1)                                   # (H·T·nb) row-major bins
        hist = torch.zeros(H * T * bins, 3, dtype=torch.float64).index_add_(0, index, sums.reshape(-1, 3))
        counts = torch.bincount(index, minlength=H * T * bins).view(H, T, bins)
        # Pruned at the j-th smallest threshold: blocks in bins 0...j.
        cut = hist.view(H, T, bins, 3)[:, :, :P].cumsum(2)                  # (H, T, P, 3)
        n_pruned = counts[:, :, :P].cumsum(2)                               # (H, T, P)
        row = sums.sum(-2).view(H, T, 1, 3)                                 # (H, T, 1, 3)
        fully = n_pruned == visible_count
        row_mass, row_above = row[..., 0], row[..., 1]
        pruned_mass, pruned_above, pruned_term = cut[..., 0], cut[..., 1], cut[..., 2]
        kept_mass = row_mass - pruned_mass
        zero = torch.zeros((), dtype=torch.float64)
        fraction = torch.where(fully | (n_pruned == 0), zero, pruned_mass / row_mass)
        kl = -torch.log1p(-fraction)
        seed = torch.where(fully, pruned_term,
                           pruned_term + torch.log(kept_mass.clamp(min=eps)) * (row_above - pruned_above)).clamp(min=0)
        per_sorted = {
            "pruned": torch.where(fully, torch.zeros_like(n_pruned), n_pruned).sum((0, 1)),
            "seedPruned": n_pruned.sum((0, 1)),
            "prunedMass": fraction.sum((0, 1)) / (H * T), "attentionKL": kl.sum((0, 1)) / (H * T),
            "seedKL": seed.sum((0, 1)) / (H * T), "fullyPrunedRows": fully.sum((0, 1)),
        }
        result = {"visible": int(visible_count.sum()) * H, "all": H * T * nb}
        for key, values in per_sorted.items():
            values = values.tolist()
            result[key] = [values[order.index(i)] for i in range(P)]       # back to THRESHOLDS order
        out[B] = result
    return out


def sweep(layers, eps=1e-12, exact=False, stats=piece_stats):
    """Means over layers of the per-layer results; layers is an iterable of (H, T, T).
    `stats` computes the piece statistics: `piece_stats` or its torch.compile'd form."""
    per_layer = [sweep_layer(a, eps, exact, stats) for a in layers]
    n = len(per_layer)
    points = []
    for B in BLOCK_SIZES:
        for i, tau in enumerate(THRESHOLDS):
            rows = [layer[B] for layer in per_layer]
            points.append({
                "selection": "threshold", "blockSize": B, "threshold": tau,
                "prunedBlockFraction": sum(r["pruned"][i] / r["visible"] for r in rows) / n,
                "seedPrunedFraction": sum((r["seedPruned"][i] + r["all"] - r["visible"]) / r["all"] for r in rows) / n,
                "prunedMass": sum(r["prunedMass"][i] for r in rows) / n,
                "attentionKL": sum(r["attentionKL"][i] for r in rows) / n,
                "seedKL": sum(r["seedKL"][i] for r in rows) / n,
                "fullyPrunedRows": sum(r["fullyPrunedRows"][i] for r in rows),
            })
    return points


def synthetic_layer(H, T, seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(H, T, T, generator=g) * 3
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def load_model(path):
    from transformers import GPT2LMHeadModel
    return GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager").eval()


def bench(args):
    """Forward (no LM head, eager, output_attentions=True) + sweep, timed per run after a warm-up."""
    start = time.perf_counter()
    model = load_model(args.model)
    load_seconds = time.perf_counter() - start
    t = args.bench_tokens
    ids = ((torch.arange(t) * 7919 + 13) % model.config.vocab_size).unsqueeze(0)
    # torch.compile fuses the per-key passes of piece_stats; it compiles during the warm-up run.
    stats = torch.compile(piece_stats, dynamic=False) if args.compile else piece_stats
    forward_times, analysis_times, warmup = [], [], 0.0
    with torch.inference_mode():
        for run in range(args.runs + 1):
            start = time.perf_counter()
            attentions = model.transformer(ids, output_attentions=True).attentions
            middle = time.perf_counter()
            points = sweep((a[0] for a in attentions), exact=args.exact_sums, stats=stats)
            end = time.perf_counter()
            del attentions
            if run == 0:
                warmup = end - middle
            else:
                forward_times.append(middle - start)
                analysis_times.append(end - middle)
    totals = [f + a for f, a in zip(forward_times, analysis_times)]
    med = statistics.median
    print(f"torch_sweep T={t} points={len(points)} threads={args.threads} exact_sums={args.exact_sums} compiled={args.compile} runs={len(totals)} load_s={load_seconds:.4f} "
          f"warmup_analysis_s={warmup:.4f} "
          f"forward_median_s={med(forward_times):.4f} analysis_median_s={med(analysis_times):.4f} "
          f"total_median_s={med(totals):.4f} forward_all_s={','.join(f'{x:.4f}' for x in forward_times)} "
          f"analysis_all_s={','.join(f'{x:.4f}' for x in analysis_times)}", flush=True)
    for p in points:
        if p["threshold"] in (0.01, 0.002):
            print(f"point B={p['blockSize']} tau={p['threshold']} prunedBlockFraction={p['prunedBlockFraction']:.6g} "
                  f"seedPrunedFraction={p['seedPrunedFraction']:.6g} prunedMass={p['prunedMass']:.6g} "
                  f"attentionKL={p['attentionKL']:.6g} seedKL={p['seedKL']:.6g} fullyPrunedRows={p['fullyPrunedRows']}")
    print(f"peak_rss_bytes={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", action="store_true", help="(12, 12, 1024, 1024) softmax attention")
    parser.add_argument("--model", help="GPT-2 folder (config.json, model.safetensors)")
    parser.add_argument("--text", default="", help="input text for --model (tokenized by the folder's tokenizer)")
    parser.add_argument("--bench-tokens", type=int, help="benchmark mode: T token ids (i·7919 + 13) mod V")
    parser.add_argument("--runs", type=int, default=3, help="benchmark runs after one warm-up")
    parser.add_argument("--compile", action="store_true", help="torch.compile the piece statistics (needs a C compiler)")
    parser.add_argument("--exact-sums", action="store_true", help="float64 within pieces too (~20%% slower)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.model and args.bench_tokens:
        bench(args)
        return
    result = {"threads": args.threads}
    if args.model:
        from transformers import AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = load_model(args.model)
        ids = tokenizer(args.text, return_tensors="pt").input_ids[:, : model.config.n_positions]
        start = time.perf_counter()
        with torch.no_grad():
            attentions = model(ids, output_attentions=True).attentions
        result["forwardSeconds"] = time.perf_counter() - start
        layers = [a[0] for a in attentions]
    else:
        layers = [synthetic_layer(12, 1024, seed) for seed in range(12)]
    start = time.perf_counter()
    result["points"] = sweep(layers, exact=args.exact_sums)
    result["analysisSeconds"] = time.perf_counter() - start
    result["shape"] = [len(layers), *layers[0].shape]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
