#!/usr/bin/env python3
"""Tests of replay.py, the schemas, the transcripts and the illustrative results.

    python3 -m unittest discover -s Protocol/conformance -p 'test_*.py'

The fake server at the bottom (`--fake-server`) exists only to exercise the replayer's process
handling and framing; it is not a model of attnd.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import replay  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
RESULTS = os.path.join(EXAMPLES, "results")
SCHEMAS = replay.Schemas()


class FramingTests(unittest.TestCase):
    def test_one_byte_at_a_time(self):
        data = replay.encode_message({"jsonrpc": "2.0", "id": 1, "result": "é"}) * 2
        decoder = replay.FrameDecoder()
        bodies = []
        for index in range(len(data)):
            bodies += decoder.feed(data[index:index + 1])
        self.assertEqual([json.loads(b) for b in bodies], [{"jsonrpc": "2.0", "id": 1, "result": "é"}] * 2)
        self.assertEqual(decoder.pending_bytes, 0)

    def test_several_messages_in_one_chunk_and_a_split_body(self):
        first, second = b'{"a":1}', b'{"b":[1,2,3]}'
        data = replay.encode_frame(first) + replay.encode_frame(second)
        decoder = replay.FrameDecoder()
        cut = len(data) - 5  # inside the second body
        self.assertEqual(decoder.feed(data[:cut]), [first])
        self.assertEqual(decoder.feed(data[cut:]), [second])

    def test_header_names_are_case_insensitive_and_other_headers_skipped(self):
        body = b'{"x":true}'
        data = b"content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH: 10\r\n\r\n" + body
        self.assertEqual(replay.FrameDecoder().feed(data), [body])

    def test_length_counts_bytes_not_characters(self):
        body = '"東京"'.encode("utf-8")
        frame = replay.encode_frame(body)
        self.assertTrue(frame.startswith(b"Content-Length: 8\r\n"))
        self.assertEqual(replay.FrameDecoder().feed(frame), [body])

    def test_malformed_headers_are_errors(self):
        for header in (b"Content-Lenght: 5", b"Content-Length: -5", b"Content-Length: five",
                       b"no colon here", b"Content-Length: 5\r\nContent-Length: 6", b"Content-Length: 5\nX: 1"):
            with self.subTest(header=header):
                with self.assertRaises(replay.FramingError):
                    replay.parse_header(header)

    def test_oversized_header_section_is_an_error(self):
        with self.assertRaises(replay.FramingError):
            replay.FrameDecoder().feed(b"X-Filler: " + b"a" * 9000)


class MatchTests(unittest.TestCase):
    def check(self, pattern, actual):
        return replay.match(pattern, actual, {})

    def test_objects_match_as_subsets_and_arrays_exactly(self):
        self.assertEqual(self.check({"a": 1}, {"a": 1, "b": 2}), [])
        self.assertTrue(self.check({"a": 1, "c": 3}, {"a": 1}))
        self.assertTrue(self.check([1, 2], [1, 2, 3]))
        self.assertEqual(self.check([1, {"x": "$number"}], [1, {"x": 2.5, "y": 0}]), [])

    def test_type_matchers(self):
        self.assertEqual(self.check("$integer", 3), [])
        self.assertEqual(self.check("$integer", 3.0), [])
        self.assertTrue(self.check("$integer", 3.5))
        self.assertTrue(self.check("$integer", True))
        self.assertTrue(self.check("$number", "1"))
        self.assertEqual(self.check("$uuid", "123e4567-e89b-42d3-a456-426614174000"), [])
        self.assertTrue(self.check("$uuid", "123E4567-E89B-42D3-A456-426614174000"))
        self.assertEqual(self.check({"k": "$absent"}, {}), [])
        self.assertTrue(self.check({"k": "$absent"}, {"k": None}))
        self.assertTrue(self.check({"k": "$any"}, {}))
        self.assertEqual(self.check("$$literal", "$literal"), [])

    def test_booleans_and_numbers_are_not_confused(self):
        self.assertTrue(self.check(1, True))
        self.assertTrue(self.check(False, 0))
        self.assertTrue(self.check(None, 0))
        self.assertEqual(self.check(0, 0.0), [])

    def test_special_patterns(self):
        self.assertEqual(self.check({"$len": 2}, [0, 0]), [])
        self.assertTrue(self.check({"$len": 2}, [0]))
        self.assertEqual(self.check({"$each": {"$range": [0, 1]}}, [0, 0.5, 1]), [])
        self.assertTrue(self.check({"$each": {"$range": [0, 1]}}, [0, 1.5]))
        saved = {}
        self.assertEqual(replay.match({"id": {"$save": "run"}}, {"id": "abc"}, saved), [])
        self.assertEqual(saved, {"run": "abc"})

    def test_substitution(self):
        saved = {"n": 5, "dir": "/tmp/x"}
        self.assertEqual(replay.substitute({"a": ["${n}", "${dir}/f.npy"]}, saved), {"a": [5, "/tmp/x/f.npy"]})
        with self.assertRaises(KeyError):
            replay.substitute("${missing}", saved)


class SchemaAndExampleTests(unittest.TestCase):
    def test_every_advertised_method_has_a_schema(self):
        sample = json.load(open(os.path.join(RESULTS, "initialize.json")))
        for method in sample["result"]["capabilities"]["methods"]:
            with self.subTest(method=method):
                self.assertIn(replay.Schemas.file_for(method), SCHEMAS.documents)

    def test_illustrative_results_match_their_schemas(self):
        names = sorted(n for n in os.listdir(RESULTS) if n.endswith(".json"))
        self.assertGreaterEqual(len(names), 15)
        for name in names:
            with self.subTest(sample=name):
                sample = json.load(open(os.path.join(RESULTS, name)))
                self.assertEqual(SCHEMAS.check_params(sample["method"], sample["params"]), [])
                response = {"jsonrpc": "2.0", "id": 1, "result": sample["result"]}
                self.assertEqual(SCHEMAS.check_response(sample["method"], response), [])

    def test_result_schemas_are_strict(self):
        sample = json.load(open(os.path.join(RESULTS, "pruneSweep.json")))
        sample["result"]["points"][0]["attentionKl"] = 0.1  # misspelt field
        response = {"jsonrpc": "2.0", "id": 1, "result": sample["result"]}
        self.assertTrue(SCHEMAS.check_response("pruneSweep", response))
        del sample["result"]["points"][0]["attentionKl"]
        del sample["result"]["history"]
        self.assertTrue(SCHEMAS.check_response("pruneSweep", response))

    def test_single_and_texts_forms_are_exclusive(self):
        single = json.load(open(os.path.join(RESULTS, "pruneSweep.json")))["result"]
        texts = json.load(open(os.path.join(RESULTS, "pruneSweep.texts.json")))["result"]
        both = dict(single, texts=texts["texts"], aggregate=texts["aggregate"])
        self.assertTrue(SCHEMAS.check_response("pruneSweep", {"jsonrpc": "2.0", "id": 1, "result": both}))

    def test_params_schemas_refuse_what_the_server_refuses(self):
        cases = [
            ("pruneSweep", {"tokens": [1], "thresholds": [1.5]}),
            ("pruneSweep", {"tokens": [1], "blockSizes": [0]}),
            ("pruneSweep", {"tokens": [1], "thresholds": [0.1] * 65}),
            ("pruneSweep", {"text": "a", "tokens": [1]}),
            ("pruneSweep", {}),
            ("forward", {"texts": ["a"]}),
            ("forward", {"tokens": [1], "unknown": 1}),
            ("profileAttention", {"tokens": [1], "exportPath": "relative.npy"}),
            ("model/load", {"path": "/m", "download": True}),
            ("runs/list", {"limit": 1001}),
            ("runs/prune", {}),
        ]
        for method, params in cases:
            with self.subTest(method=method, params=params):
                self.assertTrue(SCHEMAS.check_params(method, params))
        self.assertEqual(SCHEMAS.check_params("pruneSweep", {"texts": ["a", "b"], "selection": "topK", "thresholds": [1, 2]}), [])

    def test_error_data_shapes(self):
        good = {"jsonrpc": "2.0", "id": None, "error": {"code": -32007, "message": "too large", "data": {"declaredBytes": 10, "limitBytes": 5}}}
        self.assertEqual(SCHEMAS.check_response(None, good), [])
        no_data = {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "bad"}}
        self.assertTrue(SCHEMAS.check_response(None, no_data))
        wrong_data = {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "bad", "data": {"field": "x"}}}
        self.assertTrue(SCHEMAS.check_response(None, wrong_data))
        unknown_code = {"jsonrpc": "2.0", "id": 3, "error": {"code": -31000, "message": "?"}}
        self.assertTrue(SCHEMAS.check_response(None, unknown_code))

    def test_transcripts_send_valid_params_unless_marked_invalid(self):
        transcripts = replay.load_transcripts(EXAMPLES)
        self.assertGreaterEqual(len(transcripts), 12)
        dummy = "123e4567-e89b-42d3-a456-426614174000"
        saved = {"MODEL_PATH": "/models/tiny", "TMPDIR": "/tmp/x", "run1": dummy, "run2": dummy}
        for name, transcript in transcripts:
            for index, step in enumerate(transcript["steps"]):
                if "send" not in step:
                    continue
                messages = step["send"] if isinstance(step["send"], list) else [step["send"]]
                for message in messages:
                    params = replay.substitute_keep_saves(message.get("params"), saved)
                    problems = SCHEMAS.check_params(message["method"], params)
                    with self.subTest(transcript=name, step=index):
                        if step.get("invalid"):
                            self.assertTrue(problems, "marked invalid but the schema accepts it")
                        else:
                            self.assertEqual(problems, [])

    def test_every_method_appears_in_some_transcript(self):
        sent = set()
        for _, transcript in replay.load_transcripts(EXAMPLES):
            for step in transcript["steps"]:
                for message in (step["send"] if isinstance(step.get("send"), list) else [step.get("send")]):
                    if isinstance(message, dict):
                        sent.add(message.get("method"))
        methods = json.load(open(os.path.join(RESULTS, "initialize.json")))["result"]["capabilities"]["methods"]
        self.assertEqual(sorted(set(methods) - sent), [])


FAKE_TRANSCRIPT = {
    "description": "fake",
    "steps": [
        {"send": {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"clientInfo": {"name": "t"}}}},
        {"expect": {"id": 0, "result": {"serverInfo": {"name": "attnd"}, "model": {"nLayer": 2}}}},
        {"send": {"jsonrpc": "2.0", "id": "t", "method": "tokenize", "params": {"text": "ab"}}},
        {"send": {"jsonrpc": "2.0", "id": 2, "method": "forward", "params": {"tokens": [1, 2], "workDoneToken": "w"}}},
        {"expect": {"method": "$/progress", "params": {"token": "w", "value": {"kind": "end"}}}},
        {"expect": {"id": 2, "result": {"runId": {"$save": "run"}, "numTokens": 2}}},
        {"expect": {"id": "t", "result": {"tokens": [1, 2], "pieces": {"$len": 2}}}},
        {"send": {"jsonrpc": "2.0", "id": 3, "method": "runs/get", "params": {"id": "${run}"}}},
        {"expect": {"id": 3, "error": {"code": -32005, "data": {"id": "${run}"}}}},
        {"send": [{"jsonrpc": "2.0", "id": 4, "method": "model/info"}, {"jsonrpc": "2.0", "id": 5, "method": "nope"}]},
        {"expect": [{"id": 4, "result": {"vocabSize": 512}}, {"id": 5, "error": {"code": -32601}}]},
        {"sendRaw": "{oops"},
        {"expect": {"id": None, "error": {"code": -32700}}},
        {"send": {"jsonrpc": "2.0", "id": 6, "method": "shutdown"}},
        {"expect": {"id": 6, "result": None}},
        {"send": {"jsonrpc": "2.0", "method": "exit"}},
        {"expectExit": 0},
    ],
}


class ReplayAgainstFakeServerTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.fake = os.path.join(self.folder.name, "fake-attnd")
        with open(self.fake, "w") as f:
            f.write("#!/bin/sh\nexec %s %s --fake-server \"$@\"\n" % (sys.executable, os.path.abspath(__file__)))
        os.chmod(self.fake, 0o755)

    def replayer(self):
        return replay.Replayer(SCHEMAS, self.fake, "/models/tiny")

    def test_a_conforming_server_passes(self):
        self.assertEqual(self.replayer().run(FAKE_TRANSCRIPT), [])

    def test_a_wrong_result_shape_fails_with_the_field(self):
        transcript = dict(FAKE_TRANSCRIPT, args=["--broken"])
        problems = self.replayer().run(transcript)
        self.assertTrue(problems)
        self.assertIn("offsets", problems[0])

    def test_a_wrong_exact_value_fails(self):
        steps = list(FAKE_TRANSCRIPT["steps"])
        steps[1] = {"expect": {"id": 0, "result": {"model": {"nLayer": 3}}}}
        problems = self.replayer().run(dict(FAKE_TRANSCRIPT, steps=steps))
        self.assertTrue(problems and "nLayer" in problems[0])

    def test_a_missing_response_times_out_and_the_exit_code_is_checked(self):
        steps = FAKE_TRANSCRIPT["steps"][:2] + [
            {"send": {"jsonrpc": "2.0", "method": "exit"}},
            {"expectExit": 0},
        ]
        problems = self.replayer().run(dict(FAKE_TRANSCRIPT, steps=steps))
        self.assertTrue(problems and "exit code 1" in problems[0])

    def test_main_prints_the_tally_and_exits_non_zero_on_failure(self):
        examples = os.path.join(self.folder.name, "examples")
        os.mkdir(examples)
        json.dump(FAKE_TRANSCRIPT, open(os.path.join(examples, "good.json"), "w"))
        json.dump(dict(FAKE_TRANSCRIPT, args=["--broken"]), open(os.path.join(examples, "bad.json"), "w"))
        result = subprocess.run([sys.executable, replay.__file__, "--attnd", self.fake, "--model", "/models/tiny",
                                 "--examples", examples], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("1 passed, 1 failed", result.stdout)
        result = subprocess.run([sys.executable, replay.__file__, "--attnd", self.fake, "--model", "/models/tiny",
                                 "--examples", examples, "--only", "good"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 passed, 0 failed", result.stdout)


# ---------------------------------------------------------------------------------------------
# The fake server (for the replayer's tests only).

def fake_server(argv):
    broken = "--broken" in argv
    model = {"name": "tiny", "path": "/models/tiny", "fingerprint": "abc123", "nLayer": 2, "nHead": 4, "nEmbd": 32,
             "nPositions": 128, "vocabSize": 512, "parameterCount": 45952}
    out = sys.stdout.buffer
    shut_down = False

    def send(message, split=False):
        frame = replay.encode_message(message)
        if split:  # header and body in separate writes, to exercise the reader
            out.write(frame[:10])
            out.flush()
            out.write(frame[10:])
        else:
            out.write(frame)
        out.flush()

    def answer(message):
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or "method" not in message:
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid", "data": {"reason": "not a request"}}}
        method, params, ident = message["method"], message.get("params") or {}, message.get("id")
        ok = lambda result: {"jsonrpc": "2.0", "id": ident, "result": result}
        if method == "initialize":
            return ok({"serverInfo": {"name": "attnd", "version": "0"}, "protocolVersion": "1.0",
                       "capabilities": {"methods": ["initialize"], "history": False,
                                        "limits": {"maxMessageBytes": 1, "maxQueue": 1, "maxListLength": 64, "maxAttentionEntries": 4000000, "maxSweepPoints": 16384, "maxEndToEndPasses": 2048, "maxOutputQueueBytes": 1}},
                       "model": model})
        if method == "tokenize":
            result = {"tokens": [1, 2], "pieces": ["a", "b"], "offsets": [[0, 1], [1, 2]]}
            if broken:
                result["offsets"] = "none"
            return ok(result)
        if method == "forward":
            for value in ({"kind": "begin", "title": "forward"}, {"kind": "report", "percentage": 50}, {"kind": "end"}):
                send({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": params["workDoneToken"], "value": value}}, split=True)
            return ok({"runId": "123e4567-e89b-42d3-a456-426614174000", "numTokens": 2, "model": "abc123", "cached": False,
                       "history": {"stored": False, "reason": "history disabled (--no-history)"},
                       "argmax": [1, 2], "top": [[], []], "nll": 1.0, "perplexity": 2.718281828})
        if method == "runs/get":
            return {"jsonrpc": "2.0", "id": ident, "error": {"code": -32005, "message": "no run", "data": {"id": params["id"]}}}
        if method == "model/info":
            return ok(model)
        if method == "shutdown":
            return ok(None)
        if ident is None:
            return None
        return {"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": "unknown", "data": {"method": method}}}

    decoder = replay.FrameDecoder()
    pending = []  # the tokenize answer is held back to test out-of-order responses
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            return 0 if shut_down else 1
        for body in decoder.feed(chunk):
            try:
                message = json.loads(body)
            except ValueError:
                send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error", "data": {"reason": "not JSON"}}})
                continue
            if isinstance(message, list):
                send([answer(m) for m in message if answer(m) is not None])
                continue
            if message.get("method") == "exit":
                return 0 if shut_down else 1
            shut_down = shut_down or message.get("method") == "shutdown"
            response = answer(message)
            if message.get("method") == "tokenize":
                pending.append(response)
                continue
            if response is not None:
                send(response)
            for held in pending:
                send(held)
            pending = []


if __name__ == "__main__":
    if "--fake-server" in sys.argv:
        sys.exit(fake_server(sys.argv))
    unittest.main()
