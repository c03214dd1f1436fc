#!/usr/bin/env python3
"""Issue 15's speed and memory targets for `evaluateCorpus`, through a release daemon.

    corpus_bench.py make-corpus --attnd A --model DIR --tokens 20000 --out /tmp/corpus-20k.txt
    corpus_bench.py throughput  --attnd A --model DIR --corpus /tmp/corpus-20k.txt [--rounds 5]
    corpus_bench.py memory      --attnd A --model DIR --corpus /tmp/corpus-20k.txt --corpus /tmp/corpus-200k.txt

`make-corpus`: the KJV (`bible -f "gen1:1-rev22:21"`, Debian's bible-kjv), repeated as needed and
cut at a verse so the model's tokenizer gives at least `--tokens` tokens.

`throughput` (targets a and b; one warm `attnd --stdio --no-history`, maxLength 1024, stride 512):
per round, in alternating order, (A) `evaluateCorpus` with no setting, (B) back-to-back `forward`
calls (topK 1, `force`) over the same windows' tokens, (C) `evaluateCorpus` with one setting
(threshold 0.002, block 32), (D) with two settings (and coverage 0.95, block 32). Prints per round
and as medians: tokens scored per second of A and B and their ratio A/B (target ≥ 0.9), and the
cost of each extra setting per window, (C − A)/windows and (D − C)/windows, against one pruned
forward (the median per-window time of B: target ≤ 1 pruned forward, a pruned forward being a
forward with the rule applied, no cheaper than a dense one here).

`memory` (target d): for each corpus a fresh daemon runs the whole evaluation (dense, and one
setting unless `--settings 0`); its peak resident set (`VmHWM` of /proc/PID/status, read after the evaluation, before
exit) and its resident set after loading the model.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Clients", "python"))
import selectattention as sa  # noqa: E402
import selectattention_dask as sd  # noqa: E402

ONE = [{"threshold": 0.002, "blockSize": 32}]
TWO = ONE + [{"selection": "coverage", "threshold": 0.95, "blockSize": 32}]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def make_corpus(a):
    verses = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], check=True, capture_output=True, text=True).stdout
    lines = verses.splitlines(keepends=True)
    with sa.Client.spawn(attnd=a.attnd, model=a.model, args=["--no-history"]) as client:
        per_byte = len(client.tokenize("".join(lines[:2000]))["tokens"]) / len("".join(lines[:2000]).encode())
        text, i = "", 0
        while True:
            # Add about the missing tokens' worth of verses, then count again.
            missing = a.tokens - (len(client.tokenize(text)["tokens"]) if text else 0)
            if missing <= 0:
                break
            budget = int(missing / per_byte) + 1
            while budget > 0:
                line = lines[i % len(lines)]
                text += line
                budget -= len(line.encode())
                i += 1
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{a.out}: {len(text.encode())} bytes, {i} verses")


def phases(log_path, method):
    """The phases (seconds) of the daemon's last `timings METHOD` debug line."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        lines = [line for line in f if f"timings {method} id=" in line]
    if not lines:
        return {}
    return {k: float(v) for k, v in (item.split("=", 1) for item in lines[-1].split(" id=")[-1].split()[1:] if "=" in item)
            if v.replace(".", "", 1).isdigit()}


