"""selectattention_dask against the real daemon on Tests/Fixtures/models/tiny-peaked and the corpus
fixture (Tests/Fixtures/reference/corpus/corpus.txt, 789 tokens):

    ATTND=.build/debug/attnd python3 -m unittest discover -s Clients/python -p 'test_dask.py'

`RangeTests` need only $ATTND: window ranges of one evaluation, combined here, equal the whole
evaluation bit for bit. `DaskClusterTests` also need dask.distributed (skipped, saying so,
without it): a LocalCluster of two single-threaded worker processes, each with its own daemon.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import selectattention as sa  # noqa: E402
import selectattention_dask as sd  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
TINY_MODEL = os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked")
CORPUS = os.path.join(REPO, "Tests", "Fixtures", "reference", "corpus", "corpus.txt")
SETTINGS = [{"threshold": 0.05, "blockSize": 4}, {"selection": "topK", "threshold": 2, "blockSize": 8, "keepSink": True}]
# (maxLength, stride): overlapping windows with a short last one; no overlap; an odd stride.
CASES = [(128, 64), (128, 128), (40, 27)]
TOTALS = ["maxLength", "stride", "windows", "tokensScored", "predictionsScored", "dense", "settings", "numTokens"]

try:
    import distributed  # noqa: F401
    HAVE_DASK = True
except ImportError:
    HAVE_DASK = False


def _single(client, max_length, stride):
    return dict(client.evaluate_corpus(path=CORPUS, max_length=max_length, stride=stride, settings=SETTINGS,
                                       per_window=True))


class CombineTests(unittest.TestCase):
    def test_hand_worked_windows(self):
        # Two scored windows (weights 3 and 1) and one that scores nothing; sums chosen so means are exact.
        records = [
            {"index": 0, "weight": 3, "predictions": 3, "denseNLLSum": 6.0,
             "settings": [{"nllSum": 7.5, "outputKLSum": 0.3, "top1Agreements": 2, "prunedBlocks": 3, "visibleBlocks": 8}]},
            {"index": 1, "weight": 1, "predictions": 2, "denseNLLSum": 2.0,
             "settings": [{"nllSum": 3.0, "outputKLSum": 0.1, "top1Agreements": 2, "prunedBlocks": 1, "visibleBlocks": 8}]},
            {"index": 2, "weight": 0, "predictions": 0, "denseNLLSum": 0.0,
             "settings": [{"nllSum": 0.0, "outputKLSum": 0.0, "top1Agreements": 0, "prunedBlocks": 0, "visibleBlocks": 0}]},
        ]
        out = sd.combine_windows(records, ["s"])
        # dense: (2·3 + 1·1)/4 = 1.75; pruned: (2.5·3 + 1.5·1)/4 = 2.25; Δ = 0.5, d = (0.5, 0.5): SE 0.
        self.assertEqual(out["tokensScored"], 4)
        self.assertEqual(out["predictionsScored"], 5)
        self.assertEqual(out["dense"]["nll"], 1.75)
        s = out["settings"][0]
        self.assertEqual(s["nll"], 2.25)
        self.assertEqual(s["deltaNLL"], {"mean": 0.5, "lower": 0.5, "upper": 0.5, "n": 2})
        self.assertAlmostEqual(s["outputKL"], 0.4 / 5, places=15)
        self.assertEqual(s["top1Agreement"], 0.8)
        self.assertEqual(s["prunedBlockFraction"], 0.25)  # (3 + 1 + 0) / (8 + 8 + 0)

    def test_interval_by_hand(self):
        # d = (0, 1), w = (1, 1): mean 0.5, SE² = 2 · (0.25 + 0.25) / 4 = 0.25, t(1) = 12.706205.
        out = sd._delta_interval([0.0, 1.0], [1.0, 1.0], 0.5)
        self.assertAlmostEqual(out["upper"] - 0.5, 12.706205 * 0.5, places=12)
        self.assertEqual(sd.student_t975(1), 12.706205)
        self.assertAlmostEqual(sd.student_t975(1000), 1.962339, places=5)

    def test_plan_as_the_guide(self):
        plan = sd.corpus_plan(10, 4, 3)
        self.assertEqual([(w["begin"], w["end"], w["targetLength"]) for w in plan], [(0, 4, 4), (3, 7, 3), (6, 10, 3)])
        plan = sd.corpus_plan(9, 4, 4)  # last window of one token: weight 0
        self.assertEqual([(w["begin"], w["end"], w["weight"]) for w in plan], [(0, 4, 3), (4, 8, 3), (8, 9, 0)])
        self.assertEqual(sd._groups(plan, 1, 1), [(1, 3)])  # the weightless last window joins its predecessor


@unittest.skipUnless(os.environ.get("ATTND"), "set ATTND to a built attnd binary to run the real-daemon tests")
class RangeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"])

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_ranges_combine_to_the_whole_evaluation_bit_for_bit(self):
        for max_length, stride in CASES:
            with self.subTest(max_length=max_length, stride=stride):
                whole = _single(self.client, max_length, stride)
                n = whole["windows"]
                self.assertGreaterEqual(n, 3)
                cuts = [0, 1, n // 2, n]
                records = []
                for start, end in zip(cuts, cuts[1:]):
                    part = dict(self.client.evaluate_corpus(path=CORPUS, max_length=max_length, stride=stride,
                                                            settings=SETTINGS, windows=(start, end)))
                    self.assertEqual(part["windows"], n)
                    self.assertEqual([r["index"] for r in part["perWindow"]], list(range(start, end)))
                    records += part["perWindow"]
                self.assertEqual(records, whole["perWindow"])
                combined = sd.combine_windows(records, [s["setting"] for s in whole["settings"]])
                for key in ["tokensScored", "predictionsScored", "dense", "settings"]:
                    self.assertEqual(combined[key], whole[key], key)  # ==, not approximately

    def test_range_sums_match_means(self):
        whole = _single(self.client, 40, 27)
        for r in whole["perWindow"]:
            self.assertEqual(r["denseNLL"], r["denseNLLSum"] / r["predictions"])
            for s in r["settings"]:
                self.assertEqual(s["top1Agreement"], s["top1Agreements"] / r["predictions"])

    def test_bad_ranges_name_the_field(self):
        whole = _single(self.client, 128, 64)
        with self.assertRaises(sa.SelectAttentionError) as e:
            self.client.evaluate_corpus(path=CORPUS, max_length=128, stride=64, windows=(0, whole["windows"] + 1))
        self.assertEqual(e.exception.code, -32602)
        self.assertEqual(e.exception.data["field"], "windows.end")
        with self.assertRaises(sa.SelectAttentionError) as e:
            self.client.evaluate_corpus(path=CORPUS, max_length=128, stride=64, windows=(3, 3))
        self.assertEqual(e.exception.data["field"], "windows.end")
        # stride 1: every window after the first has trg_len 1, weight 0.
        with self.assertRaises(sa.SelectAttentionError) as e:
            self.client.evaluate_corpus(path=CORPUS, max_length=2, stride=1, windows=(1, 3))
        self.assertEqual(e.exception.data["field"], "windows")


@unittest.skipUnless(HAVE_DASK, "dask.distributed is not importable: python3 -m pip install -r "
                                "Clients/python/requirements-dask.txt to run the Dask tests")
@unittest.skipUnless(os.environ.get("ATTND"), "set ATTND to a built attnd binary to run the real-daemon tests")
class DaskClusterTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from distributed import Client as DaskClient, LocalCluster
        # Worker processes import the modules by name (Dask pickles functions by reference).
        os.environ["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        cls.dask = DaskClient(cls.cluster)
        cls.dask.register_plugin(sd.AttndWorkerPlugin(TINY_MODEL, attnd=os.path.abspath(os.environ["ATTND"])))
        cls.single = sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"])

    @classmethod
    def tearDownClass(cls):
        cls.single.close()
        cls.dask.close()
        cls.cluster.close()

    def test_two_workers_give_a_single_daemons_numbers(self):
        for max_length, stride in CASES:
            with self.subTest(max_length=max_length, stride=stride):
                whole = _single(self.single, max_length, stride)
                got = sd.evaluate_corpus_distributed(self.dask, path=CORPUS, model=TINY_MODEL, max_length=max_length,
                                                     stride=stride, settings=SETTINGS, per_window=True,
                                                     windows_per_task=2, register_plugin=False)
                for key in TOTALS + ["perWindow", "model"]:
                    self.assertEqual(got[key], whole[key], key)
                self.assertGreater(got["distributed"]["tasks"], 2)

    def test_stored_as_one_run_equal_to_a_single_daemons(self):
        import tempfile
        with tempfile.TemporaryDirectory() as folder:
            def daemon(name):
                return sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL,
                                       args=["--db", os.path.join(folder, name)])
            with daemon("single.sqlite") as single, daemon("store.sqlite") as store:
                computed = single.evaluate_corpus(path=CORPUS, max_length=40, stride=27, settings=SETTINGS)
                got = sd.evaluate_corpus_distributed(self.dask, path=CORPUS, model=TINY_MODEL, max_length=40, stride=27,
                                                     settings=SETTINGS, windows_per_task=3, register_plugin=False,
                                                     store=store)
                self.assertGreater(got["distributed"]["tasks"], 2)
                self.assertEqual(got["history"], {"stored": True})
                want = dict(single.runs_get(computed["runId"])["result"])
                have = dict(store.runs_get(got["runId"])["result"])
                self.assertNotEqual(have.pop("runId"), want.pop("runId"))
                self.assertEqual(have, want)  # every number ==
                self.assertEqual(store.runs_get(got["runId"])["params"], single.runs_get(computed["runId"])["params"])
                self.assertEqual([r["id"] for r in store.runs_list(method="evaluateCorpus")["runs"]], [got["runId"]])
                again = store.evaluate_corpus(path=CORPUS, max_length=40, stride=27, settings=SETTINGS)
                self.assertEqual((again["cached"], again["runId"]), (True, got["runId"]))

    def test_both_workers_hold_a_daemon(self):
        def pid(dask_worker):
            return dask_worker.plugins[sd.PLUGIN_NAME].client._transport.process.pid
        pids = self.dask.run(pid)
        self.assertEqual(len(set(pids.values())), 2, pids)


if __name__ == "__main__":
    unittest.main()
