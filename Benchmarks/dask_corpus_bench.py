"""Two single-core Dask workers against one single-core daemon on one corpus evaluation
(issue 15: target ≤ 0.65× the time). Each daemon is pinned to one CPU (sched_setaffinity, inherited
by the daemon), so "single-threaded" holds whatever thread count the daemon picks.

    ATTND=.build/release/attnd python3 Benchmarks/dask_corpus_bench.py [--repeat 60] [--model DIR]
    ATTND=.build/release/attnd python3 Benchmarks/dask_corpus_bench.py --model /work/bench-model \
        --corpus /work/bench-corpus-20k.txt --max-length 1024 --stride 512 --settings 0 --rounds 3

Corpus: `--corpus FILE`, or Tests/Fixtures/reference/corpus/corpus.txt repeated `--repeat` times.
`--settings 0` evaluates dense only, 1 adds threshold 0.05 at block 8. Prints the median of
`--rounds` interleaved rounds (the order alternates by round), their ratios pair by pair, the load
average, and checks that the numbers are identical.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Clients", "python"))

import selectattention as sa  # noqa: E402
import selectattention_dask as sd  # noqa: E402
from distributed import Client as DaskClient, LocalCluster  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--model", default=os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked"))
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--stride", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--windows-per-task", type=int, default=None)
    parser.add_argument("--corpus", default=None)
    parser.add_argument("--settings", type=int, choices=[0, 1], default=1)
    a = parser.parse_args()
    attnd = os.path.abspath(os.environ["ATTND"])
    if a.corpus:
        path, made = os.path.abspath(a.corpus), False
    else:
        base = open(os.path.join(REPO, "Tests", "Fixtures", "reference", "corpus", "corpus.txt"), encoding="utf-8").read()
        corpus = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
        corpus.write((base + "\n") * a.repeat)
        corpus.close()
        path, made = corpus.name, True
    settings = [{"threshold": 0.05, "blockSize": 8}][:a.settings]
    request = dict(path=path, max_length=a.max_length, stride=a.stride, settings=settings, force=True)

    everything = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    single = sa.Client.spawn(attnd=attnd, model=a.model, args=["--no-history"])
    os.sched_setaffinity(0, everything)

    os.environ["PYTHONPATH"] = os.path.join(REPO, "Clients", "python") + os.pathsep + os.environ.get("PYTHONPATH", "")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    dask = DaskClient(cluster)
    cores = {address: {i % os.cpu_count()} for i, address in enumerate(sorted(dask.scheduler_info()["workers"]))}
    dask.run(lambda dask_worker: os.sched_setaffinity(0, cores[dask_worker.address]))
    dask.register_plugin(sd.AttndWorkerPlugin(a.model, attnd=attnd))

    one, two, loads = [], [], []
    for k in range(a.rounds):
        def run_single():
            t = time.perf_counter()
            result = dict(single.evaluate_corpus(**request))
            one.append(time.perf_counter() - t)
            return result

        def run_spread():
            t = time.perf_counter()
            result = sd.evaluate_corpus_distributed(dask, model=a.model, register_plugin=False,
                                                    windows_per_task=a.windows_per_task, **request)
            two.append(time.perf_counter() - t)
            return result
        if k % 2 == 0:
            reference, spread = run_single(), run_spread()
        else:
            spread, reference = run_spread(), run_single()
        loads.append(os.getloadavg()[0])
        print(f"round {k + 1}: one {one[-1]:.2f} s, two {two[-1]:.2f} s, ratio {two[-1] / one[-1]:.3f}, "
              f"load {loads[-1]:.2f}", flush=True)
        for key in ["tokensScored", "predictionsScored", "dense", "settings", "windows"]:
            assert spread[key] == reference[key], key
    print(f"corpus {reference['numTokens']} tokens, {reference['windows']} windows (maxLength {a.max_length}, "
          f"stride {a.stride}), {len(settings)} setting(s), {spread['distributed']['tasks']} tasks; "
          f"load {min(loads):.2f}-{max(loads):.2f}")
    print(f"one single-core daemon: median {statistics.median(one):.2f} s  {[round(x, 2) for x in one]}")
    print(f"two single-core workers: median {statistics.median(two):.2f} s  {[round(x, 2) for x in two]}")
    print(f"ratio of medians {statistics.median(two) / statistics.median(one):.3f}, median of paired ratios "
          f"{statistics.median(b / c for b, c in zip(two, one)):.3f} (target ≤ 0.65); numbers identical")
    single.close()
    dask.close()
    cluster.close()
    if made:
        os.unlink(path)


if __name__ == "__main__":
    main()
