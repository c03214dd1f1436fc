#!/usr/bin/env bash
# Runs gpt2-bench and its Python peers interleaved (Swift, Python, Swift, Python, ...) so that
# load from other processes hits both alike, then prints medians over rounds and ratios.
#
#   Benchmarks/run.sh [ROUNDS] [TOKENS] [MODEL_DIR]   (defaults: 3 rounds, tokens 64,256,1024,
#                                                      $TMPDIR model folder, written if missing)
# Swift and torch forwards run the same random gpt2-small model.safetensors and token ids.
# Environment: PYTHON (default /root/venvs/sa/bin/python), THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
TOKENS=${2:-64,256,1024}
MODEL=${3:-${TMPDIR:-/tmp}/selectattention-bench-gpt2small}
source Benchmarks/bench_common.sh
# Interleave at the finest grain a process allows: per GEMM shape and per T, Swift then peer.
for round in $(seq "$ROUNDS"); do
    note_load "round $round/$ROUNDS"
    for shape in qkv attn_proj mlp_fc mlp_proj lm_head; do
        $BENCH --gemm --shape "$shape" --runs 10 --threads "$THREADS" | grep '^gemm' | sed 's/^/swift /' >> "$OUT/lines"
        $PYTHON Benchmarks/numpy_gemm.py --shape "$shape" --runs 10 --threads "$THREADS" | sed 's/^/numpy /' >> "$OUT/lines"
    done
    for t in ${TOKENS//,/ }; do
        # Attention captured (handed to an observer layer by layer), then every layer's attention kept.
        $BENCH --forward --model "$MODEL" --runs 2 --threads "$THREADS" --tokens "$t" | sed 's/^/swift /' >> "$OUT/lines"
        $BENCH --forward --model "$MODEL" --keep-attention --runs 2 --threads "$THREADS" --tokens "$t" | sed 's/^/swiftkeep /' >> "$OUT/lines"
        if $PYTHON -c "import torch, transformers" 2>/dev/null; then
            $PYTHON Benchmarks/torch_forward.py --model "$MODEL" --runs 2 --threads "$THREADS" --tokens "$t" 2>/dev/null | sed 's/^/torch /' >> "$OUT/lines"
        fi
    done
done
note_load
python3 Benchmarks/summarize.py "$OUT/lines"
echo "raw lines: $OUT/lines" >&2
