#!/usr/bin/env python3
"""Summarises Benchmarks/sweep_vs_torch.sh output: medians over every timed run of every
round (seconds), the ratios against issue 3's targets, peak RSS, and how far the Swift and torch
sweeps' point metrics differ (they run the same file and tokens)."""
import statistics
import sys
from collections import defaultdict

from bench_lines import load_summary, read_lines

runs = defaultdict(list)          # (who, quantity) -> timed runs pooled over rounds
lines = defaultdict(list)         # (who, kind) -> parsed key=value dicts
points = defaultdict(dict)        # who -> (B, tau) -> metrics
loads, records = read_lines(sys.argv[1])
for who, rest, fields in records:
    kind = rest.split(" ", 1)[0]
    lines[(who, kind)].append(fields)
    for key, value in fields.items():
        if key.endswith("_all_s"):
            runs[(who, key[:-len("_all_s")])] += [float(x) for x in value.split(",") if x]
    if kind == "point":
        points[who][(fields["B"], fields["tau"])] = fields


def med(who, quantity):
    values = runs.get((who, quantity))
    return statistics.median(values) if values else float("nan")


def field_median(who, kind, key):
    values = [float(f[key]) for f in lines.get((who, kind), []) if key in f]
    return statistics.median(values) if values else float("nan")


print(load_summary(loads))
print(f"Swift warm load (median of per-process medians, s): checkpoint "
      f"{field_median('swift', 'warm_load', 'checkpoint_load_median_s'):.3f} + pack "
      f"{field_median('swift', 'warm_load', 'pack_median_s'):.3f} = "
      f"{field_median('swift', 'warm_load', 'total_median_s'):.3f}  (target < 0.5)")
forward, sweep, layer_fed = med("swift", "forward"), med("swift", "sweep"), med("swift", "layer_fed")
n = len(runs.get(("swift", "forward"), []))
print(f"Swift, T=1024, {n} runs: forward with capture {forward:.3f}  forward + sweep {sweep:.3f}  "
      f"ratio {sweep / forward:.3f} (target <= 1.3; heads analysed as computed);  fed layer by layer (the daemon's way) "
      f"{layer_fed:.3f} ratio {layer_fed / forward:.3f}")
best = None
for variant in ("torch_eager", "torch_compiled"):
    f, a = med(variant, "forward"), med(variant, "analysis")
    totals = [x + y for x, y in zip(runs.get((variant, "forward"), []), runs.get((variant, "analysis"), []))]
    if not totals:
        continue
    total = statistics.median(totals)
    print(f"{variant}: forward {f:.3f}  analysis {a:.3f}  total {total:.3f}  Swift total / torch total "
          f"{sweep / total:.3f} (target <= 0.35)  [{len(totals)} runs]")
    best = total if best is None else min(best, total)
if best:
    print(f"Swift total / best torch total: {sweep / best:.3f} (target <= 0.35)")
for f in lines.get(("swift", "end_to_end"), []):
    if "dense_median_s" in f:
        print(f"end-to-end: dense forward + LM head {float(f['dense_median_s']):.3f}  pruned {float(f['pruned_median_s']):.3f}"
              f"  compare {float(f['compare_median_s']):.3f}  pruned/dense {float(f['pruned_over_dense']):.3f}"
              f"  per point (median of paired repeats of (pruned + compare)/dense): median {float(f['per_point_over_dense']):.3f}"
              f" worst point {float(f['worst_per_point_over_dense']):.3f} (target <= 1.1)")
for who, rest, f in records:
    if who == "swift" and rest.startswith("rss "):
        budget = f" vs budget {int(f['budget_bytes']) / 1e9:.3f} GB" if "budget_bytes" in f else ""
        if "phase_peak_rss_bytes" in f:
            print(f"Swift peak RSS of phase {rest.split()[1]}: {int(f['phase_peak_rss_bytes']) / 1e9:.3f} GB{budget}")
        else:
            print(f"Swift peak RSS during the load (mapped file + packed copy): {int(f['load_peak_rss_bytes']) / 1e9:.3f} GB, "
                  f"RSS after it {int(f['current_rss_bytes']) / 1e9:.3f} GB")
for variant in ("torch_eager", "torch_compiled"):
    torch_rss = [int(f["peak_rss_bytes"]) for (who, kind), fs in lines.items()
                 if who == variant and kind.startswith("peak_rss_bytes") for f in fs]
    if torch_rss:
        print(f"{variant} peak RSS: {max(torch_rss) / 1e9:.3f} GB (max over processes)")
worst = {}
for key, s in points.get("swift", {}).items():
    t = points.get("torch_eager", {}).get(key)
    if not t:
        continue
    for metric in ("prunedBlockFraction", "seedPrunedFraction", "prunedMass", "attentionKL", "seedKL", "fullyPrunedRows"):
        a, b = float(s[metric]), float(t[metric])
        worst[metric] = max(worst.get(metric, 0.0), abs(a - b) / max(abs(a), 1e-30))
if worst:
    print("Swift vs torch point metrics, worst relative difference (6 printed digits; the forwards differ in float rounding): "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
