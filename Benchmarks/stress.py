#!/usr/bin/env python3
"""A bounded stress run of ONE `attnd --listen` daemon on a loopback Unix socket.

    python3 Benchmarks/stress.py                       # load: 16 clients × 200 mixed requests
    python3 Benchmarks/stress.py --sweeps 1000         # history size after 1,000 pruneSweeps
    python3 Benchmarks/stress.py --attnd .build/release/attnd --clients 4 --requests 50

It builds nothing: build the daemon first (`swift build -c release --product attnd`). It starts
`attnd --listen <tmp>/attnd.sock --model MODEL --db DB`, drives it, prints a summary and exits
non-zero when a check fails (1), on a setup problem (2) or on Ctrl-C (130). Everything it
started (the daemon, its socket, the temporary folder) is stopped and removed on every exit path.

Load mode checks: every request answered exactly once (ids matched, no duplicate, missing or
stray response); no error but the provoked ones (and those with the documented code and field);
results well formed and belonging to their request (token counts, point counts, fingerprint);
every computed analysis stored (history rows = computed responses); the daemon's RSS stable
(second-half growth < 10 %); the idle `tokenize` round trip median under 1 ms. It reports the
tokenize latency idle and under load (measured from Python with the project's client, so the
figures include the client's own framing and JSON work) and history rows written per second.

Sweeps mode (`--sweeps N`): N forced pruneSweeps (5 thresholds × 3 block sizes, ~64-token
texts, all different) and the database size (db + wal after a checkpoint, and after the daemon
exits) with bytes per run.

Standard library only (Python 3.8+). Every wait is bounded (`--timeout`).
"""

import argparse
import collections
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Clients", "python"))
import selectattention as sa  # noqa: E402

#: Short ASCII texts for the load mix (each well under the tiny model's 128-token context).
SHORT_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Attention is all you need, or so they said.",
    "A sink token soaks up most of the attention mass.",
    "Block sparse kernels skip whole tiles of keys.",
    "The cat sat on the mat and looked at the hat.",
    "Researchers come back to a sweep days later.",
    "Every run is stored in the history database.",
    "Pruning blocks below a threshold saves work.",
    "Hello, world! Hello again, world.",
    "One two three four five six seven eight nine ten.",
    "Local attention keeps the block holding the query.",
    "KV-cache eviction drops keys that nobody reads.",
    "The model holds twelve layers of twelve heads.",
    "Entropy of a row is measured in nats.",
    "Top-k keeps the k heaviest visible blocks.",
    "Coverage keeps blocks until the mass is reached.",
    "She sells sea shells by the sea shore.",
    "Numbers like 3.14159 and 2.71828 tokenize oddly.",
    "The daemon answers editors, notebooks and scripts.",
    "Cancel the request and the answer comes quickly.",
    "Softmax, then mask, then multiply by the values.",
    "A short text.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Mary had a little lamb whose fleece was white as snow.",
]

#: Words for the sweeps mode's generated texts.
WORDS = ("attention block sparse kernel query key value head layer token model prune threshold sweep "
         "mass entropy sink local window cache history daemon client socket request answer research "
         "paper notebook editor script number measure result point grid size fraction divergence the "
         "a of and to in on with for from by over under between after before quick lazy brown fox dog "
         "river mountain city garden window table chair music light shadow morning evening").split()

PROBE_TEXT = "The quick brown fox."
#: Seconds a socket send (or a probe's receive) may block before the run gives up on it.
IO_TIMEOUT = 60.0
SWEEP_THRESHOLDS = [0.1, 0.05, 0.02, 0.01, 0.005]
SWEEP_BLOCK_SIZES = [4, 8, 16]


class SetupError(Exception):
    """The run could not start (no binary, the daemon died at start-up, …): exit code 2."""


# ---------------------------------------------------------------------------------------------
# The daemon

