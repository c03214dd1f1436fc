# Sourced by run.sh and sweep_vs_torch.sh (after they set MODEL): builds gpt2-bench (release),
# sets BENCH, PYTHON, THREADS and OUT (a fresh folder for the raw lines), writes the random
# gpt2-small checkpoint into $MODEL if it is missing, and defines note_load.
PYTHON=${PYTHON:-/root/venvs/sa/bin/python}
THREADS=${THREADS:-2}
OUT=$(mktemp -d)
swift build -c release --product gpt2-bench >&2
BENCH=.build/release/gpt2-bench
[ -f "$MODEL/model.safetensors" ] || $BENCH --write-model "$MODEL" >&2

# Appends the 1-minute load average to the raw lines (and says it on stderr with $1).
note_load() {
    [ -n "${1:-}" ] && echo "$1, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    echo "loadavg $(cut -d' ' -f1 /proc/loadavg)" >> "$OUT/lines"
}
