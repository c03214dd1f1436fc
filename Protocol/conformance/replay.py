#!/usr/bin/env python3
"""Replays the Protocol/examples transcripts against a real `attnd` and validates every message.

    python3 Protocol/conformance/replay.py --attnd .build/debug/attnd \
        --model Tests/Fixtures/models/tiny-peaked [--examples DIR] [--only NAME] [-v]

For each transcript it spawns `attnd --stdio --model MODEL --no-history [ARGS]`, performs the
steps (see Protocol/README.md §16), validates every response against the request method's result
schema (or the ErrorResponse schema) and every `$/progress` against progress.json, checks the
transcript's exact expectations, and prints `N passed, N failed`. Exit status 1 on any failure.

Needs Python 3.8+ and `jsonschema` (4.18 or later, which brings `referencing`).
"""

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOL = os.path.dirname(HERE)
SCHEMA_DIR = os.path.join(PROTOCOL, "schema")
EXAMPLES_DIR = os.path.join(PROTOCOL, "examples")
SCHEMA_BASE = "https://selectattention.example/protocol/1.0/schema/"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RESPONSE_TIMEOUT_S = 10.0
EXIT_TIMEOUT_S = 5.0


# ---------------------------------------------------------------------------------------------
# Framing (LSP base protocol)

class FramingError(Exception):
    pass


