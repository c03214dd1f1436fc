#!/usr/bin/env python3
"""Issue 13's sweep target through the daemon: a 3-estimator × 5-value × 2-tile-size
attention-level sweep against one forward pass, GPT-2-small shape, T = 1024.

One warm release `attnd --stdio` (default dense-pass cache, history off) on a model folder.
Per round, on fresh random token ids: `forward` (topK 1, the LM head included: "one forward
pass"), then three `pruneSweep` requests on the same tokens — estimators meanPool (coverage),
quest (topK) and streaming (window), 5 values each, queryBlockSize 64, blockSizes [64, 128] —
all with `force` so no result is reused; the first runs the dense pass, which the daemon's
cache (attention, Q and K) then serves to the other two, as it would for a user. Prints
per round the seconds and the ratio sweep / forward, then medians. The order alternates by
round (forward first, then sweep first) so drift on a shared machine does not favour either.

Usage: tile_sweep_bench.py --attnd .build/release/attnd --model DIR [--tokens 1024] [--rounds 5]
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Clients", "python"))
from selectattention import Client  # noqa: E402

SWEEPS = [
    {"estimator": "meanPool", "selection": "coverage", "thresholds": [0.5, 0.7, 0.9, 0.95, 0.99]},
    {"estimator": "quest", "selection": "topK", "thresholds": [1, 2, 4, 8, 12]},
    {"estimator": "streaming", "selection": "window", "thresholds": [64, 128, 256, 512, 768]},
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnd", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--query-block-size", type=int, default=64)
    ap.add_argument("--block-sizes", default="64,128")
    a = ap.parse_args()
    blocks = [int(b) for b in a.block_sizes.split(",")]
    rng = random.Random(13)
    with Client.spawn(attnd=a.attnd, model=a.model, args=["--no-history"]) as c:
        c.forward(tokens=[rng.randrange(50000) for _ in range(a.tokens)], top_k=1, force=True)  # warm
        forwards, sweeps, ratios = [], [], []
        for r in range(a.rounds):
            # Separate fresh inputs, so that neither run finds the other's dense pass in the cache:
            # the sweep's first request runs the model, the other two read its cached attention, Q and K.
            tokens = [rng.randrange(50000) for _ in range(a.tokens)]
            other = [rng.randrange(50000) for _ in range(a.tokens)]

            def run_forward():
                t0 = time.perf_counter()
                c.call("forward", {"tokens": other, "topK": 1, "force": True})
                return time.perf_counter() - t0

            def run_sweep():
                t0 = time.perf_counter()
                for s in SWEEPS:
                    c.call("pruneSweep", dict(s, tokens=tokens, queryBlockSize=a.query_block_size, blockSizes=blocks, force=True))
                return time.perf_counter() - t0

            if r % 2 == 0:
                f = run_forward(); s = run_sweep()
            else:
                s = run_sweep(); f = run_forward()
            forwards.append(f); sweeps.append(s); ratios.append(s / f)
            print(f"round={r} load={os.getloadavg()[0]:.2f} forward={f:.3f} sweep={s:.3f} ratio={s / f:.3f}", flush=True)
        print(f"median forward={statistics.median(forwards):.3f} sweep={statistics.median(sweeps):.3f} "
              f"ratio={statistics.median(ratios):.3f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()
