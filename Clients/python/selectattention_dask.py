"""One `evaluateCorpus` spread over a Dask cluster (`dask.distributed`, optional).

    from distributed import Client as DaskClient
    from selectattention_dask import evaluate_corpus_distributed
    with DaskClient("tcp://scheduler:8786") as dask:
        result = evaluate_corpus_distributed(dask, path="/data/book.txt", model="/models/gpt2",
                                             max_length=1024, stride=512, settings=[{"threshold": 0.002}])

Each worker holds one `attnd --stdio` with the model, started by `AttndWorkerPlugin.setup` and
stopped by its `teardown`. One worker tokenises the corpus (`tokenize`, no window computed), which
gives the plan here; the windows are grouped into tasks of consecutive windows, each one
`evaluateCorpus` request with `windows: {start, end}` (Protocol/README.md §10), all submitted at
once. The windows' sums
are combined here, in window order, with the daemon's own formulas and operation order
(`combine_windows`), so the result equals a single daemon's bit for bit.

What is stored: each worker's daemon stores its range runs and their windows in its own history
(none with the default `--no-history`). With `store=` (a `selectattention.Client` of a daemon with
history and the same model) the merged windows are handed to that daemon (`evaluateCorpus` with
`computedWindows`), which stores the evaluation as one run — the run a single daemon would have
stored, same params and cache key — and its result, with `runId`, is returned.

Threading: `evaluate_corpus_distributed` blocks the calling thread until every task is done; a
worker's daemon serves one task at a time (a lock around its client).
"""

import math
import threading

import selectattention as sa

try:
    from distributed import Client as _DaskClient, WorkerPlugin as _WorkerPlugin, get_worker as _get_worker
except ImportError:  # the module still imports; using it says what to install
    _DaskClient = None
    _WorkerPlugin = object
    _get_worker = None

__all__ = ["AttndWorkerPlugin", "evaluate_corpus_distributed", "combine_windows", "corpus_plan", "student_t975"]

PLUGIN_NAME = "selectattention-attnd"


class AttndWorkerPlugin(_WorkerPlugin):
    """Starts one `attnd --stdio --model MODEL ARGS` per worker (setup) and stops it (teardown).
    `attnd`: the binary on the workers (default: `$ATTND` there, else `attnd` on PATH, else the
    repository's build — `selectattention.find_attnd`). `model`: a folder present on every worker
    (same path), or a HuggingFace cache name."""

    name = PLUGIN_NAME

    def __init__(self, model, attnd=None, args=("--no-history",), log_level="warning"):
        self.model, self.attnd, self.args, self.log_level = model, attnd, tuple(args), log_level
        self.client = None
        self.lock = threading.Lock()

    def setup(self, worker):
        self.client = sa.Client.spawn(attnd=self.attnd, model=self.model, args=self.args, log_level=self.log_level)

    def teardown(self, worker):
        if self.client is not None:
            self.client.close()
            self.client = None

    def __getstate__(self):  # shipped to workers before setup: no client, no lock
        return {"model": self.model, "attnd": self.attnd, "args": self.args, "log_level": self.log_level}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.client = None
        self.lock = threading.Lock()


def _evaluate_range(request, start, end):
    """A task: windows start…end − 1 on this worker's daemon; the result without the corpus."""
    plugin = _get_worker().plugins[PLUGIN_NAME]
    with plugin.lock:
        result = plugin.client.evaluate_corpus(windows=(start, end), **request)
    return dict(result)


def _corpus_size(text, path):
    """A task: (corpus tokens, the model's nPositions) from this worker's daemon. `path` is read
    here as the daemon reads it (strict UTF-8)."""
    plugin = _get_worker().plugins[PLUGIN_NAME]
    if text is None:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    with plugin.lock:
        return len(plugin.client.tokenize(text)["tokens"]), plugin.client.model_info()["nPositions"]


def corpus_plan(num_tokens, max_length, stride):
    """The guide's windows as the daemon plans them (`SlidingWindowPlan`): [{begin, end, targetLength, weight}]."""
    windows, previous_end, begin = [], 0, 0
    while begin < num_tokens:
        end = min(begin + max_length, num_tokens)
        windows.append({"begin": begin, "end": end, "targetLength": end - previous_end, "weight": end - previous_end - 1})
        previous_end = end
        if end == num_tokens:
            break
        begin += stride
    return windows


