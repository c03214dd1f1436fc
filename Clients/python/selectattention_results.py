"""Result classes of the selectattention client: the protocol's dicts, plus table conversions.

Each analysis result is a `dict` subclass holding exactly what the daemon sent (so `result["points"]`,
`json.dumps(result)` and `==` against a dict work as before), with:

- `rows()` → (columns, rows): the result's main table as plain lists (standard library only);
- `to_frame()` → a pandas DataFrame of that table (needs pandas);
- `to_numpy(...)` → a NumPy array of one metric in its natural shape (needs NumPy);
- `_repr_html_()` → the table and a figure, for Jupyter (see selectattention_display).

Table columns are the protocol's field names; a nested object's fields are joined with a dot, as
`pandas.json_normalize` does (`endToEnd.outputKL`, `coverage.p95`, and for `texts` aggregates the
Stats `attentionKL.mean`, `attentionKL.lower`, …). Lists inside a row (per-layer values) are left
out of the main table and have their own (`SweepResult.layer_rows`). Nothing here does I/O.
"""

__all__ = ["Result", "SweepResult", "ProfileResult", "PerPositionResult", "CalibrationResult", "wrap"]


def _need(module):
    """Imports pandas or numpy, or raises ImportError saying the client itself does not need it."""
    try:
        return __import__(module)
    except ImportError as error:
        raise ImportError("this conversion needs %s (pip install %s); the selectattention client itself "
                          "needs only the standard library" % (module, module)) from error


def flatten(record, prefix=""):
    """One table row from a protocol object: scalars kept, nested objects joined with dots
    (`{"endToEnd": {"outputKL": x}}` → `{"endToEnd.outputKL": x}`), lists left out."""
    row = {}
    for key, value in record.items():
        name = prefix + key
        if isinstance(value, dict):
            row.update(flatten(value, name + "."))
        elif not isinstance(value, list):
            row[name] = value
    return row


#: Identifying columns, put first in this order when present; the metrics follow as the daemon
#: sent them (its keys are sorted).
LEADING_COLUMNS = ("text", "layer", "head", "position", "selection", "blockSize", "threshold")


def _table(records):
    """(columns, rows) from flat dicts: the identifying columns first, then the others in
    first-seen order; a missing field is None."""
    columns = []
    for record in records:
        columns += [key for key in LEADING_COLUMNS if key in record and key not in columns]
    for record in records:
        columns += [key for key in record if key not in columns]
    return columns, [[record.get(key) for key in columns] for record in records]


class Result(dict):
    """A method's result (the protocol's dict, unchanged) with table conversions.

    `figures` is a list of (name, svg) drawn by the daemon's `runs/report` (empty until they are
    fetched); `_figure_source`, when set, is a callable returning them, asked once by the display.
    """

    method = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = []
        self._figure_source = None

    def __reduce__(self):
        # Pickles as its dict and figures: the figure source (a closure on the client) is left out.
        return (self.__class__, (dict(self),), {"figures": self.figures, "_figure_source": None})

    def records(self):
        """The main table's rows as flat dicts (override)."""
        return []

    def rows(self):
        """(columns, rows) of the main table, as plain lists."""
        return _table(self.records())

    def to_frame(self):
        """The main table as a pandas DataFrame, one row per record, columns as in `rows()`."""
        pandas = _need("pandas")
        columns, rows = self.rows()
        return pandas.DataFrame(rows, columns=columns)

    def _repr_html_(self):
        from selectattention_display import result_html
        return result_html(self)

    def _repr_pretty_(self, printer, cycle):
        """IPython's plain display: a summary line and the table (`repr()` stays the dict's)."""
        from selectattention_display import result_text
        printer.text(dict.__repr__(self) if cycle else result_text(self))


class SweepResult(Result):
    """`pruneSweep`: one row per point (block-size major), or per aggregate point with `texts`."""

    method = "pruneSweep"

    def points(self):
        """The points: `points`, or with `texts` the aggregate's points (metrics are Stats)."""
        if "points" in self:
            return self["points"]
        return (self.get("aggregate") or {}).get("points", [])

    def records(self):
        return [flatten(point) for point in self.points()]

    def layer_rows(self):
        """(columns, rows): one row per (point, layer) with the point's blockSize, threshold and
        selection beside the layer's fields. Empty for a `texts` result (no per-layer breakdown)."""
        records = []
        for point in self.get("points", []):
            for layer in point.get("layers", []):
                record = {key: point[key] for key in ("selection", "blockSize", "threshold") if key in point}
                record.update(flatten(layer))
                records.append(record)
        return _table(records)

    def layers_frame(self):
        """`layer_rows()` as a pandas DataFrame."""
        pandas = _need("pandas")
        columns, rows = self.layer_rows()
        return pandas.DataFrame(rows, columns=columns)

    def to_numpy(self, metric="attentionKL"):
        """`metric` (a column of `rows()`, e.g. `prunedBlockFraction`, `endToEnd.outputKL`,
        `attentionKL.mean`) as a float array of shape (len(blockSizes), len(thresholds)):
        [i, j] is block size i and rule value j in the order they were asked for. None → nan."""
        numpy = _need("numpy")
        records = self.records()
        sizes, values = [], []
        for record in records:
            if record.get("blockSize") not in sizes:
                sizes.append(record.get("blockSize"))
        for record in records:
            if metric not in record:
                raise KeyError("no column %r in this sweep (columns: %s)" % (metric, ", ".join(self.rows()[0])))
            values.append(numpy.nan if record[metric] is None else record[metric])
        return numpy.array(values, dtype=float).reshape(len(sizes), -1) if sizes else numpy.zeros((0, 0))