class Daemon:
    """One `attnd --listen` process in its own session, logs to a file in `workdir`."""

    def __init__(self, attnd, model, db, workdir, extra_args=()):
        self.command = [attnd, "--listen", os.path.join(workdir, "attnd.sock"), "--model", model,
                        "--db", db, "--log-level", "warning"] + list(extra_args)
        self.socket_path = self.command[2]
        self.log_path = os.path.join(workdir, "attnd.log")
        self.process = None
        self.exit_code = None

    def start(self, timeout):
        """Starts the daemon and waits (at most `timeout` s) until its socket accepts a connection."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError("attnd exited with code %d at start-up:\n%s"
                                 % (self.process.returncode, self.log_tail(20)))
            if os.path.exists(self.socket_path):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(self.socket_path)
                    return
                except OSError:
                    pass
                finally:
                    probe.close()
            time.sleep(0.05)
        raise SetupError("attnd did not listen on %s within %.0f s" % (self.socket_path, timeout))

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def rss_kib(self):
        """VmRSS of the daemon in KiB, or None when it is gone."""
        try:
            with open("/proc/%d/status" % self.pid) as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout` s. Returns the exit code (None if never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self.exit_code is None:
            self.exit_code = self.process.returncode
        return self.exit_code

    def log_lines(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return log.read().splitlines()
        except OSError:
            return []

    def log_tail(self, count):
        return "\n".join(self.log_lines()[-count:])


class RSSSampler(threading.Thread):
    """Samples the daemon's VmRSS every `interval` s until `stop()`: `samples` [(seconds, KiB)]."""

    def __init__(self, daemon, interval=0.5):
        super().__init__(daemon=True)
        self.target, self.interval = daemon, interval
        self.samples = []
        self._stop_event = threading.Event()

    def run(self):
        start = time.monotonic()
        while not self._stop_event.is_set():
            kib = self.target.rss_kib()
            if kib is not None:
                self.samples.append((time.monotonic() - start, kib))
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)
        kib = self.target.rss_kib()
        if kib is not None:
            self.samples.append((self.samples[-1][0] + self.interval if self.samples else 0.0, kib))

    def report(self):
        """{start, peak, end, mid, growth, stable} in KiB; growth = (peak of the second half − mid) / mid."""
        if len(self.samples) < 2:
            return None
        values = [kib for _, kib in self.samples]
        half = len(values) // 2
        mid = values[half]
        growth = (max(values[half:]) - mid) / mid
        return {"start": values[0], "peak": max(values), "end": values[-1], "mid": mid,
                "growth": growth, "stable": growth < 0.10, "samples": len(values)}


# ---------------------------------------------------------------------------------------------
# A socket client with several requests in flight

