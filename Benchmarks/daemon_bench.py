#!/usr/bin/env python3
"""Method-level speed through the daemon (issue 17): what a user calls, timed as a user sees it.

One warm release `attnd --stdio` (history in a temporary database, `--cache-budget-bytes 0`, so
every request runs the model) is driven over JSON-RPC by the project's own Python client. Per
round and per T, every method below runs on fresh random token ids (nothing is cached; `force`
is set as well), interleaved with its yardsticks in the same round:

- `engine`: `gpt2-bench --forward --model DIR --tokens T --runs 1` in a subprocess: the engine's
  own forward with LM head (`lm_head`) and the attention-only pass (`attention_only`);
- `torch` (with --torch): PyTorch's eager forward with `output_attentions=True` on the same
  tokens, in this process (2 threads).

The daemon runs at `--log-level debug` and logs, per request, the seconds of each phase
(tokenize, forward, analysis, encode, historyLookup/resultCheck/historyWrite, send, and for
end-to-end points prunedForward and compare); those are printed too and summarised per method. Output: one `key=value` line per measurement and, at
the end, a Markdown table of medians and ratios (paired per round, then the median of the
ratios) with the load average at each round's start.

Usage:
  daemon_bench.py --attnd .build/release/attnd --engine .build/release/gpt2-bench --model DIR
                  [--tokens 64,256,1024] [--rounds 3] [--torch] [--methods NAME,...]
Write DIR once with `gpt2-bench --write-model DIR`. --torch needs torch + transformers (a venv).
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Clients", "python"))
from selectattention import Client  # noqa: E402

THRESHOLDS = [0.01, 0.005, 0.002, 0.001, 0.0005]

# name → (method, params without the input). Each runs on its own random tokens.
METHODS = {
    "forward_top5": ("forward", {"topK": 5}),
    "profile_b4": ("profileAttention", {"blockSize": 4}),
    "profile_b32": ("profileAttention", {"blockSize": 32}),
    "sweep_15": ("pruneSweep", {"thresholds": THRESHOLDS, "blockSizes": [4, 16, 32]}),
    "per_position": ("perPositionKL", {}),
    "sweep_e2e_1": ("pruneSweep", {"thresholds": [0.002], "blockSizes": [32], "endToEnd": True}),
    "sweep_e2e_15": ("pruneSweep", {"thresholds": THRESHOLDS, "blockSizes": [4, 16, 32], "endToEnd": True}),
}
# The yardstick each method is compared with (ratio = method / yardstick).
YARDSTICKS = {
    "forward_top5": ["engine_lm_head"],
    "profile_b4": ["engine_attention_only", "torch_eager_attentions"],
    "profile_b32": ["engine_attention_only", "torch_eager_attentions"],
    "sweep_15": ["engine_attention_only"],
    "per_position": ["engine_attention_only"],
    "sweep_e2e_1": ["engine_lm_head"],
    "sweep_e2e_15": ["engine_lm_head"],
}


def engine_times(engine, model, tokens):
    """The engine's forward at T = `tokens`: {"engine_lm_head": s, "engine_attention_only": s}."""
    out = subprocess.run([engine, "--forward", "--model", model, "--tokens", str(tokens), "--runs", "1"],
                         check=True, capture_output=True, text=True).stdout
    found = {}
    for match in re.finditer(r"forward T=(\d+) variant=(\w+) .*? median_s=([0-9.]+)", out):
        found["engine_" + match.group(2)] = float(match.group(3))
    return found


class TorchPeer:
    """PyTorch's eager forward with every layer's attention, on the benchmark's own tokens."""

    def __init__(self, model_dir, threads):
        import torch
        from transformers import GPT2LMHeadModel
        torch.set_num_threads(threads)
        self.torch = torch
        self.model = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation="eager").eval()
        self.seconds([13] * 8)                          # warm-up

    def seconds(self, tokens):
        with self.torch.inference_mode():
            ids = self.torch.tensor([tokens])
            start = time.perf_counter()
            out = self.model(ids, output_attentions=True)
            elapsed = time.perf_counter() - start
            del out
        return elapsed


TIMINGS = re.compile(r"timings \S+ id=\S+ (.*)$")


