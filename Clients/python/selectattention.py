"""SelectAttention: a dependency-free Python client for the `attnd` daemon.

    from selectattention import Client
    with Client.spawn(model="gpt2") as attn:            # or Client.connect("/run/user/1000/attnd.sock")
        sweep = attn.prune_sweep(text="The quick brown fox jumps over the lazy dog",
                                 thresholds=[0.01, 0.002], block_sizes=[16, 32], end_to_end=True)
        for point in sweep["points"]:
            print(point["blockSize"], point["threshold"], point["prunedBlockFraction"], point["attentionKL"])

Standard library only (Python 3.8+). Results are dicts exactly as the protocol defines them
(Protocol/README.md); the analyses return dict subclasses (selectattention_results) that also
convert with `.to_frame()` / `.to_numpy()` when pandas / NumPy are installed and display as a table
and a figure in Jupyter. Field names stay camelCase; keyword arguments are snake_case and are
mapped to camelCase (`block_sizes` → `blockSizes`). An argument left at None is not sent, so the
daemon's default applies.

- `progress=callable` sends a workDoneToken and calls `callable(value)` with each `$/progress`
  value dict (`{"kind": "begin"|"report"|"end", "percentage"?: int, "message"?: str, ...}`);
  `progress=True` shows `progress_bar()` (a tqdm bar when tqdm is installed).
- Ctrl-C (KeyboardInterrupt) during a call sends `$/cancelRequest`, waits for the daemon's
  -32800 answer, then re-raises KeyboardInterrupt. A second Ctrl-C stops waiting.
- Errors from the daemon raise `SelectAttentionError(code, message, data)`.

A Client serves one call at a time (calls from several threads are serialised by a lock).
`AsyncClient` (selectattention_async) has the same methods as coroutines, several in flight at
once, for asyncio and notebooks: `task = asyncio.ensure_future(attn.prune_sweep(...))` returns at
once and `task.cancel()` cancels the request in the daemon.
"""

import itertools
import json
import os
import socket
import subprocess
import threading
import time
import weakref

import selectattention_results as _results

__all__ = ["Client", "AsyncClient", "SelectAttentionError", "load_npy", "ErrorCode", "find_attnd",
           "progress_printer", "progress_bar"]
__version__ = "1.0.0"
PROTOCOL_VERSION = "1.0"


class ErrorCode:
    """The protocol's error codes (Protocol/README.md §14)."""
    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    SERVER_NOT_INITIALIZED = -32002
    REQUEST_CANCELLED = -32800
    SERVER_BUSY = -32000
    NO_MODEL_LOADED = -32001
    MODEL_LOAD_FAILED = -32003
    HISTORY_UNAVAILABLE = -32004
    RUN_NOT_FOUND = -32005
    EXPORT_FAILED = -32006
    MESSAGE_TOO_LARGE = -32007
    DOWNLOAD_FAILED = -32008
    NON_FINITE_RESULT = -32009


class SelectAttentionError(Exception):
    """An error answered by the daemon (or a broken connection, code None).

    `code` is the JSON-RPC error code, `message` its one-line text, `data` its data object (for
    -32602: {"field", "value", "accepted"}), or None.
    """

    def __init__(self, code, message, data=None):
        self.code = code
        self.message = message
        self.data = data
        detail = message
        if isinstance(data, dict) and "field" in data and "accepted" in data and str(data["accepted"]) not in message:
            detail = "%s (%s: accepted %s)" % (message, data["field"], data["accepted"])
        super().__init__("[%s] %s" % (code, detail) if code is not None else detail)


def load_npy(path):
    """Loads an `.npy` file written by `profile_attention(export_path=...)` (a float32 array of
    shape (L, H, T, T)) or one of `prune_sweep(export_mask=...)`'s int32 BlockMask arrays
    (`<folder>/point-000/kv_indices.npy`, …) with NumPy. Needs NumPy; the client itself does not.
    """
    try:
        import numpy
    except ImportError as error:
        raise ImportError("load_npy needs NumPy (pip install numpy); the selectattention client itself "
                          "needs only the standard library") from error
    return numpy.load(path, allow_pickle=False)


