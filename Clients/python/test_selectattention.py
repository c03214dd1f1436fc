#!/usr/bin/env python3
"""Tests of the Python client (standard library only).

    python3 -m unittest discover -s Clients/python -p 'test_*.py'
    ATTND=.build/debug/attnd python3 -m unittest discover -s Clients/python -p 'test_*.py'

Unit behaviour is tested against a small scripted fake server (below); the RealDaemonTests run
against a built attnd with the repository's tiny model when $ATTND names the binary.
"""

import json
import math
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import selectattention as sa  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
TINY_MODEL = os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked")
MODEL = {"name": "tiny", "path": "/m/tiny", "fingerprint": "ab12", "nLayer": 2, "nHead": 4, "nEmbd": 32,
         "nPositions": 128, "vocabSize": 512, "parameterCount": 45952}
SLOW_TOKENS = [999]  # the fake holds a forward on these tokens until it is cancelled


# ---------------------------------------------------------------------------------------------
# The scripted fake server: enough protocol to exercise the client, nothing more.

def fake_serve(read, write, log):
    """Serves one connection. `read()` → bytes (b"" at end); `write(bytes)`; appends every
    received message to `log`."""
    reader = sa._FrameReader(type("T", (), {"read": staticmethod(read)})())
    held = None  # id of the slow request waiting for its cancel

    def send(message):
        write(sa._frame(message))

    while True:
        try:
            message = reader.next_message()
        except sa.SelectAttentionError:
            return
        log.append(message)
        method, params, ident = message.get("method"), message.get("params") or {}, message.get("id")
        result = None
        if method == "exit":
            return
        if method == "$/cancelRequest":
            if params.get("id") == held:
                send({"jsonrpc": "2.0", "id": held, "error": {"code": -32800, "message": "cancelled", "data": {"reason": "cancelRequest"}}})
                held = None
            continue
        if ident is None:
            continue
        if method == "initialize":
            result = {"serverInfo": {"name": "attnd", "version": "0"}, "protocolVersion": "1.0",
                      "capabilities": {"methods": []}, "model": MODEL}
        elif method == "shutdown":
            result = None
        elif method == "tokenize":
            result = {"tokens": [1], "pieces": [params["text"]], "offsets": [[0, len(params["text"].encode())]]}
        elif method == "forward" and params.get("tokens") == SLOW_TOKENS:
            held = ident
            continue
        elif method == "forward" and any(t >= 512 for t in params.get("tokens", [])):
            send({"jsonrpc": "2.0", "id": ident, "error": {"code": -32602, "message": "tokens[0] is out of range",
                                                           "data": {"field": "tokens[0]", "value": params["tokens"][0], "accepted": "an integer in 0…511"}}})
            continue
        elif "workDoneToken" in params:
            token = params["workDoneToken"]
            send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": "someone-else", "value": {"kind": "begin", "title": "x"}}})
            for value in ({"kind": "begin", "title": method, "percentage": 0}, {"kind": "report", "percentage": 50}, {"kind": "end"}):
                send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": token, "value": value}})
            result = {"echo": params}
        else:
            result = {"echo": params, "method": method}
        send({"jsonrpc": "2.0", "id": ident, "result": result})


class FakeSocketServer:
    """fake_serve on a Unix socket in a temporary folder, one thread per connection."""

    def __init__(self):
        self.folder = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.folder.name, "attnd.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.log = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            fake_serve(lambda: connection.recv(65536), connection.sendall, self.log)

    def close(self):
        self.listener.close()
        self.thread.join(timeout=5)
        self.folder.cleanup()


