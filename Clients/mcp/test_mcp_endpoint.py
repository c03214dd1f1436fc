"""`attnd --mcp` against the official MCP Python SDK's client (PyPI `mcp`, pinned in
requirements.txt), on the repository's tiny model.

    ATTND=.build/debug/attnd python3 -m unittest discover -s Clients/mcp -p 'test_*.py'

Skipped, with the reason printed, when the SDK cannot be imported or ATTND names no binary.
"""
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TINY_MODEL = os.path.join(REPO, "Tests", "Fixtures", "models", "tiny-peaked")
ATTND = os.environ.get("ATTND")

try:
    from mcp import Client, StdioServerParameters
    from mcp.shared.exceptions import MCPError
    SDK_ERROR = None
except Exception as error:  # ImportError, or an SDK that fails to import on this Python
    SDK_ERROR = f"the MCP Python SDK cannot be imported ({error}); pip install -r Clients/mcp/requirements.txt"

TOOLS = {"tokenize", "forward", "profileAttention", "perPositionKL", "pruneSweep",
         "model_load", "model_info", "runs_list", "runs_get"}


@unittest.skipIf(SDK_ERROR, SDK_ERROR or "")
@unittest.skipUnless(ATTND, "set ATTND to a built attnd binary to run the MCP endpoint tests")
class MCPEndpointTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.params = StdioServerParameters(
            command=ATTND,
            args=["--mcp", "--model", TINY_MODEL, "--db", os.path.join(self.tmp.name, "runs.sqlite"),
                  "--log-level", "warning"])

    def tearDown(self):
        self.tmp.cleanup()

    def run_client(self, body, mode="legacy"):
        """Runs `body(client)` inside one SDK session (a fresh daemon)."""
        async def main():
            async with Client(self.params, mode=mode, raise_exceptions=True) as client:
                return await body(client)
        return asyncio.run(asyncio.wait_for(main(), timeout=120))

    def test_handshake_negotiates_and_lists_the_tools_with_schemas_from_protocol_schema(self):
        async def body(client):
            return client.protocol_version, client.server_info, (await client.list_tools()).tools
        version, info, tools = self.run_client(body)
        self.assertEqual(version, "2025-11-25")
        self.assertEqual(info.name, "attnd")
        by_name = {tool.name: tool for tool in tools}
        self.assertLessEqual(TOOLS, set(by_name))
        profile = by_name["profileAttention"]
        self.assertEqual(profile.input_schema["type"], "object")
        self.assertIn("thresholds", profile.input_schema["properties"])
        self.assertNotIn("workDoneToken", profile.input_schema["properties"])
        self.assertIn("exactly one of `text`, `tokens`, `texts`", profile.description)
        self.assertIn("runId", profile.output_schema["required"])
        self.assertTrue(by_name["runs_get"].annotations.read_only_hint)
        self.assertTrue(by_name["runs_delete"].annotations.destructive_hint)

    def test_auto_mode_falls_back_from_discover_to_initialize(self):
        async def body(client):
            return client.protocol_version, (await client.call_tool("model_info", {})).structured_content
        version, info = self.run_client(body, mode="auto")
        self.assertEqual(version, "2025-11-25")
        self.assertEqual(info["name"], "tiny-peaked")

    def test_profile_attention_returns_structured_content_text_and_progress(self):
        progress = []

        async def on_progress(value, total, message):
            progress.append((value, total, message))

        async def body(client):
            info = (await client.call_tool("model_info", {})).structured_content
            tokens = (await client.call_tool("tokenize", {"text": "The cat sat on the mat."})).structured_content
            result = await client.call_tool("profileAttention", {"text": "The cat sat on the mat.", "thresholds": [0.1, 0.5]},
                                            progress_callback=on_progress)
            return info, tokens, result
        info, tokens, result = self.run_client(body)
        self.assertFalse(result.is_error, result.content)
        content = result.structured_content   # validated by the SDK against the tool's outputSchema
        self.assertEqual(content["numTokens"], len(tokens["tokens"]))
        self.assertEqual(len(content["layers"]), info["nLayer"])
        self.assertEqual(len(content["layers"][0]["heads"]), info["nHead"])
        self.assertTrue(0.0 <= content["summary"]["sinkMass"] <= 1.0)
        self.assertTrue(content["history"]["stored"])
        self.assertIn("profileAttention: run", result.content[0].text)
        self.assertIn(f"{content['numTokens']} tokens", result.content[0].text)
        values = [value for value, _, _ in progress]
        self.assertTrue(values, "no notifications/progress arrived")
        self.assertEqual(values, sorted(set(values)), "progress must strictly increase")
        self.assertEqual(values[-1], 100)
        self.assertTrue(all(total == 100 for _, total, _ in progress))

    def test_prune_sweep_then_run_history(self):
        async def body(client):
            sweep = await client.call_tool("pruneSweep", {"text": "one two three four five six seven eight",
                                                          "blockSizes": [2], "thresholds": [0.05, 0.5]})
            runs = (await client.call_tool("runs_list", {})).structured_content
            stored = (await client.call_tool("runs_get", {"id": sweep.structured_content["runId"]})).structured_content
            return sweep, runs, stored
        sweep, runs, stored = self.run_client(body)
        self.assertFalse(sweep.is_error, sweep.content)
        points = sweep.structured_content["points"]
        self.assertEqual([p["threshold"] for p in points], [0.05, 0.5])
        fractions = [p["prunedBlockFraction"] for p in points]
        self.assertTrue(all(0.0 <= f <= 1.0 for f in fractions))
        self.assertLessEqual(fractions[0], fractions[1], "a higher threshold prunes at least as much")
        self.assertTrue(all(p["attentionKL"] >= 0 for p in points))
        self.assertIn("2 sweep points", sweep.content[0].text)
        self.assertIn(sweep.structured_content["runId"], [run["id"] for run in runs["runs"]])
        self.assertEqual(stored["method"], "pruneSweep")
        self.assertEqual(stored["clientName"], "mcp")

    def test_a_bad_argument_is_a_tool_error_naming_the_field(self):
        async def body(client):
            bad = await client.call_tool("profileAttention", {"text": "hi", "thresholds": [2]})
            missing = await client.call_tool("runs_get", {"id": "00000000-0000-0000-0000-000000000000"})
            try:
                await client.call_tool("noSuchTool", {})
                unknown = None
            except MCPError as error:
                unknown = error
            return bad, missing, unknown
        bad, missing, unknown = self.run_client(body)
        self.assertTrue(bad.is_error)
        self.assertIsNone(bad.structured_content)
        self.assertIn("`thresholds[0]`", bad.content[0].text)
        self.assertIn("-32602", bad.content[0].text)
        self.assertTrue(missing.is_error)
        self.assertIn("-32005 runNotFound", missing.content[0].text)
        self.assertIsNotNone(unknown, "an unknown tool must be a protocol error")
        self.assertEqual(unknown.error.code, -32602)
        self.assertIn("noSuchTool", unknown.error.message)

    def test_a_call_the_client_abandons_is_cancelled_in_the_daemon(self):
        # ~30 s uncancelled (236 end-to-end points at T = 95 on the tiny model, debug build).
        text = ("the cat sat on the mat and the dog ran " * 10)[:230]
        heavy = {"text": text, "thresholds": [0.01 * i for i in range(1, 60)], "blockSizes": [2, 4, 8, 16],
                 "endToEnd": True}

        async def body(client):
            started = asyncio.get_running_loop().time()
            with self.assertRaises(asyncio.TimeoutError):
                # The SDK sends notifications/cancelled for a call its caller abandons.
                await asyncio.wait_for(client.call_tool("pruneSweep", heavy), timeout=1.0)
            for _ in range(100):
                runs = (await client.call_tool("runs_list", {})).structured_content["runs"]
                if runs and runs[0]["status"] != "running":
                    break
                await asyncio.sleep(0.05)
            after = await client.call_tool("tokenize", {"text": "still here"})
            return runs, after, asyncio.get_running_loop().time() - started
        runs, after, seconds = self.run_client(body)
        self.assertEqual([(run["method"], run["status"]) for run in runs], [("pruneSweep", "cancelled")])
        self.assertFalse(after.is_error)
        self.assertLess(seconds, 15, "the cancelled sweep was not stopped")