def _camel(name):
    """`block_sizes` → `blockSizes`; `kl` becomes `KL` (`max_output_kl` → `maxOutputKL`)."""
    head, *rest = name.split("_")
    return head + "".join("KL" if part == "kl" else part[:1].upper() + part[1:] for part in rest)


def _params(**arguments):
    """snake_case keyword arguments → camelCase params, dropping those left at None."""
    return {_camel(key): value for key, value in arguments.items() if value is not None}


# ---------------------------------------------------------------------------------------------
# Transports: a byte stream with read(n) → bytes (b"" at end) and write(bytes).

class _PipeTransport:
    def __init__(self, process):
        self.process = process

    def read(self):
        return os.read(self.process.stdout.fileno(), 65536)

    def write(self, data):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def close(self, timeout=5.0):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class _SocketTransport:
    def __init__(self, sock):
        self.sock = sock

    def read(self):
        return self.sock.recv(65536)

    def write(self, data):
        self.sock.sendall(data)

    def close(self, timeout=5.0):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _FrameReader:
    """LSP framing: accumulates bytes and returns one decoded JSON message at a time.

    The buffer is a bytearray grown in place: appending to immutable bytes copied the whole
    buffer per 64 KiB read, which made a 100 MB response (tokenize of 16 MB) quadratic.
    """

    def __init__(self, transport):
        self.transport = transport
        self.buffer = bytearray()

    def next_message(self):
        while True:
            message = self.take()
            if message is not None:
                return message
            chunk = self.transport.read()
            if not chunk:
                raise SelectAttentionError(None, "attnd closed the connection")
            self.feed(chunk)

    def feed(self, chunk):
        """Appends bytes read from the connection (for readers that do their own reading)."""
        self.buffer += chunk

    def take(self):
        """The next complete message, or None until more bytes are fed."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = None
        for line in self.buffer[:end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise SelectAttentionError(None, "attnd sent a frame without Content-Length")
        start = end + 4
        if len(self.buffer) < start + length:
            return None
        body = bytes(self.buffer[start:start + length])
        del self.buffer[:start + length]
        return json.loads(body.decode("utf-8"))


def _frame(message):
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


# ---------------------------------------------------------------------------------------------

class _Methods:
    """The protocol's methods, shared by Client (returns results) and AsyncClient (returns
    awaitables): each builds its params and hands them to `self._invoke(method, params,
    progress, finish)`, which sends the request, wraps an analysis result in its result class
    and applies `finish` to it."""

    def model_info(self):
        """The loaded model: {name, path, fingerprint, nLayer, nHead, nEmbd, nPositions, vocabSize, parameterCount}."""
        return self._invoke("model/info")

    def load_model(self, path=None, name=None, download=None, progress=None):
        """Loads a model folder (`path`) or a HuggingFace cache name (`name`, with `download=True`
        to fetch it when missing). Relative paths are made absolute here. Returns ModelInfo."""
        if path is not None:
            path = os.path.abspath(path)

        def remember(model):
            self.model = model
            return model
        return self._invoke("model/load", _params(path=path, name=name, download=download), progress, remember)

    def tokenize(self, text):
        """{tokens, pieces, offsets} — offsets are [start, end) UTF-8 byte offsets."""
        return self._invoke("tokenize", {"text": text})

    def forward(self, text=None, tokens=None, *, top_k=None, include_logits=None, force=None, progress=None):
        """Next-token predictions: {argmax, top, nll, perplexity, logits?} plus the run fields."""
        return self._invoke("forward", _params(text=text, tokens=tokens, top_k=top_k, include_logits=include_logits,
                                               force=force), progress)

    def profile_attention(self, text=None, tokens=None, texts=None, *, block_size=None, thresholds=None,
                          entry_threshold=None, include_attention=None, query_block_size=None, export_path=None,
                          overwrite=None, local_window=None, induction_seed=None, induction_length=None,
                          streaming_sink_tokens=None, streaming_window=None, streaming_min_mass=None,
                          role_threshold=None, force=None, progress=None):
        """Per layer/head attention statistics. `export_path` (made absolute here) writes the
        (L, H, T, T) attention as .npy; read it back with `load_npy`. `query_block_size` decides the
        `blockMasks` of `include_attention` per (query block × key block) tile.

        Each head also has its role (Protocol/README.md §11, head roles): sinkScore, localScore
        (`local_window`), TransformerLens' previousTokenScore and duplicateTokenScore, inductionScore
        on a repeated random sequence (`induction_seed`, `induction_length`), streamingMass /
        streamingHead (`streaming_sink_tokens`, `streaming_window`, `streaming_min_mass`) and `role`
        (`role_threshold`); `result.roles()` is the (L, H) grid of role names."""
        if export_path is not None:
            export_path = os.path.abspath(export_path)
        return self._invoke("profileAttention", _params(
            text=text, tokens=tokens, texts=texts, block_size=block_size, thresholds=thresholds,
            entry_threshold=entry_threshold, include_attention=include_attention, query_block_size=query_block_size,
            export_path=export_path, overwrite=overwrite, local_window=local_window, induction_seed=induction_seed,
            induction_length=induction_length, streaming_sink_tokens=streaming_sink_tokens,
            streaming_window=streaming_window, streaming_min_mass=streaming_min_mass, role_threshold=role_threshold,
            force=force), progress)

    def prune_sweep(self, text=None, tokens=None, texts=None, *, selection=None, thresholds=None, block_sizes=None,
                    query_block_size=None, estimator=None, stride=None, last_queries=None, sink_tokens=None,
                    keep_sink=None, keep_local=None, end_to_end=None, seed_epsilon=None, max_attention_kl=None,
                    max_output_kl=None, export_mask=None, per_head=None, force=None, progress=None):
        """Every (rule value × block size) point: {points: [...], recommendation?} (or texts/aggregate).

        `selection`: "threshold" (τ), "relativeThreshold" (c: a block is pruned when its max is below
        c / the row's visible keys, so c = 1 is "below uniform" at every position), "coverage", "topK".

        `per_head` applies a per-head configuration instead (see `calibrate`): a calibration run id,
        a `calibrate` result, or a table dict {estimator, selection, blockSize, values, ...}; the sweep
        then has one point with `perHead: True`, and the rule, values, tiles, estimator and keep
        policies come from the table (do not pass them). With `texts` and `end_to_end=True` this is
        the held-out check: `aggregate` holds each metric's mean and 95% interval across texts.

        Tiles (Protocol/README.md §11): `query_block_size` (Bq) and `estimator` ("oracle", "meanPool",
        "antidiagonal", "lastQueries", "quest", "streaming" with selection "window"), with `stride`,
        `last_queries`, `sink_tokens`; tile points add tileDensity, computedFraction, recall, recallP5.
        `export_mask` is a folder to create (made absolute here): each point's kept tiles in
        FlexAttention BlockMask layout, read back with `load_npy` (result member `exportedMask`)."""
        export_path = None
        if export_mask is not None:
            export_path, export_mask = os.path.abspath(export_mask), True
        return self._invoke("pruneSweep", _params(
            text=text, tokens=tokens, texts=texts, selection=selection, thresholds=thresholds, block_sizes=block_sizes,
            query_block_size=query_block_size, estimator=estimator, stride=stride, last_queries=last_queries,
            sink_tokens=sink_tokens, keep_sink=keep_sink, keep_local=keep_local, end_to_end=end_to_end,
            seed_epsilon=seed_epsilon, max_attention_kl=max_attention_kl, max_output_kl=max_output_kl,
            export_mask=export_mask, export_path=export_path, per_head=_per_head(per_head), force=force), progress)

    def per_position_kl(self, text=None, tokens=None, *, selection=None, threshold=None, block_size=None, metric=None,
                        query_block_size=None, estimator=None, stride=None, last_queries=None, sink_tokens=None,
                        keep_sink=None, keep_local=None, seed_epsilon=None, segment_size=None, per_head=None, force=None,
                        progress=None):
        """Per layer and position, the mean over heads of `metric`: {metric, layers: [{layer, values, segments?}]}.
        The tile params are those of `prune_sweep`; each row's value is then that of the tile mask.
        `per_head` (a calibration run id, result or table, as for `prune_sweep`) applies one rule
        value per head instead of `selection`/`threshold`/tiles."""
        return self._invoke("perPositionKL", _params(
            text=text, tokens=tokens, selection=selection, threshold=threshold, block_size=block_size, metric=metric,
            query_block_size=query_block_size, estimator=estimator, stride=stride, last_queries=last_queries,
            sink_tokens=sink_tokens, keep_sink=keep_sink, keep_local=keep_local, seed_epsilon=seed_epsilon,
            segment_size=segment_size, per_head=_per_head(per_head), force=force), progress)

    def calibrate(self, text=None, tokens=None, texts=None, *, max_output_kl=None, max_attention_kl=None, min_recall=None,
                  estimator=None, selection=None, query_block_size=None, block_size=None, stride=None, last_queries=None,
                  sink_tokens=None, keep_sink=None, keep_local=None, dense_below_sparsity=None, values=None, force=None,
                  progress=None):
        """Per-head rule values to an accuracy budget (Protocol/README.md §10 `calibrate`): exactly one
        of `max_output_kl` (nats per position, end to end, a global allocation checked by real pruned
        passes), `max_attention_kl` (nats, per head) or `min_recall` (per head). A head that would skip
        less than `dense_below_sparsity` (daemon default 0.1) of its work stays dense. `values`: the
        candidate rule values (default: a ladder per rule). Calibration inputs: `text`, `tokens` or
        up to 64 `texts`.

        Returns a CalibrationResult: {budget, withinBudget, reason, heads: [{layer, head, value|None,
        dense, denseReason, tileDensity, computedFraction, recall, attentionKL}], perHead (the table),
        denseHeads, tileDensity, computedFraction, recall, check: {outputKL, top1Agreement, nllFull,
        nllPruned, perplexityFull, perplexityPruned}, search} plus the run fields; `to_frame()` has one
        row per head, `to_numpy("tileDensity")` is (L, H) with nan for dense heads. Pass it (or its
        `runId`) as `per_head=` to `prune_sweep(texts=held_out, end_to_end=True)` for the held-out check."""
        return self._invoke("calibrate", _params(
            text=text, tokens=tokens, texts=None if texts is None else list(texts), max_output_kl=max_output_kl,
            max_attention_kl=max_attention_kl, min_recall=min_recall, estimator=estimator, selection=selection,
            query_block_size=query_block_size, block_size=block_size, stride=stride, last_queries=last_queries,
            sink_tokens=sink_tokens, keep_sink=keep_sink, keep_local=keep_local,
            dense_below_sparsity=dense_below_sparsity, values=None if values is None else list(values), force=force),
            progress)

    def evaluate_corpus(self, text=None, *, path=None, max_length=None, stride=None, settings=None, per_window=None,
                        windows=None, computed_windows=None, force=None, progress=None):
        """Sliding-window perplexity (HuggingFace's recipe) of a corpus, dense and per setting:
        {windows, windowsReused, tokensScored, dense: {nll, perplexity}, settings: [...], perWindow?}.
        `settings`: dicts {selection, threshold, blockSize, keepSink, keepLocal} (selection as in
        `prune_sweep`, e.g. {"selection": "relativeThreshold", "threshold": 1}). `path` is read by
        the daemon (absolute). An interrupted evaluation resumes from its first missing window.
        `windows=(start, end)`: only the plan's windows start…end − 1, with their sums in `perWindow`
        (selectattention_dask combines such ranges into the whole evaluation).
        `computed_windows={"model": fingerprint, "windows": [perWindow records of the whole plan]}`:
        windows computed elsewhere, combined and stored by this daemon as one run (no window is
        computed; selectattention_dask's `store=` does this)."""
        return self._invoke("evaluateCorpus", _params(
            text=text, path=path, max_length=max_length, stride=stride,
            settings=None if settings is None else list(settings), per_window=per_window,
            windows=None if windows is None else {"start": int(windows[0]), "end": int(windows[1])},
            computed_windows=computed_windows, force=force),
            progress)

    def runs_list(self, *, method=None, status=None, model=None, since=None, limit=None, before=None):
        """{runs: [...], next?} newest first; pass `next` as `before` for the next page."""
        return self._invoke("runs/list", _params(method=method, status=status, model=model, since=since, limit=limit,
                                                 before=before))

    def runs_get(self, id):
        """A stored run: the RunSummary fields plus params, error and result (in its result class,
        so `attn.runs_get(id)["result"].to_frame()` works)."""
        def wrap_result(run):
            if isinstance(run, dict) and isinstance(run.get("result"), dict):
                run["result"] = _results.wrap(run.get("method"), run["result"])
            return run
        return self._invoke("runs/get", {"id": id}, None, wrap_result)

    def runs_delete(self, id):
        return self._invoke("runs/delete", {"id": id})

    def runs_prune(self, *, older_than=None, keep=None):
        """Deletes runs created before `older_than` (RFC 3339) and/or beyond the newest `keep`: {deleted}."""
        return self._invoke("runs/prune", _params(older_than=older_than, keep=keep))

    def report(self, ids, *, title=None, path=None):
        """The HTML report of completed runs. With `path`, also writes it there. Returns the HTML."""
        def save(result):
            if path is not None:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(result["html"])
            return result["html"]
        return self._invoke("runs/report", _params(ids=list(ids), title=title), None, save)

    def report_figures(self, ids, *, title=None):
        """The report's figures of completed runs, each a standalone SVG document: [{name, svg}]
        (`attn report --format svg`). A name is a plain file name ending `.svg`."""
        return self._invoke("runs/report", _params(ids=list(ids), title=title, format="svg"), None,
                            lambda result: result["figures"])


class Client(_Methods):
    """A connection to attnd. Use `Client.spawn(...)` or `Client.connect(path)`."""

    #: How long to wait for the -32800 answer after Ctrl-C before giving up, seconds.
    cancel_timeout = 10.0

    def __init__(self, transport, model=None, client_name="selectattention.py"):
        self._transport = transport
        self._reader = _FrameReader(transport)
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._stray = {}  # responses that arrived for other ids (should not happen: one call at a time)
        self._closed = False
        try:
            self.server = self._request("initialize", _initialize_params(model, client_name))
            self._notify("initialized", {})
        except BaseException:
            transport.close(timeout=1.0)
            raise
        #: The ModelInfo dict of the loaded model, or None.
        self.model = self.server.get("model")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def spawn(cls, attnd=None, model=None, args=(), stderr=None, log_level="warning"):
        """Starts `attnd --stdio [--model MODEL] ARGS` for this client alone.

        `attnd`: the binary (default: `find_attnd()`). `model` is a model folder or a HuggingFace
        cache name (`gpt2`). The daemon runs in its own session so a terminal's Ctrl-C reaches only
        Python (which cancels the call). `stderr`: where the daemon's logs go (default: inherited);
        `log_level` (default `warning`, so a notebook cell shows no INFO lines) is passed as
        `--log-level` unless `args` name one; None passes nothing.
        """
        process = subprocess.Popen(_spawn_command(attnd, model, args, log_level), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        return cls(_PipeTransport(process))

    @classmethod
    def connect(cls, socket_path, model=None):
        """Connects to `attnd --listen SOCKET_PATH`. With `model`, asks the daemon to load it
        (this replaces the model for every client of that daemon)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(socket_path)
        return cls(_SocketTransport(sock), model=model)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def close(self):
        """Sends shutdown and exit, then closes the connection (and waits for a spawned daemon)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._request("shutdown", None)
            self._notify("exit", None)
        except (SelectAttentionError, OSError):
            pass
        finally:
            self._transport.close()

    # -- the wire ----------------------------------------------------------------------------
    def call(self, method, params=None, progress=None):
        """Sends any request and returns its result. `progress(value)` gets $/progress values."""
        if self._closed:
            raise SelectAttentionError(None, "the client is closed")
        return self._request(method, params, progress_bar() if progress is True else progress)

    def _invoke(self, method, params=None, progress=None, finish=None):
        result = _results.wrap(method, self.call(method, params, progress))
        if isinstance(result, _results.Result):
            result._figure_source = self._figure_source(result)
        return finish(result) if finish is not None else result

    def _figure_source(self, result):
        """A callable fetching the daemon's figures of `result`'s run for its display, or None
        when the run is not stored. It never waits: while another call holds the connection,
        or once the client is closed, it returns none (and the display draws its own)."""
        if not _stored_run(result) or not (self.server.get("capabilities") or {}).get("history"):
            return None
        client, run_id = weakref.ref(self), result["runId"]

        def fetch():
            owner = client()
            if owner is None or owner._closed or not owner._lock.acquire(blocking=False):
                return []
            try:
                return owner.report_figures([run_id])
            finally:
                owner._lock.release()
        return fetch

    def _notify(self, method, params):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._transport.write(_frame(message))

    def _request(self, method, params, progress=None):
        with self._lock:
            ident = next(self._ids)
            message = {"jsonrpc": "2.0", "id": ident, "method": method}
            params = dict(params) if params is not None else None
            token = None
            if progress is not None:
                token = "py-%d" % ident
                params = dict(params or {}, workDoneToken=token)
            if params is not None:
                message["params"] = params
            self._transport.write(_frame(message))
            try:
                response = self._await(ident, token, progress)
            except KeyboardInterrupt:
                self._cancel(ident, token, progress)
                raise
            return self._unwrap(response)

    def _await(self, ident, token, progress):
        while ident not in self._stray:
            message = self._reader.next_message()
            self._dispatch(message, token, progress)
        return self._stray.pop(ident)

    def _dispatch(self, message, token, progress):
        if isinstance(message, list):
            for item in message:
                self._dispatch(item, token, progress)
        elif "id" in message and "method" not in message:
            self._stray[message["id"]] = message
        elif message.get("method") == "$/progress" and progress is not None:
            params = message.get("params") or {}
            if params.get("token") == token:
                progress(params.get("value", {}))

    def _cancel(self, ident, token, progress):
        """After Ctrl-C: ask the daemon to cancel and wait (bounded) for its answer."""
        try:
            self._notify("$/cancelRequest", {"id": ident})
            deadline = time.monotonic() + self.cancel_timeout
            while ident not in self._stray and time.monotonic() < deadline:
                self._dispatch(self._reader.next_message(), token, progress)
            self._stray.pop(ident, None)
        except (KeyboardInterrupt, SelectAttentionError, OSError):
            pass  # a second Ctrl-C or a dead daemon: stop waiting

    @staticmethod
    def _unwrap(response):
        if "error" in response:
            error = response["error"] or {}
            raise SelectAttentionError(error.get("code"), error.get("message", "error"), error.get("data"))
        return response.get("result")

def find_attnd(environ=None):
    """The attnd to spawn: `$ATTND`, else `attnd` on PATH, else this repository's own build
    (`.build/release/attnd`, then `.build/debug/attnd`, two folders above this file). Raises
    FileNotFoundError saying how to get one when there is none."""
    environ = os.environ if environ is None else environ
    if environ.get("ATTND"):
        return environ["ATTND"]
    import shutil
    on_path = shutil.which("attnd", path=environ.get("PATH"))
    if on_path:
        return on_path
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for build in ("release", "debug"):
        candidate = os.path.join(root, ".build", build, "attnd")
        if os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("no attnd found: set ATTND=/path/to/attnd, put attnd on PATH, or build it in the "
                            "repository with `swift build -c release` (then .build/release/attnd is used)")


def _in_kernel():
    """True when running in an IPython kernel (Jupyter), where displays can be updated in place."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def progress_printer(out=None):
    """A `progress=` callable that shows one updating line: a Jupyter display that is updated in
    place when running in an IPython kernel, else `\r` on a terminal (`out`, default stderr)."""
    import sys
    if _in_kernel():
        from IPython.display import display
        handle = display("  0%", display_id=True)

        def show(value):
            text = f"{value.get('percentage', 100):3d}% {value.get('message', '')}"
            handle.update(text)
        return show
    stream = out or sys.stderr

    def show(value):
        end = "\n" if value.get("kind") == "end" else ""
        stream.write(f"\r{value.get('percentage', 100):3d}% {value.get('message', '')}\033[K{end}")
        stream.flush()
    return show


def progress_bar(description=None):
    """A `progress=` callable drawing a tqdm bar (0…100 %, the message beside it): a notebook
    widget in a Jupyter kernel (`tqdm.notebook`, which needs ipywidgets), a text bar on stderr
    elsewhere (what `tqdm.auto` picks). Without tqdm — or in a kernel without ipywidgets, where
    `tqdm.auto` would fall back to `\r` text in the cell — it is `progress_printer()`.
    `description`: the bar's label (default: the begin report's title, e.g. `pruneSweep`).
    `progress=True` on any call uses this. Call it once per request (the bar closes at "end")."""
    try:
        if _in_kernel():
            import ipywidgets  # noqa: F401  (tqdm.notebook draws with it)
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return progress_printer()
    # Made now, not at the first report: in a notebook the widget then shows in the cell that
    # started the call, even when the call runs on as an asyncio task after the cell returns.
    bar = tqdm(total=100, desc=description or "", unit="%", bar_format="{desc}{percentage:3.0f}%|{bar}| {postfix}")

    def show(value):
        if value.get("kind") == "begin" and not description and value.get("title"):
            bar.set_description(value["title"])
        if "percentage" in value:
            bar.update(max(0, value["percentage"] - bar.n))
        if value.get("message"):
            bar.set_postfix_str(value["message"], refresh=False)
        if value.get("kind") == "end":
            bar.update(100 - bar.n)
            bar.close()
    return show


def _spawn_command(attnd, model, args, log_level):
    """The argv of `attnd --stdio [--model MODEL] ARGS [--log-level LEVEL]` (see Client.spawn)."""
    command = [attnd or find_attnd(), "--stdio"]
    if model is not None:
        command += ["--model", os.path.abspath(model) if os.path.isdir(model) else model]
    command += list(args)
    if log_level is not None and "--log-level" not in command:
        command += ["--log-level", log_level]
    return command


def _per_head(spec):
    """The `perHead` param from a calibration run id (str), a `calibrate` result (its `perHead`
    table, sent inline so it needs no run history), a table dict, or {calibrationRunId}; None stays None."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return {"calibrationRunId": spec}
    if isinstance(spec, dict) and isinstance(spec.get("perHead"), dict):
        return dict(spec["perHead"])
    if isinstance(spec, dict) and ("values" in spec or "calibrationRunId" in spec):
        return dict(spec)
    raise TypeError("per_head: give a calibration run id, a calibrate result, or a per-head table dict "
                    "{estimator, selection, blockSize, values, ...}; got %r" % (type(spec).__name__,))


def _initialize_params(model, client_name):
    params = {"clientInfo": {"name": client_name, "version": __version__}}
    if model is not None:
        params["model"] = _model_ref(model)
    return params


def _stored_run(result):
    """True when `result` names a run stored in the daemon's history (so `runs/report` can draw it)."""
    return bool(result.get("runId")) and (result.get("history") or {}).get("stored") is True


def _model_ref(model):
    """A folder → {"path": absolute}; anything else → {"name": model}."""
    if os.path.isdir(model):
        return {"path": os.path.abspath(model)}
    return {"name": model}


def __getattr__(name):
    """`AsyncClient` lives in selectattention_async (which imports this module), loaded on first use."""
    if name == "AsyncClient":
        from selectattention_async import AsyncClient
        return AsyncClient
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
