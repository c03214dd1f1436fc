#!/usr/bin/env python3
"""Tests of the result classes, their notebook display and the AsyncClient.

    ATTND=.build/debug/attnd python3 -m unittest discover -s Clients/python -p 'test_*.py'

The conversions are checked on small hand-written results and against the real daemon (the
repository's tiny model) when $ATTND names a built attnd: frames and arrays must hold exactly
the numbers of the raw dicts. Tests needing pandas / NumPy / tqdm skip, saying so, without them.
"""

import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import selectattention as sa  # noqa: E402
import selectattention_display as display  # noqa: E402
import selectattention_results as results  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
TINY_MODEL = os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked")
TOKENS = [84, 104, 101, 32, 113, 117, 105, 99, 107, 32, 98, 114]
LONG_SWEEP = dict(tokens=[(i * 37) % 256 for i in range(128)], thresholds=[0.5 ** (i / 4) for i in range(64)],
                  block_sizes=list(range(1, 33)), end_to_end=True, force=True)  # 2048 passes: the cap


def _installed(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


HAVE_PANDAS, HAVE_NUMPY, HAVE_TQDM = _installed("pandas"), _installed("numpy"), _installed("tqdm")
NEEDS_PANDAS = unittest.skipUnless(HAVE_PANDAS, "pandas not installed (.ci/run installs it): to_frame untested")
NEEDS_NUMPY = unittest.skipUnless(HAVE_NUMPY, "NumPy not installed (.ci/run installs it): to_numpy untested")
NEEDS_DAEMON = unittest.skipUnless(os.environ.get("ATTND"), "set ATTND to a built attnd binary to run the real-daemon tests")

# A two-block-size, two-threshold sweep written by hand (block-size major, as the protocol orders it).
SWEEP = {"points": [
    {"selection": "threshold", "blockSize": 2, "threshold": 0.1, "attentionKL": 0.5, "prunedBlockFraction": 0.25,
     "endToEnd": {"outputKL": 0.01, "nllFull": None}, "layers": [{"layer": 0, "attentionKL": 0.4}, {"layer": 1, "attentionKL": 0.6}]},
    {"selection": "threshold", "blockSize": 2, "threshold": 0.01, "attentionKL": 0.05, "prunedBlockFraction": 0.125,
     "endToEnd": {"outputKL": 0.002, "nllFull": None}, "layers": [{"layer": 0, "attentionKL": 0.04}, {"layer": 1, "attentionKL": 0.06}]},
    {"selection": "threshold", "blockSize": 4, "threshold": 0.1, "attentionKL": 0.3, "prunedBlockFraction": 0.2,
     "endToEnd": {"outputKL": 0.008, "nllFull": None}, "layers": []},
    {"selection": "threshold", "blockSize": 4, "threshold": 0.01, "attentionKL": 0.03, "prunedBlockFraction": 0.1,
     "endToEnd": {"outputKL": 0.001, "nllFull": None}, "layers": []},
], "runId": "r", "cached": False}
PROFILE = {"layers": [{"layer": l, "heads": [
    {"head": h, "entrySparsity": 0.1 * l + 0.01 * h, "coverage": {"p90": 1.0 + h, "p95": 2.0, "p99": 3.0},
     "blocks": [{"threshold": 0.05, "fraction": 0.5 + h, "fractionSeed": 0.7}, {"threshold": 0.5, "fraction": 0.9, "fractionSeed": 0.95}]}
    for h in range(3)]} for l in range(2)]}
PER_POSITION = {"metric": "attentionKL", "layers": [{"layer": 0, "values": [0.0, 0.1, 0.2]}, {"layer": 1, "values": [0.0, 0.3, 0.6]}]}
# A 2-layer, 2-head calibration written by hand: head (1, 0) stays dense.
CALIBRATION = {"budget": {"metric": "outputKL", "value": 0.01, "denseBelowSparsity": 0.1}, "withinBudget": True, "reason": None,
               "heads": [{"layer": l, "head": h, "value": None if (l, h) == (1, 0) else 0.01 * (1 + h),
                          "dense": (l, h) == (1, 0), "denseReason": "notAllocated" if (l, h) == (1, 0) else None,
                          "tileDensity": 1.0 if (l, h) == (1, 0) else 0.25 + 0.25 * h + 0.125 * l,
                          "computedFraction": 0.5, "recall": 1.0 if (l, h) == (1, 0) else 0.9, "attentionKL": 0.0 if (l, h) == (1, 0) else 0.1}
                         for l in range(2) for h in range(2)],
               "perHead": {"estimator": "oracle", "selection": "threshold", "queryBlockSize": 4, "blockSize": 4, "stride": 8,
                           "lastQueries": 64, "sinkTokens": 4, "keepSink": False, "keepLocal": False,
                           "values": [[0.01, 0.02], [None, 0.02]]},
               "denseHeads": 1, "tileDensity": 0.5, "computedFraction": 0.55, "recall": 0.93,
               "check": {"outputKL": 0.008, "top1Agreement": 0.95, "nllFull": 3.1, "nllPruned": 3.12,
                         "perplexityFull": 22.2, "perplexityPruned": 22.6},
               "search": {"method": "globalAllocation", "candidates": [0.01, 0.02], "allocationSteps": 6, "stepsTaken": 3,
                          "prunedPasses": 4, "probes": []},
               "runId": "c", "numTokens": 20, "model": "m", "cached": False, "history": {"stored": True}}


class ResultClassTests(unittest.TestCase):
    """On hand-written results: what the tables hold, with no daemon and no pandas."""

    def test_results_stay_the_dicts_they_wrap(self):
        sweep = results.wrap("pruneSweep", SWEEP)
        self.assertIsInstance(sweep, dict)
        self.assertEqual(sweep, SWEEP)
        self.assertEqual(json.loads(json.dumps(sweep)), SWEEP)
        self.assertEqual(sweep["points"][1]["threshold"], 0.01)
        self.assertIs(results.wrap("tokenize", {"tokens": []}).__class__, dict)
        self.assertIsNone(results.wrap("shutdown", None))

    def test_sweep_rows_flatten_nested_objects_with_dots_and_put_identifiers_first(self):
        columns, rows = results.wrap("pruneSweep", SWEEP).rows()
        self.assertEqual(columns[:3], ["selection", "blockSize", "threshold"])
        self.assertEqual(set(columns), {"selection", "blockSize", "threshold", "attentionKL", "prunedBlockFraction",
                                        "endToEnd.outputKL", "endToEnd.nllFull"})
        self.assertNotIn("layers", columns)
        self.assertEqual([row[columns.index("endToEnd.outputKL")] for row in rows], [0.01, 0.002, 0.008, 0.001])
        self.assertEqual([row[columns.index("endToEnd.nllFull")] for row in rows], [None] * 4)

    def test_sweep_layer_rows_carry_their_point(self):
        columns, rows = results.wrap("pruneSweep", SWEEP).layer_rows()
        self.assertEqual(columns, ["layer", "selection", "blockSize", "threshold", "attentionKL"])
        self.assertEqual(rows, [[0, "threshold", 2, 0.1, 0.4], [1, "threshold", 2, 0.1, 0.6],
                                [0, "threshold", 2, 0.01, 0.04], [1, "threshold", 2, 0.01, 0.06]])

    def test_profile_rows_name_block_columns_by_threshold(self):
        columns, rows = results.wrap("profileAttention", PROFILE).rows()
        self.assertEqual(columns[:2], ["layer", "head"])
        self.assertEqual(len(rows), 6)
        row = dict(zip(columns, rows[4]))   # layer 1, head 1
        self.assertEqual((row["layer"], row["head"], row["coverage.p90"]), (1, 1, 2.0))
        self.assertEqual((row["fraction@0.05"], row["fractionSeed@0.5"]), (1.5, 0.95))
        self.assertAlmostEqual(row["entrySparsity"], 0.11)

    def test_per_position_rows_are_long(self):
        columns, rows = results.wrap("perPositionKL", PER_POSITION).rows()
        self.assertEqual(columns, ["layer", "position", "attentionKL"])
        self.assertEqual(rows[4], [1, 1, 0.3])
        self.assertEqual(len(rows), 6)

    def test_html_has_the_table_and_a_figure_drawn_here(self):
        for method, result in (("pruneSweep", SWEEP), ("profileAttention", PROFILE), ("perPositionKL", PER_POSITION)):
            with self.subTest(method=method):
                page = results.wrap(method, result)._repr_html_()
                self.assertIn("<table", page)
                self.assertIn("<svg", page)
        sweep_svg = display.fallback_svg(results.wrap("pruneSweep", SWEEP))
        self.assertEqual(sweep_svg.count("<polyline"), 2)       # one series per block size
        self.assertEqual(sweep_svg.count("<circle"), 4)         # one marker per point
        heat = display.fallback_svg(results.wrap("perPositionKL", PER_POSITION))
        self.assertEqual(heat.count("<rect x="), 6)             # L × T cells
        self.assertIn("#fde725", heat)                          # the peak (0.6) is viridis' top colour
        self.assertIn("#440154", heat)                          # zeros its bottom

    def test_calibration_rows_are_heads_and_its_figure_greys_the_dense_head(self):
        calibration = results.wrap("calibrate", CALIBRATION)
        self.assertIsInstance(calibration, results.CalibrationResult)
        self.assertEqual(calibration, CALIBRATION)
        self.assertIs(calibration.table, CALIBRATION["perHead"])
        columns, rows = calibration.rows()
        self.assertEqual(columns[:2], ["layer", "head"])
        self.assertEqual([(r[0], r[1]) for r in rows], [(0, 0), (0, 1), (1, 0), (1, 1)])
        dense = dict(zip(columns, rows[2]))
        self.assertEqual((dense["value"], dense["dense"], dense["denseReason"]), (None, True, "notAllocated"))
        svg = display.fallback_svg(calibration)
        self.assertEqual(svg.count("<rect x="), 4)              # L × H cells
        self.assertEqual(svg.count('fill="#d9d9d9"'), 1)        # the dense head, grey
        self.assertIn("#fde725", svg)                           # the densest pruned head (0.625) is viridis' top
        page = calibration._repr_html_()
        self.assertIn("<table", page)
        self.assertIn("notAllocated", page)

    def test_texts_aggregates_are_drawn_from_their_means(self):
        stat = lambda mean: {"mean": mean, "lower": None, "upper": None, "n": 1}  # noqa: E731
        many = {"texts": [], "aggregate": {"points": [
            {"selection": "threshold", "blockSize": 2, "threshold": t, "prunedBlockFraction": stat(f), "attentionKL": stat(k)}
            for t, f, k in ((0.1, 0.5, 0.2), (0.01, 0.25, 0.02))]}}
        sweep = results.wrap("pruneSweep", many)
        columns, rows = sweep.rows()
        self.assertEqual(rows[1][columns.index("attentionKL.mean")], 0.02)
        self.assertIsNone(rows[1][columns.index("attentionKL.lower")])
        svg = display.fallback_svg(sweep)
        self.assertEqual((svg.count("<polyline"), svg.count("<circle")), (1, 2))

    def test_results_pickle_without_their_client(self):
        import pickle
        sweep = results.wrap("pruneSweep", SWEEP, lambda: [])
        sweep.figures = [{"name": "a.svg", "svg": "<svg/>"}]
        copy = pickle.loads(pickle.dumps(sweep))
        self.assertIs(type(copy), results.SweepResult)
        self.assertEqual((copy, copy.figures, copy._figure_source), (SWEEP, sweep.figures, None))

    def test_plain_text_display_is_a_summary_and_the_table_while_repr_stays_the_dicts(self):
        sweep = results.wrap("pruneSweep", SWEEP)
        self.assertEqual(repr(sweep), repr(SWEEP))
        text = display.result_text(sweep).splitlines()
        self.assertEqual(text[0], "SweepResult of pruneSweep: 4 rows; a dict with keys cached, points, runId")
        self.assertEqual(text[1].split()[:3], ["selection", "blockSize", "threshold"])
        self.assertEqual(text[3].split()[:4], ["threshold", "2", "0.01", "0.05"])
        self.assertEqual(len(text), 6)
        long = display.table_text(["q"], [[i] for i in range(25)], max_rows=20).splitlines()
        self.assertEqual((len(long), long[-1]), (22, "… 5 more rows (to_frame() has them all)"))

    def test_html_table_is_escaped_and_bounded(self):
        page = display.table_html(["a<b"], [["<x>"]] * 70, max_rows=60)
        self.assertIn("a&lt;b", page)
        self.assertNotIn("<x>", page)
        self.assertEqual(page.count("<tr>"), 61)
        self.assertIn("10 more rows", page)

    def test_daemon_figures_are_used_when_the_source_gives_them_and_asked_once(self):
        asked = []
        svg = '<?xml version="1.0" encoding="UTF-8"?>\n<svg id="from-daemon"></svg>'
        sweep = results.wrap("pruneSweep", SWEEP, lambda: asked.append(1) or [{"name": "sweep-divergence.svg", "svg": svg}])
        page = sweep._repr_html_()
        sweep._repr_html_()
        self.assertIn('<svg id="from-daemon">', page)
        self.assertNotIn("<?xml", page)
        self.assertNotIn(display.DRAWN_HERE, page)
        self.assertEqual(asked, [1])

    def test_a_failing_figure_source_falls_back_to_the_figure_drawn_here(self):
        def broken():
            raise sa.SelectAttentionError(-32004, "history unavailable")
        page = results.wrap("pruneSweep", SWEEP, broken)._repr_html_()
        self.assertIn(display.DRAWN_HERE, page)
        self.assertIn("<polyline", page)

    @NEEDS_NUMPY
    def test_to_numpy_shapes_follow_the_protocol_order(self):
        import numpy
        sweep = results.wrap("pruneSweep", SWEEP)
        self.assertEqual(sweep.to_numpy().tolist(), [[0.5, 0.05], [0.3, 0.03]])
        self.assertEqual(sweep.to_numpy("endToEnd.outputKL").tolist(), [[0.01, 0.002], [0.008, 0.001]])
        self.assertTrue(numpy.isnan(sweep.to_numpy("endToEnd.nllFull")).all())
        with self.assertRaises(KeyError) as caught:
            sweep.to_numpy("nope")
        self.assertIn("attentionKL", str(caught.exception))
        profile = results.wrap("profileAttention", PROFILE)
        self.assertEqual(profile.to_numpy("coverage.p90").tolist(), [[1, 2, 3], [1, 2, 3]])
        self.assertEqual(profile.to_numpy().shape, (2, 3))
        with self.assertRaises(KeyError):
            profile.to_numpy("attention")
        self.assertEqual(results.wrap("perPositionKL", PER_POSITION).to_numpy().tolist(), [[0.0, 0.1, 0.2], [0.0, 0.3, 0.6]])
        calibration = results.wrap("calibrate", CALIBRATION)
        density = calibration.to_numpy()
        self.assertEqual(density.shape, (2, 2))
        self.assertEqual(density[0].tolist(), [0.25, 0.5])
        self.assertTrue(numpy.isnan(density[1, 0]), "a dense head has no density of its own")
        self.assertEqual(calibration.to_numpy("recall").tolist(), [[0.9, 0.9], [1.0, 0.9]])
        self.assertTrue(numpy.isnan(calibration.to_numpy("value")[1, 0]))
        with self.assertRaises(KeyError):
            calibration.to_numpy("nope")

    @NEEDS_PANDAS
    def test_to_frame_columns_and_values(self):
        frame = results.wrap("pruneSweep", SWEEP).to_frame()
        self.assertEqual(frame.shape, (4, 7))
        self.assertEqual(frame["threshold"].tolist(), [0.1, 0.01, 0.1, 0.01])
        self.assertEqual(results.wrap("pruneSweep", SWEEP).layers_frame()["attentionKL"].tolist(), [0.4, 0.6, 0.04, 0.06])
        heads = results.wrap("calibrate", CALIBRATION).to_frame()
        self.assertEqual(heads.shape[0], 4)
        self.assertEqual(heads["tileDensity"].tolist(), [h["tileDensity"] for h in CALIBRATION["heads"]])
        wide = results.wrap("perPositionKL", PER_POSITION).to_frame(wide=True)
        self.assertEqual(wide.shape, (2, 3))
        self.assertEqual(wide.loc[1, 2], 0.6)


class StandardLibraryOnlyTest(unittest.TestCase):
    """In a fresh interpreter where pandas, NumPy, tqdm, IPython and ipywidgets cannot be imported."""

    SCRIPT = r'''
import importlib.abc, json, os, sys
BLOCKED = {"pandas", "numpy", "tqdm", "IPython", "ipywidgets"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked for the test: " + name)
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import selectattention as sa
from selectattention import AsyncClient, Client, progress_bar
import selectattention_results as results
out = {"loaded": sorted(m for m in BLOCKED if m in sys.modules)}
sweep = results.wrap("pruneSweep", json.loads(sys.argv[2]))
out["columns"] = sweep.rows()[0]
out["html"] = "<table" in sweep._repr_html_() and "<svg" in sweep._repr_html_()
for call in (sweep.to_frame, sweep.to_numpy):
    try:
        call()
    except ImportError as error:
        out.setdefault("errors", []).append(str(error))
out["progress"] = progress_bar().__qualname__
if os.environ.get("ATTND"):
    with Client.spawn(model=sys.argv[3], args=["--no-history"]) as attn:
        live = attn.prune_sweep(tokens=[84, 104, 101, 32, 113], thresholds=[0.01], block_sizes=[2])
        out["live"] = [len(live.rows()[1]), "<table" in live._repr_html_()]
print(json.dumps(out))
'''

    def test_the_client_and_its_results_work_without_the_optional_packages(self):
        run = subprocess.run([sys.executable, "-c", self.SCRIPT, HERE, json.dumps(SWEEP), TINY_MODEL],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        out = json.loads(run.stdout)
        self.assertEqual(out["loaded"], [])
        self.assertEqual(out["columns"][:3], ["selection", "blockSize", "threshold"])
        self.assertTrue(out["html"])
        self.assertEqual(len(out["errors"]), 2)
        self.assertIn("pip install pandas", out["errors"][0])
        self.assertIn("pip install numpy", out["errors"][1])
        self.assertIn("progress_printer", out["progress"])      # no tqdm: the printer's line
        if os.environ.get("ATTND"):
            self.assertEqual(out["live"], [1, True])


@unittest.skipUnless(HAVE_TQDM, "tqdm not installed (.ci/run installs it): the progress bar is untested")
class ProgressBarTest(unittest.TestCase):
    def test_outside_a_kernel_it_is_a_tqdm_text_bar_that_ends_at_100(self):
        stream = io.StringIO()
        old, sys.stderr = sys.stderr, stream
        try:
            show = sa.progress_bar()
            for value in ({"kind": "begin", "title": "pruneSweep", "percentage": 0},
                          {"kind": "report", "percentage": 40, "message": "layer 1/2"}, {"kind": "end"}):
                show(value)
        finally:
            sys.stderr = old
        text = stream.getvalue()
        self.assertIn("pruneSweep:   0%|", text)                # tqdm's bar (it may skip 40%: it rate-limits)
        self.assertIn("pruneSweep: 100%|##########|", text)
        self.assertIn("layer 1/2", text)
        self.assertTrue(text.endswith("\n"), text)               # closed at the end


@NEEDS_DAEMON
class RealDaemonResultTests(unittest.TestCase):
    """Against the real daemon: the conversions hold exactly the numbers it sent."""

    @classmethod
    def setUpClass(cls):
        cls.history = tempfile.TemporaryDirectory()
        cls.client = sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL,
                                     args=["--db", os.path.join(cls.history.name, "runs.sqlite")])
        cls.sweep = cls.client.prune_sweep(tokens=TOKENS, thresholds=[0.01, 0.001, 0.0001], block_sizes=[2, 4],
                                           end_to_end=True, force=True)
        cls.profile = cls.client.profile_attention(tokens=TOKENS, block_size=4, include_attention=True, force=True)
        cls.per_position = cls.client.per_position_kl(tokens=TOKENS, block_size=4, threshold=0.05, force=True)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.history.cleanup()

    def test_results_are_their_classes(self):
        self.assertIsInstance(self.sweep, results.SweepResult)
        self.assertIsInstance(self.profile, results.ProfileResult)
        self.assertIsInstance(self.per_position, results.PerPositionResult)
        self.assertIs(type(self.client.tokenize("a")), dict)

    @NEEDS_PANDAS
    def test_sweep_frame_holds_the_points(self):
        frame = self.sweep.to_frame()
        self.assertEqual(frame.shape[0], len(self.sweep["points"]))
        for i, point in enumerate(self.sweep["points"]):
            for key in ("blockSize", "threshold", "attentionKL", "prunedBlockFraction", "seedKL", "fullyPrunedRows"):
                self.assertEqual(frame[key][i], point[key], key)
            for key, value in point["endToEnd"].items():
                self.assertEqual(frame["endToEnd." + key][i], value, key)
        layers = self.sweep.layers_frame()
        self.assertEqual(layers.shape[0], sum(len(p["layers"]) for p in self.sweep["points"]))
        self.assertEqual(layers["attentionKL"].tolist(), [l["attentionKL"] for p in self.sweep["points"] for l in p["layers"]])

    @NEEDS_PANDAS
    def test_profile_and_per_position_frames(self):
        frame = self.profile.to_frame()
        heads = [(l["layer"], h) for l in self.profile["layers"] for h in l["heads"]]
        self.assertEqual(frame.shape[0], len(heads))
        self.assertEqual(list(zip(frame["layer"], frame["head"])), [(l, h["head"]) for l, h in heads])
        self.assertEqual(frame["coverage.p95"].tolist(), [h["coverage"]["p95"] for _, h in heads])
        self.assertEqual(frame["fraction@0.2"].tolist(), [h["blocks"][2]["fraction"] for _, h in heads])
        for column in ("sinkScore", "localScore", "previousTokenScore", "duplicateTokenScore", "inductionScore",
                       "streamingMass", "streamingHead", "role"):
            self.assertEqual(frame[column].tolist(), [h[column] for _, h in heads], column)
        self.assertEqual(self.profile.roles(), [[h["role"] for h in l["heads"]] for l in self.profile["layers"]])
        self.assertTrue(set(frame["role"]) <= {"induction", "duplicateToken", "previousToken", "sink", "local", "diffuse"})
        long = self.per_position.to_frame()
        self.assertEqual(long.shape, (2 * len(TOKENS), 3))
        self.assertEqual(long["attentionKL"].tolist(), [v for l in self.per_position["layers"] for v in l["values"]])

    @NEEDS_NUMPY
    def test_arrays_equal_the_nested_lists(self):
        kl = self.sweep.to_numpy("attentionKL")
        self.assertEqual(kl.shape, (2, 3))
        self.assertEqual(kl.tolist(), [[p["attentionKL"] for p in self.sweep["points"][i * 3:i * 3 + 3]] for i in range(2)])
        attention = self.profile.to_numpy("attention")
        self.assertEqual(attention.shape, (2, 4, len(TOKENS), len(TOKENS)))
        self.assertEqual(attention.tolist(), self.profile["attention"])
        self.assertEqual(self.profile.to_numpy("sinkMass").tolist(),
                         [[h["sinkMass"] for h in l["heads"]] for l in self.profile["layers"]])
        self.assertEqual(self.per_position.to_numpy().tolist(), [l["values"] for l in self.per_position["layers"]])

    def test_display_shows_the_daemons_figures_of_a_stored_run(self):
        page = self.sweep._repr_html_()
        self.assertIn("<table", page)
        names = [f["name"] for f in self.sweep.figures]
        self.assertIn("sweep-divergence.svg", names)
        self.assertIn("layers-%s.svg" % self.sweep["runId"][:8], names)
        self.assertEqual(page.count("<svg"), len(names))
        self.assertFalse(display.DRAWN_HERE in page, "the daemon's figures, not the one drawn here")
        self.per_position._repr_html_()
        self.assertEqual([f["name"] for f in self.per_position.figures], ["per-position-%s.svg" % self.per_position["runId"][:8]])

    def test_a_stored_runs_result_converts_too(self):
        run = self.client.runs_get(self.sweep["runId"])
        self.assertIsInstance(run["result"], results.SweepResult)
        self.assertEqual(run["result"].rows(), self.sweep.rows())

    def test_a_stored_calibration_applies_by_run_id_and_shows_the_daemons_heatmap(self):
        text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again."
        calibration = self.client.calibrate(text, query_block_size=4, block_size=4, estimator="oracle", max_output_kl=0.01)
        self.assertIsInstance(calibration, results.CalibrationResult)
        self.assertEqual(len(calibration.rows()[1]), 8)
        by_id = self.client.prune_sweep(text, end_to_end=True, per_head=calibration["runId"])
        self.assertEqual(by_id["points"][0]["endToEnd"]["outputKL"], calibration["check"]["outputKL"])
        run = self.client.runs_get(calibration["runId"])
        self.assertIsInstance(run["result"], results.CalibrationResult)
        page = calibration._repr_html_()
        self.assertEqual([f["name"] for f in calibration.figures], ["calibration-%s.svg" % calibration["runId"][:8]])
        self.assertFalse(display.DRAWN_HERE in page, "the daemon's figure, not the one drawn here")

    def test_without_history_the_display_draws_its_own_figure(self):
        with sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"]) as attn:
            sweep = attn.prune_sweep(tokens=TOKENS, thresholds=[0.01, 0.001], block_sizes=[2, 4])
        page = sweep._repr_html_()   # the client is closed by now, too
        self.assertEqual(sweep.figures, [])
        self.assertIn("<table", page)
        self.assertTrue(display.DRAWN_HERE in page)
        self.assertEqual(page.count("<polyline"), 2)


def _comparable(result):
    """A result without the fields that name its run (they differ between two daemons)."""
    return {key: value for key, value in result.items() if key not in ("runId", "cached", "history")}


@NEEDS_DAEMON
class AsyncClientTests(unittest.TestCase):
    def run_async(self, coroutine, timeout=300):
        return asyncio.run(asyncio.wait_for(coroutine, timeout))

    def test_async_calls_give_the_sync_results(self):
        calls = [("prune_sweep", dict(tokens=TOKENS, thresholds=[0.01, 0.001], block_sizes=[2, 4], end_to_end=True)),
                 ("profile_attention", dict(tokens=TOKENS, block_size=4)),
                 ("per_position_kl", dict(tokens=TOKENS, block_size=2, threshold=0.05, segment_size=5)),
                 ("forward", dict(tokens=TOKENS, top_k=2)),
                 ("tokenize", dict(text="The quick brown fox"))]
        with sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"]) as attn:
            expected = [getattr(attn, name)(**kwargs) for name, kwargs in calls]

        async def run():
            async with await sa.AsyncClient.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"]) as attn:
                self.assertEqual(attn.model["nLayer"], 2)
                # All in flight at once on one connection: each response finds its own call.
                return await asyncio.gather(*(getattr(attn, name)(**kwargs) for name, kwargs in calls))
        got = self.run_async(run())
        for (name, _), want, have in zip(calls, expected, got):
            with self.subTest(method=name):
                self.assertIs(type(have), type(want))
                self.assertEqual(_comparable(have), _comparable(want))

    def test_errors_and_progress(self):
        async def run():
            async with await sa.AsyncClient.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"]) as attn:
                values = []
                await attn.prune_sweep(tokens=TOKENS, thresholds=[0.01], block_sizes=[2, 4], progress=values.append)
                with self.assertRaises(sa.SelectAttentionError) as caught:
                    await attn.prune_sweep(tokens=TOKENS, thresholds=[1.5])
                return values, caught.exception
        values, error = self.run_async(run())
        self.assertEqual((values[0]["kind"], values[-1]["kind"]), ("begin", "end"))
        self.assertEqual((error.code, error.data["field"]), (-32602, "thresholds[0]"))

    def test_the_loop_stays_free_and_cancelling_the_task_cancels_the_run(self):
        async def run(history):
            async with await sa.AsyncClient.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL,
                                                  args=["--db", history]) as attn:
                started = asyncio.Event()
                sweep = asyncio.ensure_future(attn.prune_sweep(progress=lambda v: started.set(), **LONG_SWEEP))
                await asyncio.wait_for(started.wait(), 60)
                # While the sweep runs, the event loop and the connection serve other work.
                tick = time.monotonic()
                await asyncio.sleep(0.05)
                slept = time.monotonic() - tick
                pieces = (await attn.tokenize("still here"))["pieces"]
                running = not sweep.done()
                sweep.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await sweep
                # A forward queued after the cancelled sweep runs at once: the daemon stopped it.
                tick = time.monotonic()
                await attn.forward(tokens=TOKENS, force=True)
                after = time.monotonic() - tick
                cancelled = (await attn.runs_list(status="cancelled"))["runs"]
                return slept, pieces, running, after, cancelled
        with tempfile.TemporaryDirectory() as folder:
            slept, pieces, running, after, cancelled = self.run_async(run(os.path.join(folder, "runs.sqlite")))
        self.assertLess(slept, 1.0)
        self.assertEqual("".join(pieces), "still here")
        self.assertTrue(running)
        self.assertLess(after, 30)     # the whole sweep takes minutes on the debug build
        self.assertEqual([r["method"] for r in cancelled], ["pruneSweep"])

    def test_a_closed_daemon_fails_the_waiting_calls(self):
        async def run():
            attn = await sa.AsyncClient.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"])
            call = asyncio.ensure_future(attn.prune_sweep(**LONG_SWEEP))
            await asyncio.sleep(0.2)
            attn._process.kill()
            with self.assertRaises(sa.SelectAttentionError) as caught:
                await call
            await attn.close()
            return caught.exception
        self.assertIn("closed the connection", str(self.run_async(run(), timeout=60)))


if __name__ == "__main__":
    unittest.main()
