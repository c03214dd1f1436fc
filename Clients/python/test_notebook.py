"""Runs the example notebook's code cells against the real daemon (standard library only).

Skipped, with the reason printed, when ATTND does not name a built attnd binary.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOK = os.path.join(HERE, "examples", "sparsity.ipynb")


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
        source = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "notebook.py")
            with open(script, "w") as f:
                f.write(source)
            env = dict(os.environ, XDG_DATA_HOME=tmp)   # keep the user's run history out of it
            r = subprocess.run([sys.executable, script], cwd=os.path.join(HERE, "examples"), env=env,
                               capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("attentionKL", r.stdout + r.stderr)
        # The daemon's INFO logs stay out of the cells (issue 20 item 7): spawn passes --log-level warning.
        self.assertNotIn(" info attnd", r.stdout + r.stderr)
        # Section 3's heatmap is not blank: some position has a non-zero divergence.
        heat = [line for line in r.stdout.splitlines() if line.startswith("layer ") and "|" in line]
        self.assertTrue(heat, r.stdout[-2000:])
        self.assertTrue(any(set(line.split("|")[1]) - {" "} for line in heat), "\n".join(heat))
        # Progress is one updating line (\r), not one line per report.
        self.assertNotIn("\n  8%", r.stderr)


if __name__ == "__main__":
    unittest.main()


def _kernel_available():
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
        import ipykernel  # noqa: F401
        return True
    except ImportError:
        return False


@unittest.skipUnless(os.environ.get("ATTND") and _kernel_available(),
                     "needs ATTND and nbclient + nbformat + ipykernel (.ci/run installs them from PyPI)")
class NotebookKernelTest(unittest.TestCase):
    """The notebook executed by a real Jupyter kernel, as a user runs it."""

    def test_every_cell_runs_in_a_kernel_and_shows_its_tables(self):
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
        code = [c for c in nb.cells if c.cell_type == "code"]
        errors = [o for c in code for o in c.outputs if o.output_type == "error"]
        self.assertEqual(errors, [], errors[:1])

        def text(cell):
            parts = []
            for o in cell.outputs:
                if o.output_type == "stream":
                    parts.append(o.text)
                elif "data" in o and "text/plain" in o.data:
                    parts.append(o.data["text/plain"])
            return "".join(parts)
        everything = "".join(text(c) for c in code)
        self.assertIn("blocks@95%", everything)            # the profile table
        self.assertIn("attnKL", everything)                # the sweep table
        self.assertIn("outputKL", everything)              # the end-to-end table
        self.assertNotIn(" info attnd", everything)        # no daemon logs in the cells
        heat = [line for line in everything.splitlines() if line.startswith("layer ") and "|" in line]
        self.assertTrue(heat and any(set(line.split("|")[1]) - {" "} for line in heat), everything[-2000:])
        # Progress in a kernel is a display updated in place: no stream of "\r 8%" lines.
        self.assertNotIn("\r", everything)