class FakeServerTests(unittest.TestCase):
    def setUp(self):
        self.server = FakeSocketServer()
        self.addCleanup(self.server.close)
        self.client = sa.Client.connect(self.server.path)
        self.addCleanup(self.client.close)

    def sent(self, method):
        return [m for m in self.server.log if m.get("method") == method]

    def test_connect_initializes_and_close_shuts_down(self):
        self.assertEqual(self.client.model["nLayer"], 2)
        self.client.close()
        self.server.thread.join(timeout=5)
        self.assertEqual([m["method"] for m in self.server.log], ["initialize", "initialized", "shutdown", "exit"])
        self.assertEqual(self.server.log[0]["params"]["clientInfo"]["name"], "selectattention.py")

    def test_keyword_arguments_become_camel_case_and_none_is_not_sent(self):
        result = self.client.prune_sweep(text="a b", thresholds=[0.01], block_sizes=[16], keep_sink=True,
                                         end_to_end=True, max_output_kl=0.01, seed_epsilon=None)
        self.assertEqual(result["method"], "pruneSweep")
        self.assertEqual(result["echo"], {"text": "a b", "thresholds": [0.01], "blockSizes": [16], "keepSink": True,
                                          "endToEnd": True, "maxOutputKL": 0.01})

    def test_tile_params_and_export_mask_pass_through(self):
        result = self.client.prune_sweep(tokens=[1, 2], query_block_size=4, estimator="antidiagonal", stride=2,
                                         last_queries=None, sink_tokens=None, export_mask="masks")
        self.assertEqual(result["echo"], {"tokens": [1, 2], "queryBlockSize": 4, "estimator": "antidiagonal", "stride": 2,
                                          "exportMask": True, "exportPath": os.path.abspath("masks")})
        result = self.client.prune_sweep(tokens=[1], estimator="streaming", selection="window", thresholds=[16],
                                         sink_tokens=0, last_queries=8)
        self.assertEqual(result["echo"], {"tokens": [1], "estimator": "streaming", "selection": "window", "thresholds": [16],
                                          "sinkTokens": 0, "lastQueries": 8})

    def test_calibrate_params_and_per_head_forms(self):
        result = self.client.calibrate(texts=("a", "b"), max_output_kl=0.01, query_block_size=4, block_size=4,
                                       dense_below_sparsity=0.2, values=(0.01, 0.001), keep_sink=True)
        self.assertEqual(result["method"], "calibrate")
        self.assertEqual(result["echo"], {"texts": ["a", "b"], "maxOutputKL": 0.01, "queryBlockSize": 4, "blockSize": 4,
                                          "denseBelowSparsity": 0.2, "values": [0.01, 0.001], "keepSink": True})
        table = {"estimator": "oracle", "selection": "threshold", "blockSize": 4, "values": [[0.01, None]]}
        calibration = sa._results.wrap("calibrate", {"runId": "r1", "perHead": table, "heads": []})
        for given, sent in (("r1", {"calibrationRunId": "r1"}), (calibration, table), (table, table),
                            ({"calibrationRunId": "r2"}, {"calibrationRunId": "r2"})):
            with self.subTest(given=given):
                self.assertEqual(self.client.prune_sweep(text="x", per_head=given, end_to_end=True)["echo"],
                                 {"text": "x", "perHead": sent, "endToEnd": True})
                self.assertEqual(self.client.per_position_kl(text="x", per_head=given)["echo"], {"text": "x", "perHead": sent})
        with self.assertRaises(TypeError):
            self.client.prune_sweep(text="x", per_head=5)

    def test_each_method_name(self):
        calls = [
            (lambda: self.client.model_info(), "model/info"),
            (lambda: self.client.forward(tokens=[1, 2], top_k=3, include_logits=True), "forward"),
            (lambda: self.client.profile_attention(text="x", block_size=4, entry_threshold=0.1), "profileAttention"),
            (lambda: self.client.per_position_kl(text="x", segment_size=25, metric="seedKL"), "perPositionKL"),
            (lambda: self.client.runs_list(limit=5, before="r"), "runs/list"),
            (lambda: self.client.runs_get("r"), "runs/get"),
            (lambda: self.client.runs_delete("r"), "runs/delete"),
            (lambda: self.client.runs_prune(older_than="2025-01-01T00:00:00Z", keep=10), "runs/prune"),
            (lambda: self.client.load_model(name="gpt2", download=True), "model/load"),
        ]
        for call, method in calls:
            with self.subTest(method=method):
                self.assertEqual(call()["method"], method)
        self.assertEqual(self.sent("forward")[-1]["params"], {"tokens": [1, 2], "topK": 3, "includeLogits": True})
        self.assertEqual(self.sent("profileAttention")[-1]["params"], {"text": "x", "blockSize": 4, "entryThreshold": 0.1})
        self.assertEqual(self.sent("runs/prune")[-1]["params"], {"olderThan": "2025-01-01T00:00:00Z", "keep": 10})

    def test_paths_are_made_absolute(self):
        self.client.load_model(path="relative/model")
        self.assertEqual(self.sent("model/load")[-1]["params"], {"path": os.path.abspath("relative/model")})
        self.client.profile_attention(tokens=[1], export_path="out.npy")
        self.assertEqual(self.sent("profileAttention")[-1]["params"]["exportPath"], os.path.abspath("out.npy"))

    def test_errors_raise_with_code_and_data(self):
        with self.assertRaises(sa.SelectAttentionError) as caught:
            self.client.forward(tokens=[600])
        self.assertEqual(caught.exception.code, sa.ErrorCode.INVALID_PARAMS)
        self.assertEqual(caught.exception.data["field"], "tokens[0]")
        self.assertIn("0…511", str(caught.exception))
        self.assertEqual(self.client.tokenize("still works")["pieces"], ["still works"])

    def test_progress_callback_gets_only_its_own_token(self):
        values = []
        result = self.client.prune_sweep(text="x", progress=values.append)
        self.assertEqual([v["kind"] for v in values], ["begin", "report", "end"])
        self.assertEqual(values[1]["percentage"], 50)
        self.assertTrue(result["echo"]["workDoneToken"].startswith("py-"))

    def test_keyboard_interrupt_cancels_waits_for_the_answer_and_reraises(self):
        main = threading.get_ident()
        timer = threading.Timer(0.3, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        started = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            self.client.forward(tokens=SLOW_TOKENS)
        timer.join()
        self.assertLess(time.monotonic() - started, 5)
        forward, = [m for m in self.sent("forward") if m["params"]["tokens"] == SLOW_TOKENS]
        cancel, = self.sent("$/cancelRequest")
        self.assertEqual(cancel["params"], {"id": forward["id"]})
        # The -32800 answer was consumed: the next call gets its own response.
        self.assertEqual(self.client.tokenize("next")["pieces"], ["next"])

    def test_camel_case_mapping(self):
        self.assertEqual(sa._camel("block_sizes"), "blockSizes")
        self.assertEqual(sa._camel("max_attention_kl"), "maxAttentionKL")
        self.assertEqual(sa._camel("text"), "text")


class SpawnTests(unittest.TestCase):
    def test_spawn_runs_the_binary_with_stdio_and_model(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        fake = os.path.join(folder.name, "attnd")
        argv_log = os.path.join(folder.name, "argv.json")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\nexec %s %s --fake-attnd %s \"$@\"\n" % (sys.executable, os.path.abspath(__file__), argv_log))
        os.chmod(fake, 0o755)
        with sa.Client.spawn(attnd=fake, model="gpt2", args=["--no-history"]) as client:
            self.assertEqual(client.tokenize("hi")["tokens"], [1])
            process = client._transport.process
        self.assertEqual(process.returncode, 0)
        with open(argv_log) as f:
            self.assertEqual(json.load(f), ["--stdio", "--model", "gpt2", "--no-history", "--log-level", "warning"])


class FindAttndTests(unittest.TestCase):
    def test_attnd_variable_wins(self):
        self.assertEqual(sa.find_attnd({"ATTND": "/opt/attnd", "PATH": ""}), "/opt/attnd")

    def test_path_then_the_repository_build(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        on_path = os.path.join(folder.name, "attnd")
        with open(on_path, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(on_path, 0o755)
        self.assertEqual(sa.find_attnd({"PATH": folder.name}), on_path)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(sa.__file__))))
        built = [os.path.join(root, ".build", b, "attnd") for b in ("release", "debug")]
        if any(os.access(p, os.X_OK) for p in built):
            self.assertIn(sa.find_attnd({"PATH": ""}), built)

    def test_none_found_says_how_to_get_one(self):
        # A copy of the module outside any repository: no .build beside it.
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        nested = os.path.join(folder.name, "a", "b")
        os.makedirs(nested)
        copy = os.path.join(nested, "selectattention_copy.py")
        with open(sa.__file__) as src, open(copy, "w") as dst:
            dst.write(src.read())
        import importlib.util
        spec = importlib.util.spec_from_file_location("selectattention_copy", copy)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with self.assertRaises(FileNotFoundError) as raised:
            module.find_attnd({"PATH": ""})
        self.assertIn("swift build -c release", str(raised.exception))


