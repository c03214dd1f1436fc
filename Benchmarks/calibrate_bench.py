#!/usr/bin/env python3
"""Issue 14's speed target through the daemon: `calibrate` over 8 texts of about 512 tokens,
GPT-2-small shape, against the forward passes it stands for.

"One forward pass's worth" is the time of one `forward` (topK 1, the LM head included, `force`)
over each of the 8 calibration texts, back to back. Per round, interleaved (the order alternates
by round so drift on a shared machine favours neither): the 8 forwards, `calibrate` with
`maxOutputKL` (global allocation checked by pruned passes) and `calibrate` with `maxAttentionKL`
(per-head search), both `force`. attnd runs with `--cache-budget-bytes 0` so that no calibration
reads a dense pass another request left in the cache: every request pays its own dense passes.
Prints per round the seconds and the ratios calibrate / forwards, then medians, and the search's
allocation steps and pruned passes.

Usage: calibrate_bench.py --attnd .build/release/attnd --model DIR [--rounds 3] [--estimator meanPool]
       [--query-block-size 64] [--block-size 64] [--max-output-kl 0.05] [--max-attention-kl 0.05]
Texts: consecutive passages of the King James Bible (`bible -f "gen1:1-rev22:21"`, Debian's
bible-kjv), cut into 8 pieces of 2,300 characters (about 512 tokens each).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Clients", "python"))
from selectattention import Client  # noqa: E402


def kjv_texts(count, chars, offset):
    text = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    return [text[offset + i * chars: offset + (i + 1) * chars] for i in range(count)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnd", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--texts", type=int, default=8)
    ap.add_argument("--chars", type=int, default=2300)
    ap.add_argument("--estimator", default="meanPool")
    ap.add_argument("--selection", default="threshold")
    ap.add_argument("--query-block-size", type=int, default=64)
    ap.add_argument("--block-size", type=int, default=64)
    ap.add_argument("--max-output-kl", type=float, default=0.05)
    ap.add_argument("--max-attention-kl", type=float, default=0.05)
    a = ap.parse_args()
    with Client.spawn(attnd=a.attnd, model=a.model, args=["--no-history", "--cache-budget-bytes", "0"]) as c:
        base = {"estimator": a.estimator, "selection": a.selection, "queryBlockSize": a.query_block_size,
                "blockSize": a.block_size, "force": True}
        forwards, outputs, heads = [], [], []
        for r in range(a.rounds):
            texts = kjv_texts(a.texts, a.chars, offset=100_000 * (r + 1))
            token_lists = [c.call("tokenize", {"text": t})["tokens"] for t in texts]
            lengths = [len(t) for t in token_lists]

            def run_forwards():
                t0 = time.perf_counter()
                for tokens in token_lists:
                    c.call("forward", {"tokens": tokens, "topK": 1, "force": True})
                return time.perf_counter() - t0

            def run_calibrate(budget):
                t0 = time.perf_counter()
                result = c.call("calibrate", dict(base, texts=texts, **budget))
                return time.perf_counter() - t0, result

            if r == 0:
                run_forwards()  # warm: page in the weights
            order = ["forward", "output", "heads"] if r % 2 == 0 else ["heads", "output", "forward"]
            times = {}
            for step in order:
                if step == "forward":
                    times[step] = run_forwards()
                elif step == "output":
                    times[step], out = run_calibrate({"maxOutputKL": a.max_output_kl})
                else:
                    times[step], per_head = run_calibrate({"maxAttentionKL": a.max_attention_kl})
            forwards.append(times["forward"])
            outputs.append(times["output"] / times["forward"])
            heads.append(times["heads"] / times["forward"])
            print(f"round {r}: tokens {min(lengths)}-{max(lengths)}; 8 forwards {times['forward']:.2f} s; "
                  f"calibrate maxOutputKL {times['output']:.2f} s = {outputs[-1]:.2f}x "
                  f"(steps {out['search']['allocationSteps']}, pruned passes {out['search']['prunedPasses']}, "
                  f"computedFraction {out['computedFraction']:.3f}, check outputKL {out['check']['outputKL']:.4f}); "
                  f"maxAttentionKL {times['heads']:.2f} s = {heads[-1]:.2f}x "
                  f"(computedFraction {per_head['computedFraction']:.3f}, dense heads {per_head['denseHeads']})", flush=True)
        print(f"median: 8 forwards {statistics.median(forwards):.2f} s; calibrate maxOutputKL "
              f"{statistics.median(outputs):.2f}x (target <= 25); maxAttentionKL {statistics.median(heads):.2f}x (target <= 3)")


if __name__ == "__main__":
    main()