def last_timings(reader):
    """The phases of the newest `timings` line the daemon logged since the last call."""
    found = None
    time.sleep(0.05)   # the line is written just after the response
    for line in reader.readlines():
        match = TIMINGS.search(line.rstrip())
        if match:
            found = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attnd", required=True)
    parser.add_argument("--engine", required=True, help="the gpt2-bench executable (release)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--tokens", default="64,256,1024")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    token_counts = [int(t) for t in args.tokens.split(",")]
    names = [n for n in args.methods.split(",") if n]
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(METHODS)}")

    peer = TorchPeer(args.model, args.threads) if args.torch else None
    # samples[(name, T)] = list of seconds; phases[(name, T)] = list of {phase: seconds}
    samples, phases, loads = {}, {}, []
    db = os.path.join(tempfile.mkdtemp(prefix="daemon-bench-"), "runs.sqlite")
    # Debug level: the daemon logs one `timings METHOD id=N phase=seconds … total=…` line per
    # compute request (tokenize, forward, analysis, encode, historyWrite, send, …).
    daemon_args = ["--cache-budget-bytes", "0", "--db", db, "--log-level", "debug"]
    log_path = os.path.join(os.path.dirname(db), "attnd.log")
    log = open(log_path, "w")
    reader = open(log_path)
    with Client.spawn(attnd=args.attnd, model=args.model, args=daemon_args, stderr=log) as client:
        info = client.model_info()
        vocab = (info.get("model") or info)["vocabSize"]
        rng = random.Random(17)
        # The daemon computes profileAttention's induction scores once per model and setting
        # (Protocol/README.md §11): the first profile pays that pass. It is timed here, once,
        # on a short text, so the rounds measure what every later call costs.
        if any(METHODS[n][0] == "profileAttention" for n in names):
            start = time.perf_counter()
            client.call("profileAttention", {"tokens": [rng.randrange(vocab) for _ in range(8)], "force": True})
            first = time.perf_counter() - start
            timings = last_timings(reader)
            extra = " ".join(f"{k}={v:.4f}" for k, v in (timings or {}).items())
            print(f"first_profile_8_tokens seconds={first:.4f} {extra} (includes the induction pass)".rstrip(), flush=True)
        for round_index in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for T in token_counts:
                for key, value in engine_times(args.engine, args.model, T).items():
                    samples.setdefault((key, T), []).append(value)
                    print(f"round={round_index} T={T} {key} seconds={value:.4f}", flush=True)
                for name in names:
                    method, params = METHODS[name]
                    tokens = [rng.randrange(vocab) for _ in range(T)]
                    request = dict(params, tokens=tokens, force=True)
                    start = time.perf_counter()
                    result = client.call(method, request)
                    elapsed = time.perf_counter() - start
                    samples.setdefault((name, T), []).append(elapsed)
                    timings = last_timings(reader)
                    if timings:
                        phases.setdefault((name, T), []).append(timings)
                    extra = " ".join(f"{k}={v:.4f}" for k, v in (timings or {}).items())
                    print(f"round={round_index} T={T} {name} seconds={elapsed:.4f} {extra}".rstrip(), flush=True)
                    if peer and "torch_eager_attentions" in YARDSTICKS[name]:
                        t = peer.seconds(tokens)
                        # Kept per method, so each ratio pairs a call with the torch run right after it.
                        samples.setdefault((f"torch_eager_attentions@{name}", T), []).append(t)
                        print(f"round={round_index} T={T} torch_eager_attentions seconds={t:.4f}", flush=True)

    print()
    print(f"load average (1 min) at round starts: {', '.join(f'{x:.2f}' for x in loads)}")
    print()
    print("| method | T | median s | " + " | ".join(f"/ {y}" for y in ("engine_lm_head", "engine_attention_only",
                                                                        "torch_eager_attentions")) + " | phases (median s) |")
    print("|---|---|---|---|---|---|---|")
    for T in token_counts:
        for name in names:
            times = samples.get((name, T), [])
            if not times:
                continue
            cells = []
            for yard in ("engine_lm_head", "engine_attention_only", "torch_eager_attentions"):
                paired = f"{yard}@{name}" if yard.startswith("torch") else yard
                base = samples.get((paired, T))
                if yard not in YARDSTICKS[name] or not base:
                    cells.append("")
                    continue
                # Paired per round: the yardstick measured in the same round (torch: right after the call).
                ratios = [a / b for a, b in zip(times, base)]
                cells.append(f"{statistics.median(ratios):.2f}")
            phase_cell = ""
            if (name, T) in phases:
                keys = sorted({k for p in phases[(name, T)] for k in p})
                phase_cell = ", ".join(f"{k} {statistics.median([p.get(k, 0) for p in phases[(name, T)]]):.3f}"
                                       for k in keys)
            print(f"| {name} | {T} | {statistics.median(times):.3f} | " + " | ".join(cells) + f" | {phase_cell} |")
    for T in token_counts:
        one, many = samples.get(("sweep_e2e_1", T)), samples.get(("sweep_e2e_15", T))
        base = samples.get(("engine_lm_head", T))
        if one and many and base:
            # What each end-to-end point adds once the dense reference exists: (15 points − 1 point) / 14,
            # paired per round, over the engine's forward with its LM head.
            ratios = [(b - a) / 14 / c for a, b, c in zip(one, many, base)]
            print(f"end-to-end marginal point T={T}: median {statistics.median(ratios):.3f}x engine_lm_head "
                  f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
        points = phases.get(("sweep_e2e_15", T))
        if points and base:
            per = [(p.get("prunedForward", 0) + p.get("compare", 0)) / 15 / c for p, c in zip(points, base)]
            print(f"end-to-end point from phases T={T} (prunedForward + compare per point): median "
                  f"{statistics.median(per):.3f}x engine_lm_head (rounds: {', '.join(f'{r:.3f}' for r in per)})")
    for T in token_counts:
        for (key, t), values in sorted(samples.items()):
            if t == T and (key.startswith("engine") or key.startswith("torch")):
                print(f"yardstick T={T} {key} median_s={statistics.median(values):.4f}")


if __name__ == "__main__":
    main()