class ProfileResult(Result):
    """`profileAttention`: one row per (layer, head), layer-major (with `texts`: the aggregate's heads).

    Each `blocks` entry becomes two columns named for its threshold, `fraction@0.05` and
    `fractionSeed@0.05`."""

    method = "profileAttention"

    def heads(self):
        """[(layer, head dict)], layer-major."""
        if "layers" in self:
            return [(layer["layer"], head) for layer in self["layers"] for head in layer["heads"]]
        return [(head["layer"], head) for head in (self.get("aggregate") or {}).get("heads", [])]

    def records(self):
        records = []
        for layer, head in self.heads():
            record = {"layer": layer}
            record.update(flatten(head))
            for block in head.get("blocks", []):
                for key, value in flatten(block).items():
                    if key != "threshold":
                        record["%s@%g" % (key, block["threshold"])] = value
            records.append(record)
        return records

    def roles(self):
        """The head roles as a list of L lists of H role names (`role`), layer-major."""
        grid = {}
        for layer, head in self.heads():
            grid.setdefault(layer, []).append(head.get("role"))
        return [grid[layer] for layer in sorted(grid)]

    def to_numpy(self, field="entrySparsity"):
        """`field` per head as an array of shape (L, H) (float; `role` gives strings, `streamingHead`
        booleans as 0/1); `field="attention"` gives the
        (L, H, T, T) probabilities of `includeAttention: true`."""
        numpy = _need("numpy")
        if field == "attention":
            if "attention" not in self:
                raise KeyError("this profile has no attention: ask with include_attention=True")
            return numpy.array(self["attention"], dtype=float)
        grid = {}
        for record in self.records():
            if field not in record:
                raise KeyError("no column %r in this profile (columns: %s)" % (field, ", ".join(self.rows()[0])))
            grid.setdefault(record["layer"], []).append(record[field])
        return numpy.array([grid[layer] for layer in sorted(grid)], dtype=object if field == "role" else float)


class PerPositionResult(Result):
    """`perPositionKL`: one row per (layer, position) with the value; `to_numpy()` is (L, T)."""

    method = "perPositionKL"

    def records(self):
        return [{"layer": layer["layer"], "position": q, self.get("metric", "value"): value}
                for layer in self.get("layers", []) for q, value in enumerate(layer["values"])]

    def to_frame(self, wide=False):
        """The long table (layer, position, metric); with `wide=True` the (L, T) matrix as a
        DataFrame indexed by layer with one column per position."""
        if not wide:
            return super().to_frame()
        pandas = _need("pandas")
        layers = self.get("layers", [])
        return pandas.DataFrame([layer["values"] for layer in layers],
                                index=pandas.Index([layer["layer"] for layer in layers], name="layer"))

    def to_numpy(self):
        """The values as a float array of shape (L, T): [l, q] = the metric of row q in layer l."""
        numpy = _need("numpy")
        return numpy.array([layer["values"] for layer in self.get("layers", [])], dtype=float)


class CalibrationResult(Result):
    """`calibrate`: one row per (layer, head), layer-major — its chosen rule `value` (None when the
    head stays `dense`, with `denseReason`), `tileDensity`, `computedFraction`, `recall`, `attentionKL`.

    `table` is the per-head configuration (`perHead`) to pass as `per_head=` to `prune_sweep` and
    `per_position_kl`; the overall numbers and the end-to-end `check` are the dict's own keys."""

    method = "calibrate"

    @property
    def table(self):
        """The per-head table {estimator, selection, queryBlockSize, blockSize, ..., values: [L][H]}."""
        return self.get("perHead")

    def records(self):
        return [flatten(head) for head in self.get("heads", [])]

    def to_numpy(self, field="tileDensity"):
        """`field` per head as a float array of shape (L, H): `value`, `tileDensity`,
        `computedFraction`, `recall` or `attentionKL`. Dense heads are nan except for `recall` and
        `attentionKL` (a dense head keeps everything: 1 and 0), so a heatmap shows them apart."""
        numpy = _need("numpy")
        heads = self.get("heads", [])
        if heads and field not in heads[0]:
            raise KeyError("no field %r per head (fields: %s)" % (field, ", ".join(heads[0])))
        layers = 1 + max((h["layer"] for h in heads), default=-1)
        count = 1 + max((h["head"] for h in heads), default=-1)
        grid = numpy.full((layers, count), numpy.nan)
        for h in heads:
            value = h.get(field)
            if value is not None and not isinstance(value, bool) and (not h.get("dense") or field in ("recall", "attentionKL")):
                grid[h["layer"], h["head"]] = value
        return grid


_CLASSES = {cls.method: cls for cls in (SweepResult, ProfileResult, PerPositionResult, CalibrationResult)}


def wrap(method, result, figure_source=None):
    """The result class of `method` around `result` (other methods' results and non-dicts are
    returned unchanged). `figure_source`: a callable returning the daemon's (name, svg) figures."""
    cls = _CLASSES.get(method)
    if cls is None or not isinstance(result, dict):
        return result
    wrapped = cls(result)
    wrapped._figure_source = figure_source
    return wrapped
