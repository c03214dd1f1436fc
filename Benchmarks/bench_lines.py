"""Reads the raw lines of run.sh / sweep_vs_torch.sh: `loadavg X` lines and `WHO KIND k=v ...`."""
import re


def read_lines(path):
    """Returns (load averages, records); each record is (who, rest of line, {key: value})."""
    loads, records = [], []
    for line in open(path):
        if line.startswith("loadavg"):
            loads.append(float(line.split()[1]))
            continue
        who, rest = line.rstrip("\n").split(" ", 1)
        records.append((who, rest, dict(re.findall(r"(\w+)=(\S+)", rest))))
    return loads, records


def load_summary(loads):
    return f"load average (1 min) at round starts and end: {', '.join(f'{x:.2f}' for x in loads)}"