class LoadNpyTests(unittest.TestCase):
    def test_load_npy_uses_numpy_or_explains(self):
        try:
            import numpy
        except ImportError:
            with self.assertRaises(ImportError) as caught:
                sa.load_npy("/nonexistent.npy")
            self.assertIn("NumPy", str(caught.exception))
            return
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "a.npy")
            numpy.save(path, numpy.arange(24, dtype=numpy.float32).reshape(1, 2, 3, 4))
            array = sa.load_npy(path)
        self.assertEqual(array.shape, (1, 2, 3, 4))
        self.assertEqual(float(array[0, 1, 2, 3]), 23.0)


class NotebookTests(unittest.TestCase):
    def test_notebook_is_nbformat_4_without_outputs_and_its_code_compiles(self):
        with open(os.path.join(HERE, "examples", "sparsity.ipynb"), encoding="utf-8") as f:
            notebook = json.load(f)
        self.assertEqual(notebook["nbformat"], 4)
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        self.assertGreaterEqual(len(code), 5)
        import ast
        for cell in code:
            self.assertEqual((cell["outputs"], cell["execution_count"]), ([], None))
            # Cells may `await` at top level, as IPython allows.
            compile("".join(cell["source"]), cell["id"], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        source = "".join("".join(cell["source"]) for cell in code)
        for call in ("profile_attention(", "prune_sweep(", "per_position_kl(", "end_to_end=True", "block_sizes=[4, 8]",
                     "progress=True", ".to_frame()", "AsyncClient.spawn(", "asyncio.ensure_future("):
            self.assertIn(call, source)


@unittest.skipUnless(os.environ.get("ATTND"), "set ATTND to a built attnd binary to run the real-daemon tests")
class RealDaemonTests(unittest.TestCase):
    TOKENS = [84, 104, 101, 32, 113, 117, 105, 99, 107, 32, 98, 114]

    def setUp(self):
        self.client = sa.Client.spawn(attnd=os.environ["ATTND"], model=TINY_MODEL, args=["--no-history"])
        self.addCleanup(self.client.close)

    def test_model_and_tokenize(self):
        info = self.client.model_info()
        self.assertEqual((info["nLayer"], info["nHead"], info["vocabSize"]), (2, 4, 512))
        tokens = self.client.tokenize("The quick brown fox")
        self.assertEqual(len(tokens["tokens"]), len(tokens["offsets"]))
        self.assertEqual(tokens["offsets"][-1][1], len("The quick brown fox".encode()))

    def test_forward_and_sweep_with_progress(self):
        forward = self.client.forward(tokens=self.TOKENS, top_k=2)
        self.assertEqual(len(forward["argmax"]), 12)
        values = []
        sweep = self.client.prune_sweep(tokens=self.TOKENS, thresholds=[0.01, 0.001], block_sizes=[2, 4],
                                        end_to_end=True, progress=values.append)
        self.assertEqual([(p["blockSize"], p["threshold"]) for p in sweep["points"]], [(2, 0.01), (2, 0.001), (4, 0.01), (4, 0.001)])
        for point in sweep["points"]:
            # Per row, attentionKL = -ln m and prunedMass = 1 - m. Averaged over rows, -ln m >= 1 - m
            # gives attentionKL >= prunedMass, and Jensen (ln is concave) gives
            # prunedMass <= 1 - exp(-attentionKL); equality only when every row keeps the same mass.
            self.assertGreaterEqual(point["attentionKL"] + 1e-12, point["prunedMass"])
            self.assertLessEqual(point["prunedMass"], 1 - math.exp(-point["attentionKL"]) + 1e-12)
        self.assertEqual(values[0]["kind"], "begin")
        self.assertEqual(values[-1]["kind"], "end")

    def test_relative_threshold_sweep_and_corpus_setting(self):
        # c = 1: a block is pruned when its max is below 1 / (visible keys of its row).
        sweep = self.client.prune_sweep(tokens=self.TOKENS, selection="relativeThreshold", thresholds=[1, 0.25],
                                        block_sizes=[2])
        self.assertEqual([(p["selection"], p["threshold"]) for p in sweep["points"]],
                         [("relativeThreshold", 1), ("relativeThreshold", 0.25)])
        self.assertGreaterEqual(sweep["points"][0]["prunedBlockFraction"], sweep["points"][1]["prunedBlockFraction"])
        corpus = self.client.evaluate_corpus(text="The quick brown fox jumps over the lazy dog", max_length=8,
                                             settings=[{"selection": "relativeThreshold", "threshold": 1, "blockSize": 2}])
        self.assertEqual(corpus["settings"][0]["setting"]["selection"], "relativeThreshold")
        with self.assertRaises(sa.SelectAttentionError) as caught:
            self.client.prune_sweep(tokens=self.TOKENS, selection="relativeThreshold", thresholds=[2000])
        self.assertEqual(caught.exception.data["field"], "thresholds[0]")
        self.assertEqual(caught.exception.data["accepted"], "a number in (0, 1024]")

    def test_tile_sweep_exports_block_masks(self):
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "masks")
            sweep = self.client.prune_sweep(tokens=self.TOKENS, query_block_size=4, estimator="quest", selection="topK",
                                            thresholds=[1], block_sizes=[4, 8], export_mask=out)
            self.assertEqual([(p["blockSize"], p["threshold"]) for p in sweep["points"]], [(4, 1), (8, 1)])
            for point in sweep["points"]:
                self.assertLessEqual(point["tileDensity"], 1.0)
                self.assertAlmostEqual(point["prunedMass"], 1 - point["recall"], places=12)
            exported = sweep["exportedMask"]
            self.assertEqual(exported["path"], out)
            self.assertEqual([p["folder"] for p in exported["points"]], ["point-000", "point-001"])
            with open(os.path.join(out, "point-001", "kv_indices.npy"), "rb") as f:
                head = f.read(128)
            self.assertEqual(head[:8], b"\x93NUMPY\x01\x00")
            self.assertIn(b"'descr': '<i4'", head)
            self.assertIn(b"'shape': (2, 4, 3, 2)", head)   # (L, H, ceil(12/4), ceil(12/8))
            with open(os.path.join(out, "point-001", "mask.json"), encoding="utf-8") as f:
                meta = json.load(f)
            self.assertEqual((meta["BLOCK_SIZE"], meta["tokens"]), ([4, 8], self.TOKENS))

    def test_calibrate_then_the_held_out_check_with_intervals(self):
        calib = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again."
        held_out = ["In the beginning God created the heaven and the earth.", "And the earth was without form, and void."]
        calibration = self.client.calibrate(calib, query_block_size=4, block_size=4, estimator="meanPool", max_output_kl=0.02)
        self.assertEqual(len(calibration["heads"]), 8)
        self.assertEqual(calibration["perHead"]["queryBlockSize"], 4)
        self.assertLessEqual(calibration["check"]["outputKL"], 0.02)
        # The result itself (its table, sent inline: no history here) reproduces its own check.
        point = self.client.prune_sweep(calib, end_to_end=True, per_head=calibration)["points"][0]
        self.assertTrue(point["perHead"])
        self.assertEqual(point["endToEnd"]["outputKL"], calibration["check"]["outputKL"])
        self.assertEqual(point["computedFraction"], calibration["computedFraction"])
        # Held out: the aggregate over two texts carries a 95% interval.
        sweep = self.client.prune_sweep(texts=held_out, end_to_end=True, per_head=calibration.table)
        stat = sweep["aggregate"]["points"][0]["endToEnd"]["outputKL"]
        self.assertEqual(stat["n"], 2)
        self.assertLessEqual(stat["lower"], stat["mean"])
        self.assertLessEqual(stat["mean"], stat["upper"])
        kl = self.client.per_position_kl(calib, per_head=calibration, metric="prunedMass")
        values = [v for layer in kl["layers"] for v in layer["values"]]
        self.assertAlmostEqual(sum(values) / len(values), point["prunedMass"], places=9)
        with self.assertRaises(sa.SelectAttentionError) as caught:
            self.client.calibrate(calib, max_output_kl=0.01, min_recall=0.9)
        self.assertEqual((caught.exception.code, caught.exception.data["field"]), (-32602, "minRecall"))

    def test_per_position_and_errors(self):
        result = self.client.per_position_kl(tokens=self.TOKENS, block_size=4, threshold=0.05, segment_size=5)
        self.assertEqual([len(layer["values"]) for layer in result["layers"]], [12, 12])
        with self.assertRaises(sa.SelectAttentionError) as caught:
            self.client.prune_sweep(tokens=self.TOKENS, thresholds=[1.5])
        self.assertEqual((caught.exception.code, caught.exception.data["field"]), (-32602, "thresholds[0]"))

    def test_per_position_kl_on_tiles_matches_the_sweeps_point(self):
        text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps again."
        tiles = dict(query_block_size=4, estimator="quest", selection="topK")
        point = self.client.prune_sweep(text, thresholds=[1], block_sizes=[4], **tiles)["points"][0]
        kl = self.client.per_position_kl(text, threshold=1, block_size=4, metric="prunedMass", **tiles)
        values = [v for layer in kl["layers"] for v in layer["values"]]
        self.assertAlmostEqual(sum(values) / len(values), point["prunedMass"], places=9)
        self.assertGreater(point["prunedMass"], 0)
        masks = self.client.profile_attention(text, include_attention=True, block_size=4, query_block_size=4,
                                              thresholds=[0.2])["blockMasks"]
        self.assertEqual(len(masks), 1)

    def test_evaluate_corpus(self):
        corpus = os.path.join(REPO, "Tests", "Fixtures", "reference", "corpus", "corpus.txt")
        result = self.client.evaluate_corpus(path=corpus, max_length=128,
                                             settings=[{"selection": "threshold", "threshold": 0.003125, "blockSize": 32}])
        self.assertEqual((result["windows"], result["stride"], result["tokensScored"]), (12, 64, 777))
        self.assertAlmostEqual(result["dense"]["perplexity"], 5926.8739, delta=0.01)   # the HF golden
        self.assertEqual(len(result["settings"]), 1)

    def test_export_and_load_npy(self):
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.skipTest("NumPy not installed")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "attention.npy")
            result = self.client.profile_attention(tokens=self.TOKENS, export_path=path, include_attention=True)
            array = sa.load_npy(path)
        self.assertEqual(array.shape, (2, 4, 12, 12))
        self.assertAlmostEqual(float(array[1, 2, 5, 3]), result["attention"][1][2][5][3], places=6)

    def test_ctrl_c_cancels_a_long_sweep(self):
        main = threading.get_ident()
        timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        with self.assertRaises(KeyboardInterrupt):
            self.client.prune_sweep(tokens=[(i * 37) % 256 for i in range(128)], thresholds=[0.5 ** (i / 4) for i in range(64)],
                                    block_sizes=list(range(1, 33)), end_to_end=True)  # 2048 passes: the cap
        timer.join()
        self.assertEqual(len(self.client.tokenize("after")["tokens"]) > 0, True)


def _fake_attnd(argv):
    """`test_selectattention.py --fake-attnd ARGV_LOG ARGS...`: fake_serve on stdin/stdout."""
    with open(argv[0], "w") as f:
        json.dump(argv[1:], f)
    out = sys.stdout.buffer

    def write(data):
        out.write(data)
        out.flush()
    fake_serve(lambda: os.read(0, 65536), write, [])
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fake-attnd":
        sys.exit(_fake_attnd(sys.argv[2:]))
    unittest.main()
