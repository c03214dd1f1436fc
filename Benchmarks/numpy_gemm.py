#!/usr/bin/env python3
"""numpy's float32 matmul GFLOPS on GPT-2 small's GEMM shapes (T = 1024), the peer of
`gpt2-bench --gemm`. Threads are fixed before numpy loads its BLAS (default 2).

Usage: numpy_gemm.py [--threads N] [--runs N] [--shape NAME]
Prints one `gemm NAME MxKxN threads=N median_s=S gflops=G` line per shape.
"""
import argparse
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--shape", default=None, help="one shape name (default: all)")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread variables)

SHAPES = [("qkv", 1024, 768, 2304), ("attn_proj", 1024, 768, 768), ("mlp_fc", 1024, 768, 3072),
          ("mlp_proj", 1024, 3072, 768), ("lm_head", 1024, 768, 50257)]
rng = np.random.default_rng(0)
for name, m, k, n in SHAPES:
    if args.shape and name != args.shape:
        continue
    a = rng.random((m, k), dtype=np.float32) - 0.5
    b = rng.random((k, n), dtype=np.float32) - 0.5
    out = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=out)                      # warm-up
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    med = float(np.median(times))
    print(f"gemm {name} {m}x{k}x{n} threads={args.threads} median_s={med:.4f} gflops={2 * m * k * n / med / 1e9:.4f}")
sys.stdout.flush()
