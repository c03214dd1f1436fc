"""Runs the example notebook against the real daemon: its code cells as a script (standard library
only), and the notebook itself in a real Jupyter kernel (nbclient + ipykernel).

Skipped, with the reason printed, when ATTND does not name a built attnd binary (or, for the
kernel, when nbclient, nbformat or ipykernel are missing: .ci/run installs them from PyPI).
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOK = os.path.join(HERE, "examples", "sparsity.ipynb")

# Runs code cells in order as IPython does: one namespace, top-level `await` allowed, one event
# loop kept across cells (so a task started in one cell runs on while the next ones do).
CELL_RUNNER = r'''
import ast, asyncio, json, sys
cells = json.load(open(sys.argv[1]))
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
namespace = {"__name__": "__main__"}
for index, source in enumerate(cells):
    code = compile(source, "cell %d" % index, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        loop.run_until_complete(result)
'''


class NotebookTest(unittest.TestCase):
    def test_notebook_is_committed_without_outputs(self):
        with open(NOTEBOOK) as f:
            nb = json.load(f)
        self.assertEqual(nb["nbformat"], 4)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        self.assertTrue(code)
        self.assertTrue(all(not c.get("outputs") and c.get("execution_count") is None for c in code))

    @unittest.skipUnless(os.environ.get("ATTND"), "set ATTND to a built attnd binary to run the notebook")
    def test_notebook_code_runs_against_the_daemon(self):
        with open(NOTEBOOK) as f:
            nb = json.load(f)
        cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "cells.json")
            with open(source, "w") as f:
                json.dump(cells, f)
            env = dict(os.environ, XDG_DATA_HOME=tmp)   # keep the user's run history out of it
            env.pop("MODEL", None)                      # the notebook's own model: Models/kjv-small
            r = subprocess.run([sys.executable, "-c", CELL_RUNNER, source], cwd=os.path.join(HERE, "examples"),
                               env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("outputKL", r.stdout)                 # section 4's recommendation
        # The numbers the notebook's text quotes (kjv-small on Genesis 20:2) are what it computes.
        self.assertIn("B=4: tau=0.02 prunes 14.4% with outputKL 6.47e-04", r.stdout)
        self.assertIn("B=8: tau=0.05 prunes 18.0% with outputKL 5.19e-03", r.stdout)
        self.assertIn("c=1: prunes 29.1% of the visible blocks", r.stdout)
        self.assertIn("c=2: prunes 49.7% of the visible blocks, attentionKL 3.00e-01 nats, dense-fallback rows 130", r.stdout)
        self.assertIn("attentionKL mean", r.stdout)         # section 5
        self.assertIn("started; this cell is done", r.stdout)
        self.assertRegex(r.stdout, r"\n80 points\n")        # section 6: the awaited long sweep (20 × 4)
        # The daemon's INFO logs stay out of the cells (issue 20 item 7): spawn passes --log-level warning.
        self.assertNotIn(" info attnd", r.stdout + r.stderr)
        # Section 3's heatmap is not blank: some position has a non-zero divergence.
        heat = [line for line in r.stdout.splitlines() if line.startswith("layer ") and "|" in line]
        self.assertTrue(heat, r.stdout[-2000:])
        self.assertTrue(any(set(line.split("|")[1]) - {" "} for line in heat), "\n".join(heat))
        # Progress is one updating line (\r), not one line per report.
        self.assertNotIn("\n  8%", r.stderr)


def _installed(*names):
    """True when every module of `names` can be imported (found without importing it)."""
    return all(importlib.util.find_spec(name) is not None for name in names)


@unittest.skipUnless(os.environ.get("ATTND") and _installed("nbclient", "nbformat", "ipykernel"),
                     "needs ATTND and nbclient + nbformat + ipykernel (.ci/run installs them from PyPI)")
class NotebookKernelTest(unittest.TestCase):
    """The notebook executed by a real Jupyter kernel, as a user runs it."""

    @classmethod
    def setUpClass(cls):
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read(NOTEBOOK, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            old = dict(os.environ)
            os.environ["XDG_DATA_HOME"] = tmp
            try:
                NotebookClient(nb, timeout=600, kernel_name="python3",
                               resources={"metadata": {"path": os.path.join(HERE, "examples")}}).execute()
            finally:
                os.environ.clear()
                os.environ.update(old)
        cls.code = [c for c in nb.cells if c.cell_type == "code"]

    def outputs(self, mime):
        """Per code cell, the `mime` data of its outputs joined (display data and results)."""
        def text(data):
            return data if isinstance(data, str) else json.dumps(data)
        return ["".join(text(o.data[mime]) for o in c.outputs if "data" in o and mime in o.data) for c in self.code]

    def streams(self):
        return "".join(o.text for c in self.code for o in c.outputs if o.output_type == "stream")

    def test_no_cell_fails_and_no_daemon_logs_or_carriage_returns(self):
        errors = [o for c in self.code for o in c.outputs if o.output_type == "error"]
        self.assertEqual(errors, [], errors[:1])
        text = self.streams() + "".join(self.outputs("text/plain"))
        self.assertNotIn(" info attnd", text)              # no daemon logs in the cells
        # Progress in a kernel is a widget or a display updated in place: no stream of "\r 8%" lines.
        self.assertNotIn("\r", text)

    def test_results_display_as_tables_and_the_daemons_figures(self):
        html = self.outputs("text/html")
        with_table = [i for i, h in enumerate(html) if "<table" in h]
        with_figure = [i for i, h in enumerate(html) if "<svg" in h]
        # profile, sweep, per-position: each shows a table and a figure drawn by the daemon
        # (history is on), which has no sa-drawn-here class.
        for marker in ("Per-head attention profile", "Sparsity against divergence", "Per-position attentionKL"):
            cells = [i for i, h in enumerate(html) if marker in h]
            self.assertTrue(cells, marker)
            self.assertIn(cells[0], with_table)
            self.assertNotIn("sa-drawn-here", html[cells[0]])
        self.assertGreaterEqual(len(with_figure), 3)
        self.assertTrue(any(figure.count("<svg") >= 1 for figure in html))

    @unittest.skipUnless(_installed("pandas"), "pandas not installed (.ci/run installs it): to_frame cells print rows")
    def test_to_frame_cells_show_dataframes(self):
        html = "".join(self.outputs("text/html"))
        for column in ("coverage.p95", "seedPrunedFraction", "endToEnd.outputKL", "attentionKL.upper"):
            self.assertIn("<th>%s</th>" % column, html)
        self.assertIn('class="dataframe"', html)          # pandas' own table, not ours

    def test_the_async_section_ran(self):
        text = self.streams() + "".join(self.outputs("text/plain"))
        self.assertIn("started; this cell is done", text)
        self.assertIn("80 points", text)
        self.assertIn("meanwhile: other work meanwhile", text)   # the tokenize answered while the sweep ran

    def test_the_per_position_heatmap_is_not_blank(self):
        heat = [line for line in self.streams().splitlines() if line.startswith("layer ") and "|" in line]
        self.assertTrue(heat and any(set(line.split("|")[1]) - {" "} for line in heat), self.streams()[-2000:])

    @unittest.skipUnless(_installed("tqdm") and _installed("ipywidgets"),
                         "tqdm and ipywidgets not installed (.ci/run installs them): no notebook progress bar")
    def test_progress_is_a_notebook_progress_bar(self):
        # The cells with progress=True (section 2's sweep, section 6's task) show a tqdm widget; its
        # later states travel as widget messages, not as outputs.
        widgets = [i for i, w in enumerate(self.outputs("application/vnd.jupyter.widget-view+json")) if w]
        self.assertEqual(len(widgets), 2, widgets)
        sources = ["".join(self.code[i].source) for i in widgets]
        self.assertTrue(all("progress=True" in source for source in sources), sources)


if __name__ == "__main__":
    unittest.main()