def encode_frame(body):
    """`body` (bytes) → `Content-Length: N\\r\\n\\r\\n` + body."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode_message(message):
    return encode_frame(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class FrameDecoder:
    """Byte-exact decoder: feed it any chunks; it yields complete bodies (bytes).

    Header names are case-insensitive; Content-Length is required; other headers are skipped.
    Raises FramingError on a malformed header (the server's output must always be well formed).
    """

    MAX_HEADER_BYTES = 8192

    def __init__(self):
        self._buffer = bytearray()
        self._length = None  # body length once the header is read

    def feed(self, chunk):
        self._buffer += chunk
        bodies = []
        while True:
            if self._length is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > self.MAX_HEADER_BYTES:
                        raise FramingError("header section over %d bytes" % self.MAX_HEADER_BYTES)
                    return bodies
                header = bytes(self._buffer[:end])
                del self._buffer[:end + 4]
                self._length = parse_header(header)
            if len(self._buffer) < self._length:
                return bodies
            bodies.append(bytes(self._buffer[:self._length]))
            del self._buffer[:self._length]
            self._length = None

    @property
    def pending_bytes(self):
        return len(self._buffer)


def parse_header(header):
    """Returns Content-Length from a header section (without the final blank line)."""
    length = None
    for line in header.split(b"\r\n"):
        if b"\n" in line:
            raise FramingError("bare LF in header line %r" % line)
        name, sep, value = line.partition(b":")
        if not sep:
            raise FramingError("header line without ':': %r" % line)
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():
                raise FramingError("Content-Length is not a decimal integer: %r" % value)
            if length is not None and length != int(value):
                raise FramingError("two different Content-Length headers")
            length = int(value)
    if length is None:
        raise FramingError("no Content-Length header in %r" % header)
    return length


# ---------------------------------------------------------------------------------------------
# Schemas

class Schemas:
    """All schema files, resolved locally; validators per method."""

    def __init__(self, directory=SCHEMA_DIR):
        try:
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource
        except ImportError as error:  # pragma: no cover - environment problem
            sys.exit("replay.py needs jsonschema ≥ 4.18 (pip install jsonschema): %s" % error)
        self._validator_class = Draft202012Validator
        self.documents = {}
        resources = []
        for name in sorted(os.listdir(directory)):
            if name.endswith(".json"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    document = json.load(f)
                Draft202012Validator.check_schema(document)
                self.documents[name] = document
                resources.append((SCHEMA_BASE + name, Resource.from_contents(document)))
        self._registry = Registry().with_resources(resources)
        self._cache = {}

    @staticmethod
    def file_for(method):
        if method.startswith("$/"):
            method = method[2:]
        return method.replace("/", ".") + ".json"

    def has(self, method, part):
        document = self.documents.get(self.file_for(method))
        return document is not None and part in document.get("$defs", {})

    def validator(self, file_name, pointer):
        key = (file_name, pointer)
        if key not in self._cache:
            schema = {"$ref": SCHEMA_BASE + file_name + "#" + pointer}
            self._cache[key] = self._validator_class(schema, registry=self._registry)
        return self._cache[key]

    def errors(self, instance, file_name, pointer):
        """Human-readable validation errors (empty list when valid)."""
        validator = self.validator(file_name, pointer)
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message) for e in found]

    def check_params(self, method, params):
        if not self.has(method, "params"):
            return []
        return self.errors({} if params is None else params, self.file_for(method), "/$defs/params")

    def check_response(self, method, message):
        """Validates a response to a request of `method`."""
        if "error" in message:
            return self.errors(message, "common.json", "/$defs/ErrorResponse")
        problems = self.errors(message, "common.json", "/$defs/SuccessResponse")
        if method is not None and self.has(method, "result"):
            problems += ["result/" + p for p in self.errors(message.get("result"), self.file_for(method), "/$defs/result")]
        return problems

    def check_notification(self, message):
        problems = self.errors(message, "common.json", "/$defs/Notification")
        if message.get("method") == "$/progress":
            problems += ["params/" + p for p in self.errors(message.get("params"), "progress.json", "/$defs/params")]
        return problems


# ---------------------------------------------------------------------------------------------
# Pattern matching (README §16)

_ABSENT = object()
_TYPE_MATCHERS = {
    "$any": lambda v: True,
    "$string": lambda v: isinstance(v, str),
    "$number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "$integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "$boolean": lambda v: isinstance(v, bool),
    "$null": lambda v: v is None,
    "$array": lambda v: isinstance(v, list),
    "$object": lambda v: isinstance(v, dict),
    "$uuid": lambda v: isinstance(v, str) and UUID_RE.match(v) is not None,
}


def match(pattern, actual, saved, path="$"):
    """Returns a list of mismatch descriptions; saves `$save` captures into `saved`."""
    if isinstance(pattern, str) and (pattern in _TYPE_MATCHERS or pattern == "$absent" or pattern.startswith("$$")):
        if pattern.startswith("$$"):
            return [] if actual == pattern[1:] else ["%s: expected %r, got %r" % (path, pattern[1:], actual)]
        if pattern == "$absent":
            return [] if actual is _ABSENT else ["%s: expected absent, got %r" % (path, actual)]
        if actual is _ABSENT:
            return ["%s: missing" % path]
        return [] if _TYPE_MATCHERS[pattern](actual) else ["%s: expected %s, got %r" % (path, pattern, actual)]
    if actual is _ABSENT:
        return ["%s: missing" % path]
    if isinstance(pattern, dict) and len(pattern) == 1 and next(iter(pattern)) in ("$save", "$len", "$each", "$range"):
        return _match_special(pattern, actual, saved, path)
    if isinstance(pattern, dict):
        if not isinstance(actual, dict):
            return ["%s: expected an object, got %r" % (path, actual)]
        problems = []
        for key, sub in pattern.items():
            problems += match(sub, actual.get(key, _ABSENT), saved, "%s.%s" % (path, key))
        return problems
    if isinstance(pattern, list):
        if not isinstance(actual, list):
            return ["%s: expected an array, got %r" % (path, actual)]
        if len(pattern) != len(actual):
            return ["%s: expected %d elements, got %d" % (path, len(pattern), len(actual))]
        problems = []
        for index, (sub, value) in enumerate(zip(pattern, actual)):
            problems += match(sub, value, saved, "%s[%d]" % (path, index))
        return problems
    if isinstance(pattern, bool) or isinstance(actual, bool) or pattern is None or actual is None:
        same = pattern is actual or (type(pattern) is type(actual) and pattern == actual)
    else:
        same = pattern == actual
    return [] if same else ["%s: expected %r, got %r" % (path, pattern, actual)]


def _match_special(pattern, actual, saved, path):
    (key, argument), = pattern.items()
    if key == "$save":
        saved[argument] = actual
        return []
    if key == "$len":
        if not isinstance(actual, (list, str)) or len(actual) != argument:
            return ["%s: expected length %r, got %r" % (path, argument, actual if not isinstance(actual, list) else len(actual))]
        return []
    if key == "$each":
        if not isinstance(actual, list):
            return ["%s: expected an array, got %r" % (path, actual)]
        problems = []
        for index, value in enumerate(actual):
            problems += match(argument, value, saved, "%s[%d]" % (path, index))
        return problems
    if key == "$range":
        low, high = argument
        ok = isinstance(actual, (int, float)) and not isinstance(actual, bool) and low <= actual <= high
        return [] if ok else ["%s: expected a number in [%r, %r], got %r" % (path, low, high, actual)]
    return ["%s: unknown special pattern %r in transcript" % (path, pattern)]


_NAME_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(value, saved):
    """Replaces `${NAME}` with saved values, recursively: a string that is exactly `${NAME}`
    becomes the saved value (any JSON type); inside a longer string it is spliced in as text."""
    if isinstance(value, str) and "${" in value:
        names = _NAME_RE.findall(value)
        for name in names:
            if name not in saved:
                raise KeyError("transcript uses ${%s} before it was saved" % name)
        whole = _NAME_RE.fullmatch(value)
        if whole:
            return saved[whole.group(1)]
        return _NAME_RE.sub(lambda m: str(saved[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# The server process

class ServerProcess:
    """A spawned server: writes frames to its stdin; a thread decodes its stdout into a queue."""

    def __init__(self, command):
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr_file, bufsize=0)
        self.incoming = queue.Queue()
        self.framing_error = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        decoder = FrameDecoder()
        stream = self.process.stdout
        try:
            while True:
                chunk = os.read(stream.fileno(), 65536)
                if not chunk:
                    break
                for body in decoder.feed(chunk):
                    try:
                        self.incoming.put(("message", json.loads(body.decode("utf-8"))))
                    except (UnicodeDecodeError, ValueError) as error:
                        self.incoming.put(("bad", "server sent content that is not UTF-8 JSON: %s" % error))
        except FramingError as error:
            self.incoming.put(("bad", "server broke the framing: %s" % error))
        except OSError:
            pass
        if decoder.pending_bytes:
            self.incoming.put(("bad", "server output ended inside a frame (%d bytes pending)" % decoder.pending_bytes))
        self.incoming.put(("eof", None))

    def write(self, data):
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise RuntimeError("server stdin closed: %s" % error)

    def close_stdin(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def stderr_tail(self, limit=2000):
        self.stderr_file.seek(0)
        data = self.stderr_file.read().decode("utf-8", "replace")
        return data[-limit:]

    def stop(self):
        if self.process.poll() is None:
            self.close_stdin()
            try:
                self.process.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=EXIT_TIMEOUT_S)
        self.process.stdout.close()
        if not self.process.stdin.closed:
            self.close_stdin()


# ---------------------------------------------------------------------------------------------
# Replaying one transcript

class TranscriptFailure(Exception):
    pass


class Replayer:
    def __init__(self, schemas, attnd, model, verbose=False):
        self.schemas = schemas
        self.attnd = attnd
        self.model = model
        self.verbose = verbose

    def command(self, transcript, scratch):
        command = [self.attnd, "--stdio"]
        if not transcript.get("noModel", False):
            command += ["--model", self.model]
        if transcript.get("history", False):
            command += ["--db", os.path.join(scratch, "runs.sqlite")]
        else:
            command += ["--no-history"]
        return command + list(transcript.get("args", []))

    def run(self, transcript):
        """Returns a list of problems (empty when the transcript passes)."""
        with tempfile.TemporaryDirectory(prefix="attnd-replay-") as scratch:
            return self._run(transcript, scratch)

    def _run(self, transcript, scratch):
        server = ServerProcess(self.command(transcript, scratch))
        saved = {"MODEL_PATH": os.path.abspath(self.model), "TMPDIR": scratch}
        state = _ReplayState(self.schemas, server, saved, self.verbose)
        problems = []
        try:
            for index, step in enumerate(transcript["steps"]):
                try:
                    state.perform(step)
                except TranscriptFailure as failure:
                    problems.append("step %d %s: %s" % (index, _describe(step), failure))
                    break
            problems += state.problems
        finally:
            server.stop()
        if problems:
            tail = server.stderr_tail()
            if tail:
                problems.append("attnd stderr (tail):\n" + tail)
        server.stderr_file.close()
        return problems


def _describe(step):
    for key in ("send", "sendRaw", "sendBytes", "expect", "expectNone", "expectExit"):
        if key in step:
            value = step[key]
            if isinstance(value, dict):
                summary = value.get("method") or ("id %r" % value.get("id"))
                return "%s(%s)" % (key, summary)
            return key
    return "?"


class _ReplayState:
    def __init__(self, schemas, server, saved, verbose):
        self.schemas = schemas
        self.server = server
        self.saved = saved
        self.verbose = verbose
        self.methods_by_id = {}   # request id (JSON text) → method, to pick the result schema
        self.responses = {}       # id (JSON text) → response message not yet expected
        self.notifications = []   # notifications not yet expected, in arrival order
        self.batches = []         # ids (JSON text) of each batch response (array), in order
        self.answered = set()     # ids (JSON text) that got a response
        self.problems = []
        self.eof = False

    # -- receiving ---------------------------------------------------------------------------
    def _pump(self, deadline):
        """Takes one item from the server queue (waiting until `deadline`); False on timeout."""
        timeout = max(0.0, deadline - time.monotonic())
        try:
            kind, value = self.server.incoming.get(timeout=timeout)
        except queue.Empty:
            return False
        if kind == "eof":
            self.eof = True
        elif kind == "bad":
            raise TranscriptFailure(value)
        else:
            self._accept(value)
        return True

    def _accept(self, message):
        if self.verbose:
            print("    <- %s" % json.dumps(message)[:300])
        if isinstance(message, list):
            if not message:
                raise TranscriptFailure("server sent an empty batch response")
            for item in message:
                self._accept_response(item)
            self.batches.append([json.dumps(item.get("id")) for item in message])
            return
        if not isinstance(message, dict):
            raise TranscriptFailure("server sent a JSON value that is not an object or array: %r" % message)
        if "method" in message and "id" not in message:
            problems = self.schemas.check_notification(message)
            if problems:
                raise TranscriptFailure("notification %s does not match its schema: %s" % (message.get("method"), "; ".join(problems)))
            self.notifications.append(message)
            return
        self._accept_response(message)

    def _accept_response(self, message):
        if not isinstance(message, dict) or "id" not in message:
            raise TranscriptFailure("server sent a message that is neither a response nor a notification: %r" % message)
        key = json.dumps(message["id"])
        method = self.methods_by_id.get(key)
        problems = self.schemas.check_response(method, message)
        if problems:
            raise TranscriptFailure("response to %s (id %s) does not match its schema: %s" % (method, key, "; ".join(problems[:8])))
        if message["id"] is not None and (key in self.responses or key in self.answered):
            raise TranscriptFailure("two responses with id %s" % key)
        self.responses.setdefault(key, []).append(message)  # several only for id null
        if message["id"] is not None:
            self.answered.add(key)

    # -- steps -------------------------------------------------------------------------------
    def perform(self, step):
        if "send" in step:
            message = substitute(step["send"], self.saved)
            self._remember(message, check=not step.get("invalid", False))
            if self.verbose:
                print("    -> %s" % json.dumps(message)[:300])
            self.server.write(encode_message(message))
        elif "sendRaw" in step:
            self.server.write(encode_frame(step["sendRaw"].encode("utf-8")))
        elif "sendBytes" in step:
            self.server.write(step["sendBytes"].encode("utf-8"))
        elif "closeInput" in step:
            self.server.close_stdin()
        elif "expect" in step:
            self._expect(step["expect"], step.get("timeoutS", RESPONSE_TIMEOUT_S))
        elif "expectNone" in step:
            self._expect_none(step["expectNone"], step.get("withinMs", 300) / 1000.0)
        elif "expectExit" in step:
            self._expect_exit(step["expectExit"])
        elif "sleepMs" in step:
            time.sleep(step["sleepMs"] / 1000.0)
        else:
            raise TranscriptFailure("unknown step %r" % step)

    def _remember(self, message, check):
        items = message if isinstance(message, list) else [message]
        for item in items:
            if not isinstance(item, dict):
                continue
            method = item.get("method")
            if "id" in item and isinstance(method, str):
                self.methods_by_id[json.dumps(item["id"])] = method
            if check and isinstance(method, str):
                problems = self.schemas.check_params(method, item.get("params"))
                if problems:
                    raise TranscriptFailure("transcript bug: params of %s do not match the schema (mark the step \"invalid\": true if meant): %s"
                                            % (method, "; ".join(problems)))

    def _expect(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        if isinstance(pattern, list):
            return self._expect_batch(pattern, deadline)
        if "method" in pattern and "id" not in pattern:
            wanted = substitute_keep_saves(pattern, self.saved)
            seen = []
            while True:
                for index, message in enumerate(self.notifications):
                    if message.get("method") == pattern["method"] and not match(wanted, message, {}):
                        del self.notifications[index]
                        return self._check(pattern, message)
                seen = [m for m in self.notifications if m.get("method") == pattern["method"]]
                if self.eof or not self._pump(deadline):
                    raise TranscriptFailure("no %s notification matching %s within %.1f s; unmatched: %s"
                                            % (pattern["method"], json.dumps(pattern), timeout, json.dumps(seen)[:500]))
        key = json.dumps(substitute(pattern.get("id"), self.saved))
        while True:
            if key in self.responses and self.responses[key]:
                message = self.responses[key].pop(0)
                if not self.responses[key]:
                    del self.responses[key]
                return self._check(pattern, message)
            if self.eof or not self._pump(deadline):
                raise TranscriptFailure("no response with id %s within %.1f s%s" % (key, timeout, " (server closed its output)" if self.eof else ""))

    def _expect_batch(self, patterns, deadline):
        """A batch response: one array whose elements are, in order, the patterns' ids."""
        ids = [json.dumps(substitute(p.get("id"), self.saved)) for p in patterns]
        while ids not in self.batches:
            if self.eof or not self._pump(deadline):
                raise TranscriptFailure("no batch response with ids %s (got batches %s)" % (ids, self.batches))
        self.batches.remove(ids)
        for pattern in patterns:
            self._expect(pattern, max(0.0, deadline - time.monotonic()))

    def _check(self, pattern, message):
        pattern = substitute_keep_saves(pattern, self.saved)
        problems = match(pattern, message, self.saved)
        if problems:
            raise TranscriptFailure("; ".join(problems[:8]))

    def _expect_none(self, pattern, within):
        key = json.dumps(pattern.get("id"))
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and not self.eof:
            self._pump(deadline)
        if key in self.responses:
            raise TranscriptFailure("unexpected response with id %s: %r" % (key, self.responses[key][0]))

    def _expect_exit(self, code):
        process = self.server.process
        try:
            actual = process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise TranscriptFailure("server did not exit within %.0f s" % EXIT_TIMEOUT_S)
        if actual != code:
            raise TranscriptFailure("exit code %r, expected %r" % (actual, code))


def substitute_keep_saves(pattern, saved):
    """Like `substitute`, but leaves `{"$save": ...}` and unknown names alone (patterns only)."""
    if isinstance(pattern, str) and "${" in pattern:
        whole = _NAME_RE.fullmatch(pattern)
        if whole:
            return saved.get(whole.group(1), pattern)
        return _NAME_RE.sub(lambda m: str(saved[m.group(1)]) if m.group(1) in saved else m.group(0), pattern)
    if isinstance(pattern, dict):
        if set(pattern) == {"$save"}:
            return pattern
        return {k: substitute_keep_saves(v, saved) for k, v in pattern.items()}
    if isinstance(pattern, list):
        return [substitute_keep_saves(v, saved) for v in pattern]
    return pattern


# ---------------------------------------------------------------------------------------------

def load_transcripts(directory, only=None):
    transcripts = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        if only and only not in name:
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            transcripts.append((name, json.load(f)))
    return transcripts


def main(argv=None):
    parser = argparse.ArgumentParser(description="Replay Protocol/examples against attnd.")
    parser.add_argument("--attnd", required=True, help="path to the attnd binary")
    parser.add_argument("--model", required=True, help="model folder (e.g. Tests/Fixtures/models/tiny-peaked)")
    parser.add_argument("--examples", default=EXAMPLES_DIR, help="folder of transcripts (default: Protocol/examples)")
    parser.add_argument("--only", help="run only transcripts whose file name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every message")
    options = parser.parse_args(argv)

    schemas = Schemas()
    replayer = Replayer(schemas, options.attnd, options.model, options.verbose)
    passed = failed = 0
    for name, transcript in load_transcripts(options.examples, options.only):
        try:
            problems = replayer.run(transcript)
        except (OSError, RuntimeError, KeyError) as error:
            problems = ["could not run: %s" % error]
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for problem in problems:
                print("     " + problem.replace("\n", "\n     "))
        else:
            passed += 1
            print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
