#!/usr/bin/env bash
# Issue 3's sweep benchmark, side by side in one run: the Swift attention-level sweep
# (gpt2-bench --sweep: forward with capture vs forward + 5 thresholds × 3 block sizes) and the
# PyTorch peer (analysis_torch_peer.py: eager forward with output_attentions=True + vectorised
# per-block sweep, eager and torch.compile'd), interleaved process by process (Swift, torch
# eager, torch compiled, Swift, ...), all on the same model.safetensors and token ids, then
# medians over every timed run and the ratios (Benchmarks/summarize_sweep.py).
#
#   Benchmarks/sweep_vs_torch.sh [ROUNDS] [MODEL_DIR]    (defaults: 3 rounds, $TMPDIR model folder)
# Environment: PYTHON (default /root/venvs/sa/bin/python), THREADS (default 2), RUNS (timed runs
# per process after one warm-up, default 2), END_TO_END (1: pruned forward per point, in round 1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
MODEL=${2:-${TMPDIR:-/tmp}/selectattention-bench-gpt2small}
RUNS=${RUNS:-2}
END_TO_END=${END_TO_END:-1}
source Benchmarks/bench_common.sh
for round in $(seq "$ROUNDS"); do
    note_load "round $round/$ROUNDS"
    extra=()
    [ "$round" = 1 ] && [ "$END_TO_END" = 1 ] && extra=(--end-to-end)
    $BENCH --sweep --model "$MODEL" --runs "$RUNS" --threads "$THREADS" "${extra[@]}" | sed 's/^/swift /' >> "$OUT/lines"
    for variant in eager compiled; do
        flag=(); [ "$variant" = compiled ] && flag=(--compile)
        $PYTHON Benchmarks/analysis_torch_peer.py --model "$MODEL" --bench-tokens 1024 --runs "$RUNS" \
            --threads "$THREADS" "${flag[@]}" 2>/dev/null | sed "s/^/torch_$variant /" >> "$OUT/lines"
    done
done
note_load
python3 Benchmarks/summarize_sweep.py "$OUT/lines"
echo "raw lines: $OUT/lines" >&2
