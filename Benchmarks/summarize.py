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
    elif rest.startswith("forward") or rest.startswith("torch_forward"):
        values[(who, "forward", f"T={fields['T']} lm_head={fields['lm_head'].lower()}")].append(float(fields["median_s"]))
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
print("Forward seconds, attention kept       swift     torch   swift/torch")
for (who, kind, name) in sorted(k for k in values if k[0] == "swift" and k[1] == "forward"):
    s, t = med(("swift", "forward", name)), med(("torch", "forward", name))
    print(f"  {name:<24} {s:8.3f} {t if t else float('nan'):9.3f} {s / t if t else float('nan'):9.2f}")
if values.get(("swift", "load", "warm")):
    print(f"Swift warm checkpoint load + pack: median {med(('swift', 'load', 'warm')):.3f} s (target < 0.5)")
for who in ("swift", "torch", "numpy"):
    if values.get((who, "rss", "peak")):
        print(f"peak RSS {who}: {max(values[(who, 'rss', 'peak')]) / 1e9:.2f} GB (max over processes)")