def throughput(a):
    log_path = os.path.join(tempfile.mkdtemp(), "attnd.log")
    log = open(log_path, "w")
    with sa.Client.spawn(attnd=a.attnd, model=a.model, args=["--no-history"], stderr=log, log_level="debug") as client:
        text = open(a.corpus, encoding="utf-8").read()
        tokens = client.tokenize(text)["tokens"]
        plan = sd.corpus_plan(len(tokens), a.max_length, a.stride)
        request = dict(path=os.path.abspath(a.corpus), max_length=a.max_length, stride=a.stride, force=True)
        windows = len(plan)

        def evaluate(settings):
            t = time.perf_counter()
            r = client.evaluate_corpus(settings=settings, **request)
            return time.perf_counter() - t, r["tokensScored"]

        def forwards():
            times = []
            for w in plan:
                t = time.perf_counter()
                client.forward(tokens=tokens[w["begin"]:w["end"]], top_k=1, force=True)
                times.append(time.perf_counter() - t)
            return sum(times), statistics.median(times)

        client.forward(tokens=tokens[:a.max_length], top_k=1, force=True)  # warm
        rows = []
        for k in range(a.rounds):
            steps = [x for x in ("ABCD" if k % 2 == 0 else "BDCA") if x in a.steps]
            got = {}
            for step in steps:
                if step == "A":
                    got["A"], scored = evaluate([])
                elif step == "B":
                    got["B"], got["fwd"] = forwards()
                elif step == "C":
                    got["C"], _ = evaluate(ONE)
                    time.sleep(0.2)  # the timings line follows the response
                    split = phases(log_path, "evaluateCorpus")
                    for phase in ("forward", "prunedForward", "compare"):
                        got[f"C.{phase}/window"] = split.get(phase, float("nan")) / windows
                else:
                    got["D"], _ = evaluate(TWO)
            nan = float("nan")
            row = dict(got, ratio=got["B"] / got["A"] if "A" in got and "B" in got else nan,
                       first=(got["C"] - got["A"]) / windows / got["fwd"] if "C" in got and "A" in got else nan,
                       second=(got["D"] - got["C"]) / windows / got["fwd"] if "D" in got and "C" in got else nan,
                       load=os.getloadavg()[0])
            rows.append(row)
            print(f"round {k + 1} ({''.join(steps)}): " + "  ".join(f"{key} {value:.2f}" for key, value in row.items()),
                  flush=True)
        med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        print(f"corpus {len(tokens)} tokens, {windows} windows (maxLength {a.max_length}, stride {a.stride}), "
              f"{scored} tokens scored; medians of {a.rounds} rounds (load {min(r['load'] for r in rows):.1f}-"
              f"{max(r['load'] for r in rows):.1f}):")
        if "A" in med and "B" in med:
            print(f"  (a) dense evaluateCorpus {scored / med['A']:.0f} tokens/s, back-to-back forward "
                  f"{scored / med['B']:.0f} tokens/s; throughput ratio A/B (median of pairs) {med['ratio']:.3f} "
                  f"(target >= 0.9)")
        if "C" in med:
            print(f"  (b) extra setting per window: first {med['first']:.2f}, second {med['second']:.2f} dense forwards "
                  f"(target <= 1 pruned forward)")


def memory(a):
    for corpus in a.corpus:
        with sa.Client.spawn(attnd=a.attnd, model=a.model, args=["--no-history"]) as client:
            pid = client._transport.process.pid
            loaded = status_kib(pid, "VmRSS")
            t = time.perf_counter()
            r = client.evaluate_corpus(path=os.path.abspath(corpus), max_length=a.max_length, stride=a.stride,
                                       settings=ONE[:a.settings])
            seconds = time.perf_counter() - t
            peak = status_kib(pid, "VmHWM")
        print(f"{os.path.basename(corpus)}: {r['numTokens']} tokens, {r['windows']} windows, {seconds:.0f} s; "
              f"RSS after load {loaded / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB; dense perplexity "
              f"{r['dense']['perplexity']:.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["make-corpus", "throughput", "memory"])
    ap.add_argument("--attnd", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--corpus", action="append")
    ap.add_argument("--tokens", type=int, default=20000)
    ap.add_argument("--out")
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--stride", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--settings", type=int, choices=[0, 1], default=1, help="memory: settings beside dense")
    ap.add_argument("--steps", default="ABCD", help="which of A B C D to run each round (B is needed for b)")
    a = ap.parse_args()
    a.attnd = os.path.abspath(a.attnd)
    if a.what == "make-corpus":
        make_corpus(a)
    elif a.what == "throughput":
        a.corpus = a.corpus[0]
        throughput(a)
    else:
        memory(a)


if __name__ == "__main__":
    main()
