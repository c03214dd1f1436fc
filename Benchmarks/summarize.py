#!/usr/bin/env python3
"""Summarises Benchmarks/run.sh output: medians over rounds per measurement, and ratios
Swift/peer (GFLOPS: Swift ÷ numpy, higher is better; time: Swift ÷ torch, lower is better)."""
import statistics
import sys
from collections import defaultdict

from bench_lines import load_summary, read_lines

values = defaultdict(list)
loads, records = read_lines(sys.argv[1])
for who, rest, fields in records:
    if rest.startswith("gemm"):
        values[(who, "gemm", rest.split()[1])].append(float(fields["gflops"]))
    elif rest.startswith("torch_forward"):
        variant = "lm_head" if fields["lm_head"].lower() == "true" else "body"
        values[(who, "forward", (int(fields["T"]), variant))].append(float(fields["median_s"]))
    elif rest.startswith("forward"):
        variant = fields.get("variant") or ("lm_head" if fields["lm_head"].lower() == "true" else "body")
        values[(who, "forward", (int(fields["T"]), variant))].append(float(fields["median_s"]))
    elif rest.startswith("warm_load"):
        values[(who, "load", "warm")].append(float(fields["total_median_s"]))
    elif rest.startswith("peak_rss_bytes"):
        values[(who, "rss", "peak")].append(float(fields["peak_rss_bytes"]))

print(load_summary(loads))


def med(key):
    return statistics.median(values[key]) if values.get(key) else None

print("GEMM GFLOPS (median over rounds)      swift     numpy   swift/numpy")
for (who, kind, name) in sorted(k for k in values if k[0] == "swift" and k[1] == "gemm"):
    s, n = med(("swift", "gemm", name)), med(("numpy", "gemm", name))
    print(f"  {name:<12} {s:10.1f} {n if n else float('nan'):9.1f} {s / n if n else float('nan'):9.2f}")
# torch's two forwards: GPT2LMHeadModel (lm_head) and its transformer body (body), both eager
# with output_attentions=True (every layer's attention returned). Swift: attention handed to an
# observer ("swift") or every layer's copy kept ("swiftkeep"); attention_only stops after the
# last layer's attention, so its like-for-like torch peer is the body.
PEER = {"lm_head": "lm_head", "body": "body", "attention_only": "body"}
print("Forward seconds (median over rounds)            swift     torch  swift/torch  vs torch lm_head")
for who in ("swift", "swiftkeep"):
    for (_, _, (t, variant)) in sorted(k for k in values if k[0] == who and k[1] == "forward"):
        s = med((who, "forward", (t, variant)))
        p = med(("torch", "forward", (t, PEER[variant])))
        full = med(("torch", "forward", (t, "lm_head")))
        label = f"T={t} {variant}{' (kept)' if who == 'swiftkeep' else ''}"
        print(f"  {label:<36} {s:9.3f} {p if p else float('nan'):9.3f} {s / p if p else float('nan'):10.2f}"
              f" {s / full if full else float('nan'):12.2f}")
if values.get(("swift", "load", "warm")):
    print(f"Swift warm checkpoint load + pack: median {med(('swift', 'load', 'warm')):.3f} s (target < 0.5)")
for who in ("swift", "swiftkeep", "torch", "numpy"):
    if values.get((who, "rss", "peak")):
        print(f"peak RSS {who}: {max(values[(who, 'rss', 'peak')]) / 1e9:.2f} GB (max over processes)")