def _groups(plan, first, windows_per_task):
    """Consecutive ranges [start, end) over windows first…len(plan) − 1, each with a window of
    weight > 0 (the daemon refuses a range that scores no weighted token): a range without one
    joins the range before it. Empty when `first` is past the plan."""
    ranges = []
    for start in range(first, len(plan), windows_per_task):
        end = min(start + windows_per_task, len(plan))
        if ranges and not any(w["weight"] > 0 for w in plan[start:end]):
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def evaluate_corpus_distributed(dask, text=None, *, path=None, model, max_length=None, stride=None, settings=None,
                                per_window=False, force=None, windows_per_task=None, attnd=None,
                                attnd_args=("--no-history",), register_plugin=True, store=None):
    """`evaluateCorpus` over a Dask cluster: the same members as one daemon's result (`maxLength`,
    `stride`, `windows`, `windowsReused`, `tokensScored`, `predictionsScored`, `dense`, `settings`,
    `numTokens`, `model`; `perWindow` with `per_window`) with identical numbers, plus
    `distributed: {tasks, ranges}`; no `runId` unless `store` is given (see the module doc).

    `store`: a `selectattention.Client` whose daemon stores the merged evaluation as one run (it
    needs the model the workers have, and `path` on its machine too, or pass `text`); the result
    is then that daemon's (`runId`, `cached`, `history`, `windowsReused` 0), checked equal to the
    windows' combination here.

    `dask`: a `distributed.Client` or a scheduler address. `path` must exist on every worker.
    `windows_per_task`: default spreads the windows over four tasks per worker. With
    `register_plugin` the workers' daemons are started here (an `AttndWorkerPlugin` with `model`,
    `attnd`, `attnd_args`); pass False when the plugin is registered already."""
    if _DaskClient is None:
        raise ImportError("evaluate_corpus_distributed needs dask.distributed: python3 -m pip install "
                          "-r Clients/python/requirements-dask.txt")
    if (text is None) == (path is None):
        raise ValueError("give exactly one of text and path")
    own = not isinstance(dask, _DaskClient)
    client = _DaskClient(dask) if own else dask
    try:
        if register_plugin:
            client.register_plugin(AttndWorkerPlugin(model, attnd=attnd, args=attnd_args))
        request = {key: value for key, value in dict(text=text, path=path, max_length=max_length, stride=stride,
                                                     settings=settings, force=force).items() if value is not None}
        # The plan from the corpus's token count (one `tokenize` on a worker, no window computed),
        # so every window goes out at once: no window waits for a first one to finish.
        num_tokens, n_positions = client.submit(_corpus_size, text, path, pure=False).result()
        length = max_length or n_positions
        plan = corpus_plan(num_tokens, length, stride or max(1, length // 2))
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = windows_per_task or max(1, math.ceil(len(plan) / (4 * workers)))
        ranges = _groups(plan, 0, size)
        futures = [client.submit(_evaluate_range, request, start, end, pure=False) for start, end in ranges]
        parts = client.gather(futures)
    finally:
        if own:
            client.close()
    head = parts[0]
    if len(plan) != head["windows"] or num_tokens != head["numTokens"]:
        raise RuntimeError(f"plan mismatch: the daemon has {head['windows']} windows of {head['numTokens']} tokens, "
                           f"this client {len(plan)} of {num_tokens}")
    records = [record for part in parts for record in part["perWindow"]]
    for part in parts[1:]:
        if part["model"] != head["model"] or part["numTokens"] != head["numTokens"]:
            raise RuntimeError(f"workers disagree: model {part['model']} / {head['model']}, "
                               f"tokens {part['numTokens']} / {head['numTokens']}; every worker needs the same model")
    for i, (record, planned) in enumerate(zip(records, plan)):
        if record["index"] != i or any(record[key] != planned[key] for key in planned):
            raise RuntimeError(f"window {i}: the workers returned {record}, the plan says {planned}")
    if len(records) != len(plan):
        raise RuntimeError(f"{len(records)} windows returned for a plan of {len(plan)}")
    result = combine_windows(records, [s["setting"] for s in head["settings"]])
    result.update(maxLength=head["maxLength"], stride=head["stride"], windows=len(plan),
                  windowsReused=sum(part["windowsReused"] for part in parts), numTokens=head["numTokens"],
                  model=head["model"], distributed={"tasks": len(parts), "ranges": [list(r) for r in ranges]})
    if per_window:
        result["perWindow"] = records
    if store is None:
        return result
    stored = dict(store.evaluate_corpus(**request, per_window=per_window or None,
                                        computed_windows={"model": head["model"], "windows": records}))
    for key in ["tokensScored", "predictionsScored", "dense", "settings", "numTokens", "model", "windows"]:
        if stored[key] != result[key]:
            raise RuntimeError(f"the storing daemon combined {key} as {stored[key]}, the windows give {result[key]}")
    stored["distributed"] = result["distributed"]
    return stored


def combine_windows(records, settings):
    """The whole evaluation's totals from its windows' records (all of them, in window order), as
    the daemon's `CorpusNLL.summarize` computes them, operation for operation in IEEE double (no
    `sum()`, no `fsum`: left-to-right additions, as Swift's `reduce`): {tokensScored,
    predictionsScored, dense: {nll, perplexity}, settings: [{setting, nll, perplexity, deltaNLL,
    outputKL, top1Agreement, prunedBlockFraction}]}. `settings`: the resolved settings, echoed."""
    scored = [r for r in records if r["weight"] > 0 and r["predictions"] > 0]
    weights = [float(r["weight"]) for r in scored]
    total_weight = _add(weights)
    if total_weight <= 0:
        raise ValueError("windows: none scores a token")
    dense_means = [r["denseNLLSum"] / float(r["predictions"]) for r in scored]
    dense_nll = _weighted_mean(dense_means, weights, total_weight)
    predictions = 0
    for r in records:
        predictions += r["predictions"]
    out = []
    for s, setting in enumerate(settings):
        means = [r["settings"][s]["nllSum"] / float(r["predictions"]) for r in scored]
        nll = _weighted_mean(means, weights, total_weight)
        deltas = [m - d for m, d in zip(means, dense_means)]
        kl = _add(r["settings"][s]["outputKLSum"] for r in records)
        agree = pruned = visible = 0
        for r in records:
            agree += r["settings"][s]["top1Agreements"]
            pruned += r["settings"][s]["prunedBlocks"]
            visible += r["settings"][s]["visibleBlocks"]
        out.append({"setting": setting, "nll": nll, "perplexity": math.exp(nll),
                    "deltaNLL": _delta_interval(deltas, weights, nll - dense_nll),
                    "outputKL": kl / float(predictions) if predictions > 0 else 0.0,
                    "top1Agreement": float(agree) / float(predictions) if predictions > 0 else 1.0,
                    "prunedBlockFraction": float(pruned) / float(visible) if visible > 0 else 0.0})
    tokens = 0
    for r in records:
        tokens += r["weight"]
    return {"tokensScored": tokens, "predictionsScored": predictions,
            "dense": {"nll": dense_nll, "perplexity": math.exp(dense_nll)}, "settings": out}


def _add(values):
    total = 0.0
    for v in values:
        total += v
    return total


def _weighted_mean(values, weights, total):
    acc = 0.0
    for v, w in zip(values, weights):
        acc += v * w
    return acc / total


def _delta_interval(deltas, weights, mean):
    """`CorpusNLL.deltaInterval`: the weighted paired t interval (Protocol/README.md §10)."""
    n = len(deltas)
    if n < 2:
        return {"mean": mean, "lower": None, "upper": None, "n": n}
    total = _add(weights)
    acc = 0.0
    for d, w in zip(deltas, weights):
        acc += w * w * (d - mean) * (d - mean)
    se = math.sqrt(float(n) / float(n - 1) * acc) / total
    half = student_t975(n - 1) * se
    return {"mean": mean, "lower": mean - half, "upper": mean + half, "n": n}


_T975 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
         2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
         2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272]


def student_t975(dof):
    """§12's t(0.975, dof): the table to 30, then the Cornish-Fisher series (`studentT975`)."""
    if dof < 1:
        raise ValueError("degrees of freedom must be >= 1")
    if dof <= len(_T975):
        return _T975[dof - 1]
    z, v = 1.959_963_984_540_054, float(dof)
    z3 = z * z * z
    z5 = z3 * z * z
    z7 = z5 * z * z
    z9 = z7 * z * z
    return (z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
            + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92_160 * v * v * v * v))
