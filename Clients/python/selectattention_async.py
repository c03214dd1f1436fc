"""AsyncClient: the selectattention client for asyncio (and so for Jupyter notebooks).

    attn = await AsyncClient.spawn(model="gpt2")
    task = asyncio.ensure_future(attn.prune_sweep(text=TEXT, end_to_end=True, progress=True))
    ...                          # the cell returns at once; other cells run while the sweep does
    sweep = await task           # or task.cancel(): the daemon is sent $/cancelRequest
    await attn.close()

Every method of Client is here as a coroutine with the same arguments and the same results
(the same result classes). Unlike Client, several calls may be in flight on one connection: a
reader task hands each response to its request by id and each `$/progress` to its callback.

- Cancelling a call's task (`task.cancel()`, or a timeout around it) sends `$/cancelRequest` for
  it and raises CancelledError at once; the daemon's -32800 answer is dropped when it comes.
- Analysis results of stored runs carry the daemon's figures (`runs/report`, `format: "svg"`),
  fetched right after the result (one immediate request; `fetch_figures = False` turns it off),
  since a notebook's display cannot wait for the event loop.
- Threading: use one AsyncClient from one event loop (its methods are not thread-safe).
"""

import asyncio
import itertools
import subprocess

import selectattention as _sa
import selectattention_results as _results

__all__ = ["AsyncClient"]


class AsyncClient(_sa._Methods):
    """An asyncio connection to attnd. Use `await AsyncClient.spawn(...)` or `await AsyncClient.connect(path)`."""

    #: Fetch the daemon's figures with each analysis result of a stored run (for the notebook display).
    fetch_figures = True

    def __init__(self, reader, writer, process=None):
        """Wraps an open stream pair; call `await client._start(...)` (spawn and connect do)."""
        self._stream = reader
        self._writer = writer
        self._process = process
        self._ids = itertools.count(1)
        self._pending = {}    # id → Future of the response message
        self._progress = {}   # workDoneToken → callable
        self._closed = False
        self._reader_task = None
        self.server = None
        #: The ModelInfo dict of the loaded model, or None.
        self.model = None

    # -- construction ------------------------------------------------------------------------
    @classmethod
    async def spawn(cls, attnd=None, model=None, args=(), stderr=None, log_level="warning"):
        """Starts `attnd --stdio …` for this client alone; arguments as `Client.spawn`."""
        process = await asyncio.create_subprocess_exec(
            *_sa._spawn_command(attnd, model, args, log_level), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=stderr, start_new_session=True, limit=1 << 20)
        client = cls(process.stdout, process.stdin, process)
        await client._start(None)
        return client

    @classmethod
    async def connect(cls, socket_path, model=None):
        """Connects to `attnd --listen SOCKET_PATH` (with `model`, asks the daemon to load it)."""
        reader, writer = await asyncio.open_unix_connection(socket_path, limit=1 << 20)
        client = cls(reader, writer)
        await client._start(model)
        return client

    async def _start(self, model, client_name="selectattention.py"):
        self._reader_task = asyncio.ensure_future(self._read_loop())
        try:
            self.server = await self.call("initialize", _sa._initialize_params(model, client_name))
            self._notify("initialized", {})
        except BaseException:
            await self._shut(timeout=1.0)
            raise
        self.model = self.server.get("model")

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.close()
        return False

    async def close(self):
        """Sends shutdown and exit, closes the connection and waits for a spawned daemon."""
        if self._closed:
            return
        try:
            await asyncio.wait_for(self.call("shutdown"), timeout=5.0)
            self._notify("exit", None)
        except (_sa.SelectAttentionError, OSError, asyncio.TimeoutError):
            pass
        self._closed = True
        await self._shut(timeout=5.0)

    async def _shut(self, timeout):
        self._closed = True
        try:
            self._writer.close()
        except OSError:
            pass
        if self._process is not None:
            try:
                await asyncio.wait_for(self._process.wait(), timeout)
            except asyncio.TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._reader_task is not None:
            self._reader_task.cancel()
            try:
                await self._reader_task
            except (asyncio.CancelledError, Exception):
                pass

    # -- the wire ----------------------------------------------------------------------------
    async def call(self, method, params=None, progress=None):
        """Sends any request and returns its result; `progress(value)` gets its $/progress
        values (`True`: `progress_bar()`). Cancelling the awaiting task cancels the request."""
        if self._closed:
            raise _sa.SelectAttentionError(None, "the client is closed")
        if progress is True:
            progress = _sa.progress_bar()
        ident = next(self._ids)
        message = {"jsonrpc": "2.0", "id": ident, "method": method}
        token = None
        if progress is not None:
            token = "py-async-%d" % ident
            params = dict(params or {}, workDoneToken=token)
            self._progress[token] = progress
        if params is not None:
            message["params"] = params
        future = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            self._writer.write(_sa._frame(message))
            await self._writer.drain()
            response = await future
        except asyncio.CancelledError:
            # Task.cancel() also cancels the future being awaited; only a response already in
            # (the result won the race) means there is nothing to cancel.
            if (future.cancelled() or not future.done()) and not self._closed:
                self._notify("$/cancelRequest", {"id": ident})
            raise
        finally:
            self._pending.pop(ident, None)
            self._progress.pop(token, None)
        return _sa.Client._unwrap(response)

    def _notify(self, method, params):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._writer.write(_sa._frame(message))

    async def _read_loop(self):
        """Reads frames until the connection ends, then fails every call still waiting."""
        frames = _sa._FrameReader(None)
        failure = _sa.SelectAttentionError(None, "attnd closed the connection")
        try:
            while True:
                chunk = await self._stream.read(65536)
                if not chunk:
                    break
                frames.feed(chunk)
                message = frames.take()
                while message is not None:
                    self._dispatch(message)
                    message = frames.take()
        except (_sa.SelectAttentionError, ValueError, OSError) as error:
            failure = error if isinstance(error, _sa.SelectAttentionError) else _sa.SelectAttentionError(None, str(error))
        finally:
            for future in list(self._pending.values()):
                if not future.done():
                    future.set_exception(failure)

    def _dispatch(self, message):
        if isinstance(message, list):
            for item in message:
                self._dispatch(item)
        elif "id" in message and "method" not in message:
            future = self._pending.get(message["id"])
            if future is not None and not future.done():   # a cancelled call's -32800 is dropped
                future.set_result(message)
        elif message.get("method") == "$/progress":
            params = message.get("params") or {}
            callback = self._progress.get(params.get("token"))
            if callback is not None:
                callback(params.get("value", {}))

    async def _invoke(self, method, params=None, progress=None, finish=None):
        result = _results.wrap(method, await self.call(method, params, progress))
        if (isinstance(result, _results.Result) and self.fetch_figures and _sa._stored_run(result)
                and (self.server.get("capabilities") or {}).get("history")):
            try:
                result.figures = await self.report_figures([result["runId"]])
            except _sa.SelectAttentionError:
                result.figures = []   # the display draws its own
        return finish(result) if finish is not None else result