@unittest.skipUnless(ATTND, "set ATTND to a built attnd binary to run the MCP endpoint tests")
class MCPStdoutTest(unittest.TestCase):
    """Without the SDK: stdout carries only protocol lines, and end of input exits with 0."""

    def test_stdout_is_one_json_message_per_line_and_eof_exits_zero(self):
        lines = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
             "params": {"name": "tokenize", "arguments": {"text": "caf\u00e9 \u732b\nnew line"}}},
        ]
        stdin = "".join(json.dumps(line) + "\n" for line in lines)
        r = subprocess.run([ATTND, "--mcp", "--model", TINY_MODEL, "--no-history", "--log-level", "debug"],
                           input=stdin, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        out = [json.loads(line) for line in r.stdout.splitlines()]   # every line is one JSON message
        self.assertEqual([m.get("id") for m in out], [1, 2])
        self.assertEqual(out[0]["result"]["protocolVersion"], "2025-06-18")
        tokens = out[1]["result"]["structuredContent"]
        self.assertEqual(len(tokens["tokens"]), len(tokens["pieces"]))
        self.assertIn("\n", "".join(tokens["pieces"]))   # a newline inside a string stays escaped on the wire
        self.assertIn("attnd serving MCP on stdio", r.stderr)   # logs (debug included) go to stderr only


if __name__ == "__main__":
    unittest.main()
