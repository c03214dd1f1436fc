"""PyTorch peer of the attention-level prune sweep (the version to beat in issue 3): per-block
maxima and sums computed with tensor ops, then every threshold evaluated on block-level data.

It computes the same definitions as Sources/AttentionAnalysis (threshold rule, no keep policy,
dense fallback for fully pruned rows; prunedBlockFraction, seedPrunedFraction, prunedMass,
attentionKL, seedKL from per-block sums of A and A ln(A/eps), fullyPrunedRows), so its numbers
can be set beside the Swift sweep's. The per-key logarithm is taken once per layer in float32
(the Swift code uses float64 throughout); block sums are float64. seedKL here omits the exact correction for kept entries
within a factor Z_kept of eps (the Swift code adds it), a difference far below 1e-6 relative
for softmax attention with eps = 1e-12.

Usage (venv /root/venvs/sa):
    python Benchmarks/analysis_torch_peer.py --synthetic              # (12, 12, 1024, 1024)
    python Benchmarks/analysis_torch_peer.py --model PATH --text "..." # GPT-2 forward + sweep
Prints one JSON object: timings in seconds and the per-point metrics.
"""
import argparse
import json
import math
import time

import torch

THRESHOLDS = [0.01, 0.005, 0.002, 0.001, 0.0005]
BLOCK_SIZES = [16, 32, 64]


def block_view(a, B):
    """(H, T, T) -> (H, T, nb, B), zero-padded keys."""
    H, T, _ = a.shape
    nb = (T + B - 1) // B
    if nb * B != T:
        a = torch.nn.functional.pad(a, (0, nb * B - T))
    return a.view(H, T, nb, B)


def key_terms(a, eps):
    """Per key, once per layer: A where A >= eps (else 0) and A ln(A/eps) where A >= eps
    (else 0), float32 (the logarithm is the costly part; float64 sums come after)."""
    keep = a >= eps
    above = torch.where(keep, a, torch.zeros_like(a))
    term = above * (torch.log(torch.clamp(a, min=eps)) - math.log(eps))
    return above, term


def layer_block_stats(a, above, term, B):
    """Per (head, query, block): max (float32), and float64 sums of A, of A >= eps and of
    A ln(A/eps)."""
    maxima = block_view(a, B).amax(-1)
    return (maxima, block_view(a, B).sum(-1, dtype=torch.float64),
            block_view(above, B).sum(-1, dtype=torch.float64), block_view(term, B).sum(-1, dtype=torch.float64))


def sweep_layer(a, eps=1e-12):
    """All (block size × threshold) points on one layer's attention (H, T, T)."""
    H, T, _ = a.shape
    out = {}
    q = torch.arange(T).view(1, T, 1)
    key_above, key_term = key_terms(a, eps)
    for B in BLOCK_SIZES:
        maxima, mass, above, term = layer_block_stats(a, key_above, key_term, B)
        nb = maxima.shape[-1]
        visible = (torch.arange(nb).view(1, 1, nb) * B) <= q                # (1, T, nb)
        row_mass = mass.sum(-1)
        row_above = above.sum(-1)
        visible_count = visible.sum(-1).expand(H, T)
        for tau in THRESHOLDS:
            pruned = visible & (maxima.double() < tau)                       # pure rule
            n_pruned = pruned.sum(-1)
            fully = n_pruned == visible_count
            pruned_mass = torch.where(pruned, mass, torch.zeros_like(mass)).sum(-1)
            kept_mass = row_mass - pruned_mass
            fraction = torch.where(fully | (n_pruned == 0), torch.zeros_like(row_mass), pruned_mass / row_mass)
            kl = -torch.log1p(-fraction)
            pruned_term = torch.where(pruned, term, torch.zeros_like(term)).sum(-1)
            kept_above = row_above - torch.where(pruned, above, torch.zeros_like(above)).sum(-1)
            seed = torch.where(fully, pruned_term,
                               pruned_term + torch.log(torch.clamp(kept_mass, min=eps)) * kept_above).clamp(min=0)
            eff_pruned = torch.where(fully, torch.zeros_like(n_pruned), n_pruned)
            out[(B, tau)] = {
                "pruned": int(eff_pruned.sum()), "seedPruned": int(n_pruned.sum()),
                "visible": int(visible_count.sum()), "all": H * T * nb,
                "prunedMass": float(fraction.mean()), "attentionKL": float(kl.mean()),
                "seedKL": float(seed.mean()), "fullyPrunedRows": int(fully.sum()),
            }
    return out


def sweep(layers, eps=1e-12):
    """Means over layers of the per-layer results; layers is an iterable of (H, T, T)."""
    per_layer = [sweep_layer(a, eps) for a in layers]
    points = []
    for B in BLOCK_SIZES:
        for tau in THRESHOLDS:
            rows = [layer[(B, tau)] for layer in per_layer]
            n = len(rows)
            points.append({
                "selection": "threshold", "blockSize": B, "threshold": tau,
                "prunedBlockFraction": sum(r["pruned"] / r["visible"] for r in rows) / n,
                "seedPrunedFraction": sum((r["seedPruned"] + r["all"] - r["visible"]) / r["all"] for r in rows) / n,
                "prunedMass": sum(r["prunedMass"] for r in rows) / n,
                "attentionKL": sum(r["attentionKL"] for r in rows) / n,
                "seedKL": sum(r["seedKL"] for r in rows) / n,
                "fullyPrunedRows": sum(r["fullyPrunedRows"] for r in rows),
            })
    return points


def synthetic_layer(H, T, seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(H, T, T, generator=g) * 3
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", action="store_true", help="(12, 12, 1024, 1024) softmax attention")
    parser.add_argument("--model", help="GPT-2 folder (config.json, model.safetensors)")
    parser.add_argument("--text", default="", help="input text for --model (tokenized by the folder's tokenizer)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {"threads": args.threads}
    if args.model:
        from transformers import AutoTokenizer, GPT2LMHeadModel
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = GPT2LMHeadModel.from_pretrained(args.model, attn_implementation="eager").eval()
        ids = tokenizer(args.text, return_tensors="pt").input_ids[:, : model.config.n_positions]
        start = time.perf_counter()
        with torch.no_grad():
            attentions = model(ids, output_attentions=True).attentions
        result["forwardSeconds"] = time.perf_counter() - start
        layers = [a[0] for a in attentions]
    else:
        layers = [synthetic_layer(12, 1024, seed) for seed in range(12)]
    start = time.perf_counter()
    result["points"] = sweep(layers)
    result["analysisSeconds"] = time.perf_counter() - start
    result["shape"] = [len(layers), *layers[0].shape]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