class RawConnection:
    """One socket connection; a reader thread files every response under its id.

    Unlike `selectattention.Client` it keeps several requests in flight and keeps every response,
    so duplicates, missing and stray responses can be counted. Thread rules: `send` and `wait`
    are called from one worker thread; the reader thread only appends under `condition`.
    """

    def __init__(self, socket_path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(socket_path)
        sock.settimeout(IO_TIMEOUT)  # bounds a blocked send; an idle recv just tries again
        self.transport = sa._SocketTransport(sock)
        self.reader = sa._FrameReader(self.transport)
        self.condition = threading.Condition()
        self.sent = {}          # id → method
        self.responses = {}     # id → [response, …]
        self.strays = []        # responses whose id was never sent here (including id null)
        self.notifications = 0
        self.closed_reason = None
        self._ids = iter(range(1, 1 << 62))
        self._thread = threading.Thread(target=self._read_loop, daemon=True)
        self._thread.start()

    def _read_loop(self):
        try:
            while True:
                try:
                    message = self.reader.next_message()
                except socket.timeout:
                    continue
                items = message if isinstance(message, list) else [message]
                with self.condition:
                    for item in items:
                        if not isinstance(item, dict) or "method" in item:
                            self.notifications += 1
                        elif item.get("id") in self.sent:
                            self.responses.setdefault(item["id"], []).append(item)
                        else:
                            self.strays.append(item)
                    self.condition.notify_all()
        except (sa.SelectAttentionError, OSError, ValueError) as error:
            with self.condition:
                self.closed_reason = str(error)
                self.condition.notify_all()

    def send(self, method, params=None):
        """Sends a request; returns its id."""
        ident = next(self._ids)
        message = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        with self.condition:
            self.sent[ident] = method
        self.transport.write(sa._frame(message))
        return ident

    def notify(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.transport.write(sa._frame(message))

    def wait(self, ident, deadline):
        """The first response to `ident`, or None at `deadline` (monotonic s) or when the connection closed."""
        with self.condition:
            while ident not in self.responses:
                remaining = deadline - time.monotonic()
                if self.closed_reason is not None or remaining <= 0:
                    return None
                self.condition.wait(min(remaining, 1.0))
            return self.responses[ident][0]

    def close(self):
        self.transport.close()
        self._thread.join(timeout=2)

    def accounting(self):
        """(missing ids, duplicated ids, stray responses) once every wait is over."""
        with self.condition:
            missing = [i for i in self.sent if i not in self.responses]
            duplicates = [i for i, answers in self.responses.items() if len(answers) > 1]
            return missing, duplicates, list(self.strays)


def open_session(socket_path, name, deadline):
    """A RawConnection after `initialize` (checked) and `initialized`."""
    connection = RawConnection(socket_path)
    ident = connection.send("initialize", {"clientInfo": {"name": name, "version": "stress"}})
    response = connection.wait(ident, deadline)
    if response is None or "result" not in response:
        connection.close()
        raise RuntimeError("%s: initialize failed: %r" % (name, response))
    connection.notify("initialized", {})
    return connection


def close_session(connection, deadline):
    """shutdown (answered null), exit, close. Returns a problem string or None."""
    problem = None
    try:
        ident = connection.send("shutdown")
        response = connection.wait(ident, deadline)
        if response is None or "result" not in response or response["result"] is not None:
            problem = "shutdown answered %r" % (response,)
        connection.notify("exit")
    except OSError as error:
        problem = "shutdown: %s" % error
    time.sleep(0.05)  # let a late duplicate arrive before the socket goes
    connection.close()
    return problem


# ---------------------------------------------------------------------------------------------
# The request mix

class Request:
    """One planned request: `expect` is None (a result) or (code, field-or-None) for a provoked error."""

    def __init__(self, method, params=None, expect=None, kind=None):
        self.method, self.params, self.expect = method, params, expect
        self.kind = kind or method
        self.ident = None


def bad_request(rng, text):
    """A deliberately bad request and the error the protocol documents for it (§9, §14)."""
    choices = [
        Request("pruneSweep", {"text": text, "thresholds": [0.1, 1.5]}, (-32602, "thresholds[1]"), "bad threshold"),
        Request("pruneSweep", {"text": text, "thresholds": []}, (-32602, "thresholds"), "empty list"),
        Request("pruneSweep", {"text": text, "blockSizes": [8, 5000]}, (-32602, "blockSizes[1]"), "bad block size"),
        Request("perPositionKL", {"text": text, "threshold": 0}, (-32602, "threshold"), "bad threshold"),
        Request("profileAttention", {"text": text, "blockSize": 0}, (-32602, "blockSize"), "bad block size"),
        Request("forward", {"text": text, "tokens": [1, 2]}, (-32602, "tokens"), "text and tokens"),
        Request("tokenize", {"text": 5}, (-32602, "text"), "wrong type"),
        Request("forward", {"text": text, "frobnicate": True}, (-32602, "frobnicate"), "unknown field"),
        Request("attn/noSuchMethod", {}, (-32601, None), "unknown method"),
    ]
    return rng.choice(choices)


ANALYSES = ("forward", "profileAttention", "pruneSweep", "perPositionKL")
#: The draws in [lo, hi) of `plan_requests` that are analyses.
ANALYSIS_SHARE = (0.38, 0.95)


def plan_requests(rng, count, vocab_size):
    """`count` mixed requests: ~38 % cheap, ~57 % small analyses (half forced), ~5 % provoked errors."""
    plan = []
    for _ in range(count):
        text = rng.choice(SHORT_TEXTS)
        force = rng.random() < 0.5
        draw = rng.random()
        if ANALYSIS_SHARE[0] <= draw < ANALYSIS_SHARE[1] and not force and rng.random() < 0.5:
            # Defaults only: repeats of these are answered from the history cache.
            plan.append(Request(rng.choice(ANALYSES), {"text": text}))
        elif draw < 0.22:
            plan.append(Request("tokenize", {"text": text}))
        elif draw < 0.30:
            plan.append(Request("model/info"))
        elif draw < 0.38:
            plan.append(Request("runs/list", {"limit": rng.choice([5, 20, 50])}))
        elif draw < 0.50:
            params = {"topK": rng.choice([0, 1, 5])}
            if rng.random() < 0.3:
                params["tokens"] = [rng.randrange(vocab_size) for _ in range(rng.randrange(4, 40))]
            else:
                params["text"] = text
            plan.append(Request("forward", dict(params, force=force)))
        elif draw < 0.66:
            selection = rng.choice(["threshold", "threshold", "coverage", "topK"])
            values = {"threshold": [0.2, 0.1, 0.05, 0.02, 0.01], "coverage": [0.9, 0.95, 0.99],
                      "topK": [1, 2, 4]}[selection]
            params = {"text": text, "selection": selection,
                      "thresholds": rng.sample(values, rng.randrange(1, 4)),
                      "blockSizes": rng.sample([2, 4, 8], rng.randrange(1, 3)),
                      "endToEnd": rng.random() < 0.25, "force": force}
            plan.append(Request("pruneSweep", params))
        elif draw < 0.78:
            params = {"text": text, "blockSize": rng.choice([2, 4, 8]),
                      "thresholds": rng.sample([0.5, 0.2, 0.1, 0.05], rng.randrange(1, 4)), "force": force}
            plan.append(Request("profileAttention", params))
        elif draw < 0.95:
            params = {"text": text, "threshold": rng.choice([0.1, 0.05, 0.01]), "blockSize": rng.choice([2, 4, 8]),
                      "metric": rng.choice(["attentionKL", "seedKL", "prunedMass"]), "force": force}
            if rng.random() < 0.3:
                params["segmentSize"] = 8
            plan.append(Request("perPositionKL", params))
        else:
            plan.append(bad_request(rng, text))
    return plan


def check_result(request, result, model, token_counts):
    """Problems with a success result (a list of strings; empty when it is well formed and belongs to `request`)."""
    params, problems = request.params or {}, []
    if request.method == "tokenize":
        tokens, pieces, offsets = result.get("tokens"), result.get("pieces"), result.get("offsets")
        if not (isinstance(tokens, list) and len(tokens) == len(pieces or []) == len(offsets or [])):
            problems.append("tokenize: lists of different lengths")
        elif "".join(pieces) != params["text"] or len(tokens) != token_counts.get(params["text"]):
            problems.append("tokenize: pieces/tokens do not match the text sent")
    elif request.method == "model/info":
        if result.get("fingerprint") != model["fingerprint"]:
            problems.append("model/info: fingerprint %r" % result.get("fingerprint"))
    elif request.method == "runs/list":
        if not isinstance(result.get("runs"), list) or len(result["runs"]) > params["limit"]:
            problems.append("runs/list: runs missing or over the limit")
    if request.method not in ANALYSES:
        return problems
    expected_tokens = len(params["tokens"]) if "tokens" in params else token_counts.get(params.get("text"))
    if result.get("numTokens") != expected_tokens:
        problems.append("%s: numTokens %r, expected %r" % (request.method, result.get("numTokens"), expected_tokens))
    if result.get("model") != model["fingerprint"] or not isinstance(result.get("runId"), str):
        problems.append("%s: model/runId wrong" % request.method)
    if params.get("force") and result.get("cached") is not False:
        problems.append("%s: force: true answered cached=%r" % (request.method, result.get("cached")))
    count = expected_tokens or 0
    if request.method == "forward":
        if len(result.get("argmax", [])) != count or any(len(top) != params.get("topK", 5) for top in result.get("top", [])):
            problems.append("forward: argmax/top shapes wrong")
    elif request.method == "pruneSweep":
        grid = [(b, t) for b in params.get("blockSizes", [16, 32])
                for t in params.get("thresholds", [0.01, 0.005, 0.002, 0.001, 0.0005])]
        got = [(p.get("blockSize"), p.get("threshold")) for p in result.get("points", [])]
        if got != grid:
            problems.append("pruneSweep: points %r, expected %r" % (got, grid))
    elif request.method == "profileAttention":
        layers = result.get("layers", [])
        heads = [h for layer in layers for h in layer.get("heads", [])]
        if (len(layers) != model["nLayer"] or len(heads) != model["nLayer"] * model["nHead"]
                or any(len(h.get("blocks", [])) != len(params.get("thresholds", [0.05, 0.1, 0.2, 0.5])) for h in heads)):
            problems.append("profileAttention: layers/heads/blocks shapes wrong")
    elif request.method == "perPositionKL":
        layers = result.get("layers", [])
        if len(layers) != model["nLayer"] or any(len(layer.get("values", [])) != count for layer in layers):
            problems.append("perPositionKL: layers/values shapes wrong")
    return problems


class ClientTally:
    """What one load client saw. Written by its worker thread only; merged after `join`."""

    def __init__(self):
        self.answered = 0
        self.by_kind = collections.Counter()         # "ok method" / "expected error kind" / …
        self.unexpected = collections.Counter()      # (method, code, message) → n
        self.wrong_errors = []                       # provoked requests not answered as documented
        self.bad_results = []
        self.computed = collections.Counter()        # method → computed (cached: false) answers
        self.cached = collections.Counter()
        self.points_computed = 0
        self.not_stored = collections.Counter()      # history.reason → n
        self.missing = self.duplicates = self.strays = 0
        self.problems = []                           # connection-level failures

    def record(self, request, response, model, token_counts):
        if response is None:
            return
        self.answered += 1
        error = response.get("error")
        if request.expect is not None:
            code, field = request.expect
            data = (error or {}).get("data") or {}
            if error is not None and error.get("code") == code and (field is None or data.get("field") == field):
                self.by_kind["provoked %d (%s)" % (code, request.kind)] += 1
            else:
                self.wrong_errors.append("%s %r → %r" % (request.method, request.params, error or "a result"))
            return
        if error is not None:
            self.unexpected[(request.method, error.get("code"), error.get("message"))] += 1
            return
        result = response.get("result")
        self.by_kind["ok " + request.method] += 1
        self.bad_results.extend(check_result(request, result if isinstance(result, dict) else {}, model, token_counts))
        if request.method in ANALYSES:
            history = result.get("history") or {}
            if not history.get("stored"):
                self.not_stored[history.get("reason", "no history field")] += 1
            if result.get("cached"):
                self.cached[request.method] += 1
            else:
                self.computed[request.method] += 1
                self.points_computed += len(result.get("points", [])) if request.method == "pruneSweep" else 0

    def merge(self, other):
        self.answered += other.answered
        for name in ("by_kind", "unexpected", "computed", "cached", "not_stored"):
            getattr(self, name).update(getattr(other, name))
        self.wrong_errors += other.wrong_errors
        self.bad_results += other.bad_results
        self.problems += other.problems
        self.points_computed += other.points_computed
        self.missing += other.missing
        self.duplicates += other.duplicates
        self.strays += other.strays


def send_plan(connection, plan, window, deadline, record):
    """Sends `plan` keeping at most `window` requests in flight; `record(request, response or None)`
    gets each answer in the order of the plan."""
    outstanding = collections.deque()
    for request in plan:
        if len(outstanding) >= window:
            done = outstanding.popleft()
            record(done, connection.wait(done.ident, deadline))
        request.ident = connection.send(request.method, request.params)
        outstanding.append(request)
    while outstanding:
        done = outstanding.popleft()
        record(done, connection.wait(done.ident, deadline))


def run_client(socket_path, name, plan, window, deadline, model, token_counts, tally):
    """Sends `plan` keeping at most `window` requests in flight, then shuts the connection down."""
    try:
        connection = open_session(socket_path, name, deadline)
    except (OSError, RuntimeError) as error:
        tally.problems.append("%s: %s" % (name, error))
        return
    try:
        send_plan(connection, plan, window, deadline, lambda done, response: tally.record(
            done, response, model, token_counts))
        problem = close_session(connection, deadline)
        if problem:
            tally.problems.append("%s: %s" % (name, problem))
    except OSError as error:
        tally.problems.append("%s: %s" % (name, error))
        connection.close()
    missing, duplicates, strays = connection.accounting()
    tally.missing, tally.duplicates, tally.strays = len(missing), len(duplicates), len(strays)
    if missing or duplicates or strays:
        tally.problems.append("%s: missing ids %s, duplicated ids %s, strays %s (connection: %s)"
                              % (name, missing[:10], duplicates[:10], strays[:3], connection.closed_reason))


# ---------------------------------------------------------------------------------------------
# Measurements

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def latency_summary(seconds):
    if not seconds:
        return None
    ms = [s * 1000.0 for s in seconds]
    return {"n": len(ms), "median": statistics.median(ms), "p95": percentile(ms, 0.95), "max": max(ms)}


def tokenize_round_trips(client, count):
    """`count` sequential tokenize round trips of PROBE_TEXT, in seconds."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.tokenize(PROBE_TEXT)
        times.append(time.perf_counter() - start)
    return times


class LoadProbe(threading.Thread):
    """Times a tokenize round trip every ~10 ms on its own, otherwise idle, connection until stopped."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client, self.times, self.error = client, [], None
        self._stop_event = threading.Event()

    def run(self):
        try:
            while not self._stop_event.is_set():
                self.times += tokenize_round_trips(self.client, 1)
                self._stop_event.wait(0.01)
        except (sa.SelectAttentionError, OSError) as error:
            self.error = str(error)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=10)


def history_counts(db_path):
    """{status: runs} plus "points" (sweep_point rows), read with sqlite3; {} when there is no history."""
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        counts = dict(connection.execute("SELECT status, COUNT(*) FROM run GROUP BY status").fetchall())
        counts["points"] = connection.execute("SELECT COUNT(*) FROM sweep_point").fetchone()[0]
        return counts
    except sqlite3.Error:
        return {}
    finally:
        connection.close()


def database_bytes(db_path):
    """(db, wal) file sizes in bytes (0 for a missing file)."""
    def size(path):
        return os.path.getsize(path) if os.path.exists(path) else 0
    return size(db_path), size(db_path + "-wal")


def checkpoint(db_path):
    """PRAGMA wal_checkpoint(TRUNCATE); returns its `busy` flag (1 when a reader or writer blocked it)."""
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        return connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# The two modes

class Checks:
    """Named pass/fail lines for the summary."""

    def __init__(self):
        self.lines = []

    def add(self, name, passed, detail=""):
        self.lines.append((name, bool(passed), detail))

    @property
    def failed(self):
        return [line for line in self.lines if not line[1]]

    def print(self):
        print("\nchecks:")
        for name, passed, detail in self.lines:
            print("  [%s] %s%s" % ("ok" if passed else "FAIL", name, (" — " + detail) if detail else ""))


def wait_for_history(db_path, baseline, expected_runs, expected_points, timeout=5.0):
    """History deltas once they reach the expected numbers (or after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = history_counts(db_path)
        runs = counts.get("completed", 0) - baseline.get("completed", 0)
        points = counts.get("points", 0) - baseline.get("points", 0)
        if (runs, points) == (expected_runs, expected_points) or time.monotonic() > deadline:
            return counts, runs, points
        time.sleep(0.1)


def run_load(args, daemon, model, token_counts, probe, checks):
    print("idle tokenize round trips …", flush=True)
    tokenize_round_trips(probe, 50)  # warm-up
    idle = latency_summary(tokenize_round_trips(probe, 500))
    baseline = history_counts(args.db)

    plans = [plan_requests(random.Random(1000 + k), args.requests, model["vocabSize"]) for k in range(args.clients)]
    tallies = [ClientTally() for _ in plans]
    deadline = time.monotonic() + args.timeout
    sampler, load_probe = RSSSampler(daemon), LoadProbe(probe)
    workers = [threading.Thread(target=run_client, daemon=True,
                                args=(daemon.socket_path, "stress-%d" % k, plan, args.window, deadline,
                                      model, token_counts, tally))
               for k, (plan, tally) in enumerate(zip(plans, tallies))]
    print("load: %d clients × %d requests, window %d …" % (args.clients, args.requests, args.window), flush=True)
    sampler.start()
    started = time.monotonic()
    load_probe.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive() and time.monotonic() < deadline + 10:
            worker.join(timeout=0.5)
    wall = time.monotonic() - started
    load_probe.stop()
    sampler.stop()

    total = ClientTally()
    for tally in tallies:
        total.merge(tally)
    stuck = sum(worker.is_alive() for worker in workers)
    if stuck:
        total.problems.append("%d client threads still waiting at the deadline" % stuck)
    runs_expected = sum(total.computed.values())
    counts, runs, points = wait_for_history(args.db, baseline, runs_expected, total.points_computed)
    under_load = latency_summary(load_probe.times)
    rss = sampler.report()
    sent = sum(len(plan) for plan in plans)

    print("\n== load: %s %s, model %s (nLayer %d, nHead %d), db %s" % (args.attnd, " ".join(args.attnd_arg), model["name"], model["nLayer"],
                                                                    model["nHead"], args.db))
    print("wall time               %.2f s" % wall)
    print("requests                %d sent, %d answered (+ %d initialize/shutdown pairs)"
          % (sent, total.answered, len(plans)))
    for kind, n in sorted(total.by_kind.items()):
        print("  %-34s %d" % (kind, n))
    for (method, code, message), n in sorted(total.unexpected.items(), key=str):
        print("  UNEXPECTED %s %s: %s  × %d" % (method, code, message, n))
    print("analyses computed       %s" % dict(total.computed))
    print("analyses from cache     %s" % dict(total.cached))
    print_rss(rss)
    print_latency("tokenize idle", idle)
    print_latency("tokenize under load", under_load)
    rows = runs + points
    print("history rows written    %d runs completed + %d sweep points = %d rows in %.2f s = %.0f rows/s"
          % (runs, points, rows, wall, rows / wall))
    print("history statuses        %s" % {k: v for k, v in counts.items() if k != "points"})

    checks.add("every request answered exactly once",
               total.answered == sent and not (total.missing or total.duplicates or total.strays or total.problems),
               "%d/%d answered, missing %d, duplicates %d, strays %d%s"
               % (total.answered, sent, total.missing, total.duplicates, total.strays,
                  ("; " + "; ".join(total.problems[:5])) if total.problems else ""))
    checks.add("no unexpected errors", not total.unexpected, "%d" % sum(total.unexpected.values()))
    checks.add("provoked errors answered as documented", not total.wrong_errors, "; ".join(total.wrong_errors[:5]))
    checks.add("results well formed and matching their request", not total.bad_results,
               "; ".join(total.bad_results[:5]))
    checks.add("every computed analysis stored (history.stored)", not total.not_stored, str(dict(total.not_stored)))
    checks.add("history rows = computed answers", (runs, points) == (runs_expected, total.points_computed),
               "runs %d vs %d answers, points %d vs %d" % (runs, runs_expected, points, total.points_computed))
    checks.add("no run left running/failed/cancelled",
               not any(counts.get(s, 0) - baseline.get(s, 0) for s in ("running", "failed", "cancelled", "interrupted")))
    checks.add("RSS stable (second-half growth < 10%)", rss is not None and rss["stable"],
               "growth %.1f%%" % (100 * rss["growth"]) if rss else "no samples")
    checks.add("tokenize idle median < %g ms" % args.max_tokenize_ms,
               idle is not None and idle["median"] < args.max_tokenize_ms,
               "%.3f ms" % idle["median"] if idle else "")
    checks.add("latency probe ran throughout the load", load_probe.error is None and under_load is not None,
               load_probe.error or "")


def make_sweep_texts(probe, count, rng, target_tokens):
    """{text: tokens} for `count` different generated texts of about `target_tokens` tokens
    (cut at a token boundary, then tokenised again)."""
    texts = {}
    for index in range(count):
        words = ["text %d:" % index] + [rng.choice(WORDS) for _ in range(target_tokens)]
        text = " ".join(words)
        offsets = probe.tokenize(text)["offsets"]
        if len(offsets) > target_tokens:
            text = text.encode("utf-8")[:offsets[target_tokens - 1][1]].decode("utf-8")
        texts[text] = len(probe.tokenize(text)["tokens"])
    return texts


def run_sweeps(args, daemon, model, probe, checks):
    rng = random.Random(7)
    target = min(64, model["nPositions"])
    print("building %d texts of ~%d tokens …" % (args.sweeps, target), flush=True)
    token_counts = make_sweep_texts(probe, args.sweeps, rng, target)
    texts = list(token_counts)
    checkpoint(args.db)
    db_start = sum(database_bytes(args.db))
    baseline = history_counts(args.db)
    deadline = time.monotonic() + args.timeout
    sampler = RSSSampler(daemon)
    connection = open_session(daemon.socket_path, "stress-sweeps", deadline)
    tally = ClientTally()
    plan = [Request("pruneSweep", {"text": text, "thresholds": SWEEP_THRESHOLDS, "blockSizes": SWEEP_BLOCK_SIZES,
                                   "force": True}) for text in texts]
    print("sweeps: %d × pruneSweep (%d thresholds × %d block sizes, force) …"
          % (len(plan), len(SWEEP_THRESHOLDS), len(SWEEP_BLOCK_SIZES)), flush=True)
    sampler.start()
    started = time.monotonic()
    try:
        send_plan(connection, plan, args.window, deadline, lambda done, response: tally.record(
            done, response, model, token_counts))
        wall = time.monotonic() - started
        problem = close_session(connection, deadline)
    finally:
        connection.close()
        sampler.stop()
    missing, duplicates, strays = connection.accounting()
    runs_expected = sum(tally.computed.values())
    counts, runs, points = wait_for_history(args.db, baseline, runs_expected, tally.points_computed)
    db_running, wal_running = database_bytes(args.db)
    busy = checkpoint(args.db)
    db_ckpt, wal_ckpt = database_bytes(args.db)
    exit_code = daemon.stop()
    db_final, wal_final = database_bytes(args.db)
    rss = sampler.report()
    total_runs = sum(v for k, v in counts.items() if k != "points")
    tokens = sorted(token_counts.values())

    print("\n== sweeps: %s %s, model %s, db %s" % (args.attnd, " ".join(args.attnd_arg), model["name"], args.db))
    print("pruneSweeps             %d sent, %d answered, %d computed, in %.2f s (%.1f sweeps/s)"
          % (len(plan), tally.answered, runs_expected, wall, len(plan) / wall))
    print("texts                   %d different, %d…%d tokens (median %d)"
          % (len(texts), tokens[0], tokens[-1], statistics.median(tokens)))
    print("history                 %d runs completed (+%d), %d sweep points (+%d)"
          % (counts.get("completed", 0), runs, counts.get("points", 0), points))
    print("db before sweeps        %d bytes (db + wal, checkpointed)" % db_start)
    print("db + wal while running  %d + %d = %d bytes" % (db_running, wal_running, db_running + wal_running))
    print("after checkpoint        %d + %d = %d bytes (PRAGMA wal_checkpoint(TRUNCATE), busy %d)"
          % (db_ckpt, wal_ckpt, db_ckpt + wal_ckpt, busy))
    print("after the daemon exited %d + %d = %d bytes (%.1f MiB)"
          % (db_final, wal_final, db_final + wal_final, (db_final + wal_final) / 2**20))
    per_run = (db_ckpt + wal_ckpt - db_start) / max(runs, 1)
    print("bytes per run           %.0f (growth over the %d new runs; %.0f per sweep point)"
          % (per_run, runs, (db_ckpt + wal_ckpt - db_start) / max(points, 1)))
    print("                        %.0f (whole file / %d runs in it)" % ((db_ckpt + wal_ckpt) / max(total_runs, 1),
                                                                         total_runs))
    print_rss(rss)

    checks.add("every pruneSweep answered exactly once",
               tally.answered == len(plan) and not (missing or duplicates or strays or problem),
               "%d/%d, missing %d, duplicates %d, strays %d %s" % (tally.answered, len(plan), len(missing),
                                                                  len(duplicates), len(strays), problem or ""))
    checks.add("no errors", not tally.unexpected, str(dict(tally.unexpected)))
    checks.add("results well formed (15 points each)", not tally.bad_results, "; ".join(tally.bad_results[:5]))
    checks.add("every sweep stored", not tally.not_stored and (runs, points) == (runs_expected, tally.points_computed),
               "runs %d, points %d" % (runs, points))
    checks.add("checkpoint not blocked", busy == 0)
    checks.add("daemon exited 0 on SIGTERM", exit_code == 0, "exit code %r" % exit_code)


def print_rss(rss):
    if rss is None:
        print("daemon RSS              no samples")
        return
    print("daemon RSS (KiB)        start %d, peak %d, end %d (mid %d; second-half growth %.1f%%; %d samples)"
          % (rss["start"], rss["peak"], rss["end"], rss["mid"], 100 * rss["growth"], rss["samples"]))


def print_latency(label, summary):
    if summary is None:
        print("%-23s no samples" % label)
        return
    print("%-23s median %.3f ms, p95 %.3f ms, max %.3f ms (n = %d)"
          % (label, summary["median"], summary["p95"], summary["max"], summary["n"]))


# ---------------------------------------------------------------------------------------------

def parse_arguments(argv):
    default_attnd = os.path.join(REPO, ".build", "release", "attnd")
    if not os.path.exists(default_attnd):
        default_attnd = os.path.join(REPO, ".build", "debug", "attnd")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attnd", default=default_attnd, help="the daemon binary (default: %(default)s)")
    parser.add_argument("--model", default=os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked"),
                        help="model folder (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent socket clients (16)")
    parser.add_argument("--requests", type=int, default=200, help="requests per client (200)")
    parser.add_argument("--window", type=int, default=2,
                        help="requests each client keeps in flight (2; clients × window stays under the queue limit)")
    parser.add_argument("--db", help="history database (default: a temporary file, removed afterwards)")
    parser.add_argument("--sweeps", type=int, default=0,
                        help="instead of the load, run this many forced pruneSweeps and report the database size")
    parser.add_argument("--attnd-arg", action="append", default=[], metavar="ARG",
                        help="pass ARG on to attnd (repeatable), e.g. --attnd-arg=--cache-budget-bytes=0")
    parser.add_argument("--timeout", type=float, default=900.0, help="bound on the whole run, seconds (900)")
    parser.add_argument("--max-tokenize-ms", type=float, default=1.0,
                        help="the idle tokenize median must be under this, ms (1.0)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.window < 1 or args.sweeps < 0 or args.timeout <= 0:
        parser.error("--clients, --requests and --window must be ≥ 1, --sweeps ≥ 0, --timeout > 0")
    return args


def connect_probe(socket_path):
    """The project's client on its own connection, with every receive bounded by IO_TIMEOUT."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(IO_TIMEOUT)
    sock.connect(socket_path)
    return sa.Client(sa._SocketTransport(sock), client_name="stress-probe")


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_arguments(argv)
    if not os.access(args.attnd, os.X_OK):
        print("stress.py: no attnd at %s (build it: swift build -c release --product attnd)" % args.attnd,
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, raise_interrupt)
    workdir = tempfile.mkdtemp(prefix="attnd-stress-")
    args.attnd = os.path.abspath(args.attnd)
    args.db = os.path.abspath(args.db) if args.db else os.path.join(workdir, "runs.sqlite")
    daemon = Daemon(args.attnd, os.path.abspath(args.model), args.db, workdir, args.attnd_arg)
    checks, probe = Checks(), None
    try:
        daemon.start(timeout=60)
        probe = connect_probe(daemon.socket_path)
        model = probe.model
        print("attnd pid %d, model %s (%s), socket %s" % (daemon.pid, model["name"], model["fingerprint"][:12],
                                                         daemon.socket_path), flush=True)
        if args.sweeps:
            run_sweeps(args, daemon, model, probe, checks)
        else:
            token_counts = {text: len(probe.tokenize(text)["tokens"]) for text in SHORT_TEXTS}
            too_long = [t for t, n in token_counts.items() if not 1 <= n <= model["nPositions"]]
            if too_long:
                raise SetupError("texts outside the model's context: %r" % too_long)
            run_load(args, daemon, model, token_counts, probe, checks)
            checks.add("daemon alive after the load", daemon.alive())
            probe.close()
            probe = None
            exit_code = daemon.stop()
            checks.add("daemon exited 0 on SIGTERM", exit_code == 0, "exit code %r" % exit_code)
    except KeyboardInterrupt:
        print("\nstress.py: interrupted; stopping attnd", file=sys.stderr)
        return 130
    except (SetupError, sa.SelectAttentionError, OSError, RuntimeError) as error:
        print("stress.py: %s" % error, file=sys.stderr)
        return 2
    finally:
        if probe is not None:
            try:
                probe._transport.close()
            except OSError:
                pass
        daemon.stop()
        log = daemon.log_lines()
        if log:
            print("\nattnd log: %d lines (warning or worse); last ones:\n  %s" % (len(log), "\n  ".join(log[-5:])))
        shutil.rmtree(workdir, ignore_errors=True)
    checks.print()
    failed = checks.failed
    print("\n%s: %d of %d checks passed" % ("FAIL" if failed else "PASS", len(checks.lines) - len(failed),
                                           len(checks.lines)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
