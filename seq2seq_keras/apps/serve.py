"""`seq2seq-keras serve`: translation over HTTP, and a web page to translate from a browser.

The models load once and are served by name (a shipped model's name or a folder's
basename; `default` is the first); no request can name a file. The routes are
TensorFlow Serving's REST API where it has one (`POST /v1/models/NAME:predict`,
`GET /v1/models/NAME`, `GET /v1/models/NAME/metadata`), so that a client moves to the
exported SavedModel under TensorFlow Serving unchanged; `POST /v1/models/NAME:explain`
(the n best, attention weights) and `GET /v1/models` serve the page at `/`
(`apps/static/`, nothing loaded from elsewhere). Requests that arrive together are
translated together (`Batcher`: a queue and a worker thread per model). The limits,
errors and the warning about authentication are in docs/serving.md.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import ipaddress
import json
import os
import signal
import sys
import time
import warnings

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seq2seq_keras.apps.interactive import translation_record
from seq2seq_keras.pretrained import NAMES, model_path
from seq2seq_keras.text.inputs import (
    MAX_SENTENCE_CHARACTERS,
    LongSentenceWarning,
    SentenceTooLongError,
)

__all__ = ["serve", "create_app", "load_models", "Batcher", "Overloaded", "model_name",
           "is_loopback", "DEFAULT_PORT", "MAX_BODY_BYTES", "MAX_INSTANCES",
           "MAX_EXPLAIN_CHARACTERS"]

DEFAULT_HOST = "127.0.0.1"
# TensorFlow Serving's REST port, so that a client moves between the two unchanged.
DEFAULT_PORT = 8501
# A request body is refused past this size, before it is read in full or parsed.
MAX_BODY_BYTES = 1 << 20
# Strings per predict request: more belongs in several requests (or `translate` offline).
MAX_INSTANCES = 256
# The text of one explain request: the page's details are per sentence, each with its
# own attention pass, which is meant for a few sentences, not a document.
MAX_EXPLAIN_CHARACTERS = 2_000
# Batching: sentences merged into one `translate` call at most, how long the worker
# waits for more once a request is there, and requests waiting per model before 503.
MAX_BATCH = 64
MAX_WAIT_SECONDS = 0.005
MAX_QUEUE = 256
RETRY_AFTER_SECONDS = 1
LIMITS = {"max_body_bytes": MAX_BODY_BYTES, "max_instances": MAX_INSTANCES,
          "max_sentence_characters": MAX_SENTENCE_CHARACTERS,
          "max_explain_characters": MAX_EXPLAIN_CHARACTERS}
# Seconds that SIGTERM leaves the requests in flight to finish.
GRACEFUL_SHUTDOWN_SECONDS = 30

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
# The page loads nothing from elsewhere: no CDN, no inline script.
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class Overloaded(Exception):
    """A model's queue is full: the request is refused with 503 and `Retry-After`."""


class _RequestError(Exception):
    """A request the server refuses: `status` and the message of its JSON error."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


@dataclasses.dataclass
class _Job:
    """One request in a model's queue: strings to translate, or a call to run alone."""

    future: asyncio.Future
    texts: list | None = None
    call: object = None


class Batcher:
    """Merges the translate requests of one model that arrive together.

    One asyncio queue and one worker thread: the worker takes the requests waiting
    (waiting up to `max_wait` seconds for more once one is there), up to `max_batch`
    strings, calls `translate` once on them all in its thread, and gives each request
    its own strings, in order. While it translates, new requests queue up and form the
    next batch, so the busier the server, the larger its batches. A request larger
    than `max_batch` is translated alone; calls (`run`) run alone, in queue order, on
    the same thread, so that one model's TensorFlow work never runs concurrently.

    Args:
        translate: `translate(list of str) -> list of str`, e.g. `Translator.translate`.
        max_batch: strings merged into one call at most.
        max_wait: seconds to wait for more requests once one is there.
        max_queue: requests waiting at most; past it `translate` and `run` raise
            `Overloaded`.
        name: names the worker thread.

    Attributes:
        batches: calls of `translate` made so far; `strings`: strings translated.

    `start` and `stop` must run in the event loop that serves the requests.
    """

    def __init__(self, translate, max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT_SECONDS,
                 max_queue: int = MAX_QUEUE, name: str = "model"):
        for key, value in (("max_batch", max_batch), ("max_queue", max_queue)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be a positive integer, got {key}={value!r}")
        if max_wait < 0:
            raise ValueError(f"max_wait must be >= 0 seconds, got max_wait={max_wait!r}")
        self._translate, self.name = translate, name
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait, max_queue
        self.batches = self.strings = 0
        self._queue = self._task = self._executor = None

    @property
    def waiting(self) -> int:
        """Requests in the queue, not yet taken by the worker."""
        return 0 if self._queue is None else self._queue.qsize()

    async def start(self) -> None:
        """Start the worker (in the running event loop)."""
        self._queue = asyncio.Queue(self.max_queue)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix=f"translate-{self.name}")
        self._task = asyncio.create_task(self._work(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        """Stop the worker; a request still waiting gets `Overloaded`."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._queue is not None and not self._queue.empty():
            _fail(self._queue.get_nowait().future, Overloaded("the server is stopping"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def translate(self, texts) -> list:
        """`translate(texts)`, merged with the other requests waiting.

        Raises:
            Overloaded: if `max_queue` requests are waiting already.
        """
        return await self._submit(_Job(asyncio.get_running_loop().create_future(),
                                       texts=list(texts)))

    async def run(self, function, *args):
        """`function(*args)` on the worker thread, alone, in queue order (`Overloaded`
        as for `translate`)."""
        return await self._submit(_Job(asyncio.get_running_loop().create_future(),
                                       call=functools.partial(function, *args)))

    async def _submit(self, job: _Job):
        if self._queue is None:
            raise RuntimeError(f"Batcher {self.name!r} is not started: call start() first")
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise Overloaded(f"model {self.name!r} has {self.max_queue} requests waiting "
                             f"(the server's --max-queue); retry in a moment") from None
        return await job.future

    async def _work(self) -> None:
        loop, held = asyncio.get_running_loop(), None
        while True:
            job, held = held or await self._queue.get(), None
            if job.call is not None:
                await self._execute(loop, [job])
                continue
            batch, size = [job], len(job.texts)
            deadline = loop.time() + self.max_wait
            while size < self.max_batch:
                try:
                    following = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    if (remaining := deadline - loop.time()) <= 0:
                        break
                    try:
                        following = await asyncio.wait_for(self._queue.get(), remaining)
                    except asyncio.TimeoutError:
                        break
                if following.call is not None or size + len(following.texts) > self.max_batch:
                    held = following  # the first of the next batch
                    break
                batch.append(following)
                size += len(following.texts)
            await self._execute(loop, batch)

    async def _execute(self, loop, batch: list) -> None:
        batch = [job for job in batch if not job.future.done()]  # cancelled: client left
        if not batch:
            return
        if batch[0].call is not None:
            try:
                _resolve(batch[0].future, await loop.run_in_executor(self._executor,
                                                                     batch[0].call))
            except Exception as error:  # noqa: BLE001  (the request's own failure)
                _fail(batch[0].future, error)
            return
        texts = [text for job in batch for text in job.texts]
        if not texts:
            for job in batch:
                _resolve(job.future, [])
            return
        try:
            outputs = await loop.run_in_executor(self._executor, self._translate, texts)
            self.batches, self.strings = self.batches + 1, self.strings + len(texts)
        except Exception as error:  # noqa: BLE001
            if len(batch) == 1:
                _fail(batch[0].future, error)
                return
            # One request's failure must not fail the others merged with it: each alone.
            for job in batch:
                await self._execute(loop, [job])
            return
        start = 0
        for job in batch:
            _resolve(job.future, list(outputs[start:start + len(job.texts)]))
            start += len(job.texts)


def _resolve(future, result):
    if not future.done():
        future.set_result(result)


def _fail(future, error):
    if not future.done():
        future.set_exception(error)


def model_name(model: str) -> str:
    """The name a `--model` is served under: a shipped model's name, or the basename of
    its folder (`runs/blog_char/` -> `blog_char`)."""
    if model in NAMES and not os.path.isdir(model):
        return model
    return os.path.basename(os.path.normpath(model))


def _check_name(name: str) -> None:
    """`ValueError` for a name no route can serve."""
    if name == "default" or not name or "/" in name or ":" in name:
        raise ValueError(f"a served model cannot be named {name!r} (`default` names the "
                         "first model; a name holds no / or :): rename its folder")


def _model_card_summary(folder: str | None) -> str | None:
    """The first paragraph of a model's MODEL_CARD.md (below its title), or `None`."""
    path = os.path.join(folder, "MODEL_CARD.md") if folder else None
    if not path or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        paragraphs = [p.strip() for p in handle.read().split("\n\n")]
    text = [p for p in paragraphs if p and not p.startswith("#")]
    return " ".join(text[0].split()) if text else None


def _string_spec(name: str) -> dict:
    """A `[None]` string tensor in TensorFlow Serving's metadata."""
    return {"dtype": "DT_STRING", "name": f"serving_default_{name}:0",
            "tensor_shape": {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False}}


class _Model:
    """A served model: its translator, batcher and what its metadata says."""

    def __init__(self, name, translator, folder, batcher):
        self.name, self.translator, self.folder, self.batcher = name, translator, folder, batcher
        self.summary = _model_card_summary(folder)

    def describe(self) -> dict:
        translator = self.translator
        return {"name": self.name, "summary": self.summary,
                "network": translator.config.network_summary(),
                "level": translator.config.level,
                "strategy": translator.strategy.get_config(),
                "has_attention": bool(translator.has_attention),
                "engine": translator.engine}


def create_app(models: dict, max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT_SECONDS,
               max_queue: int = MAX_QUEUE, folders: dict | None = None) -> Starlette:
    """The ASGI application that serves `models`.

    Args:
        models: `{name: Translator}`, in order: the first is also served as `default`.
            Names are those of the routes (`/v1/models/NAME:predict`).
        max_batch, max_wait, max_queue: each model's `Batcher` (sentences merged into
            one `translate` call, seconds to wait for more, requests waiting at most).
        folders: `{name: folder}` where each model's MODEL_CARD.md is (default: the
            shipped model's folder for a shipped name).

    Returns:
        A Starlette application; its `state.models` maps every route name (`default`
        included) to the served model, whose `batcher` counts the `translate` calls.

    Raises:
        ValueError: if `models` is empty or a name is `default` or holds `/` or `:`.
    """
    if not models:
        raise ValueError("models is empty: serve at least one, e.g. {'transformer': "
                         "load_translator('transformer')}")
    folders = dict(folders or {})
    served = {}
    for name, translator in models.items():
        _check_name(name)
        batcher = Batcher(functools.partial(_translate, translator), max_batch, max_wait,
                          max_queue, name)
        folder = folders.get(name, model_path(name) if name in NAMES else None)
        served[name] = _Model(name, translator, folder, batcher)
    first = next(iter(served.values()))
    names = list(served)

    def find(name: str) -> _Model:
        model = first if name == "default" else served.get(name)
        if model is None:
            raise _RequestError(404, f"no model named {name!r}: this server serves "
                                f"{', '.join(['default', *names])}")
        return model

    async def page(request: Request):
        return FileResponse(os.path.join(STATIC, "index.html"), headers=_PAGE_HEADERS)

    async def list_models(request: Request):
        return JSONResponse({"default": first.name, "limits": LIMITS,
                             "models": [model.describe() for model in served.values()]})

    async def model_route(request: Request):
        # One route for NAME, NAME:predict and NAME:explain, so that a method or verb
        # that does not fit gets 405 rather than "no model named 'x:predict'".
        target = request.path_params["target"]
        name, colon, verb = target.rpartition(":")
        if not colon or verb not in ("predict", "explain"):
            name, verb = target, None
        model = find(name)
        allowed = "GET" if verb is None else "POST"
        if request.method not in (allowed, "HEAD" if allowed == "GET" else allowed):
            raise _RequestError(405, f"{request.method} is not allowed on {request.url.path}: "
                                f"use {allowed}", {"Allow": allowed})
        if verb is None:
            return JSONResponse({"model_version_status": [
                {"version": "1", "state": "AVAILABLE",
                 "status": {"error_code": "OK", "error_message": ""}}]})
        body = await _read_json(request)
        if verb == "predict":
            return await _predict(model, body)
        return await _explain(model, body)

    async def metadata(request: Request):
        model = find(request.path_params["name"])
        return JSONResponse({
            "model_spec": {"name": model.name, "signature_name": "", "version": "1"},
            "metadata": {"signature_def": {"signature_def": {"serving_default": {
                "inputs": {"inputs": _string_spec("inputs")},
                "outputs": {"outputs": {**_string_spec("outputs"),
                                        "name": "StatefulPartitionedCall:0"}},
                "method_name": "tensorflow/serving/predict"}}}},
            "seq2seq_keras": {**model.describe(), "limits": LIMITS}})

    async def request_error(request: Request, error: _RequestError):
        return JSONResponse({"error": error.message}, error.status, headers=error.headers)

    async def http_error(request: Request, error: HTTPException):
        # Starlette's own: an unknown path (404), a method a route lacks (405).
        message = {404: f"no such route: {request.url.path} (see GET /v1/models, or the "
                        "page at /)",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(
                       error.status_code, str(error.detail))
        return JSONResponse({"error": message}, error.status_code, headers=error.headers)

    async def internal_error(request: Request, error: Exception):
        return JSONResponse({"error": f"internal error ({type(error).__name__}): the server "
                             "logged it and goes on serving"}, 500)

    async def lifespan(app):
        for model in served.values():
            await model.batcher.start()
        try:
            yield
        finally:
            for model in served.values():
                await model.batcher.stop()

    app = Starlette(
        routes=[Route("/", page, methods=["GET"]),
                Route("/v1/models", list_models, methods=["GET"]),
                Route("/v1/models/{name}/metadata", metadata, methods=["GET"]),
                Route("/v1/models/{target}", model_route, methods=["GET", "POST"]),
                Mount("/static", StaticFiles(directory=STATIC), name="static")],
        exception_handlers={_RequestError: request_error, HTTPException: http_error,
                            500: internal_error},
        lifespan=lifespan)
    app.state.models = {"default": first, **served}
    return app


def _translate(translator, texts: list) -> list:
    """`translator.translate(texts)` with its own strategy (the worker thread's call)."""
    return translator.translate(texts)


async def _read_json(request: Request):
    """The request's body parsed as JSON, its size checked first and while reading."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise _RequestError(400, f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > MAX_BODY_BYTES:
            raise _RequestError(413, _too_large(f"{int(length):,} bytes"))
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:  # a body longer than its Content-Length, or chunked
                raise _RequestError(413, _too_large(f"over {MAX_BODY_BYTES:,} bytes"))
            chunks.append(chunk)
    except ClientDisconnect:
        raise _RequestError(400, "the client closed the connection before the body "
                            "ended") from None
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _RequestError(400, f"the body is not valid UTF-8 (byte {error.start}: "
                            f"{error.reason}); send JSON encoded as UTF-8") from None
    if not text.strip():
        raise _RequestError(400, 'the body is empty; send JSON such as {"instances": ["Go."]}')
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _RequestError(400, f"the body is not valid JSON: {error.msg} at line "
                            f"{error.lineno} column {error.colno}") from None


def _too_large(size: str) -> str:
    return (f"the body is {size}, over the limit of {MAX_BODY_BYTES:,} bytes "
            "(serve.MAX_BODY_BYTES); send fewer or shorter strings per request")


def _predict_texts(body) -> tuple[str, list]:
    """`(output key, strings)` of a predict body, checked (`_RequestError` if not)."""
    example = 'send {"instances": ["I am cold.", "Go."]} or {"inputs": [...]}'
    if not isinstance(body, dict):
        raise _RequestError(400, f"the body must be a JSON object, got a JSON "
                            f"{_json_type(body)}; {example}")
    keys = [key for key in ("instances", "inputs") if key in body]
    if len(keys) != 1:
        which = "both" if keys else "neither"
        raise _RequestError(400, f"the body has {which} of 'instances' and 'inputs' "
                            f"(keys: {', '.join(map(repr, body)) or 'none'}); {example}")
    key = keys[0]
    values = body[key]
    if isinstance(values, dict) and key == "inputs" and set(values) == {"inputs"}:
        values = values["inputs"]  # the named columnar form: {"inputs": {"inputs": [...]}}
    if not isinstance(values, list):
        raise _RequestError(400, f"'{key}' must be a list of strings, got a JSON "
                            f"{_json_type(values)}; {example}")
    if len(values) > MAX_INSTANCES:
        raise _RequestError(413, f"'{key}' holds {len(values):,} strings, over the limit of "
                            f"{MAX_INSTANCES} per request (serve.MAX_INSTANCES); split them "
                            "over several requests")
    texts = []
    for k, value in enumerate(values):
        if isinstance(value, dict) and set(value) == {"inputs"}:
            value = value["inputs"]  # the named row form: [{"inputs": "Go."}]
        if not isinstance(value, str):
            raise _RequestError(400, f"'{key}'[{k}] must be a string, got a JSON "
                                f"{_json_type(value)}: {json.dumps(value)[:40]}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _RequestError(400, f"'{key}'[{k}] is not valid Unicode (a lone surrogate "
                                f"escape such as \\ud800): {value[:40]!r}") from None
        texts.append(value)
    return {"instances": "predictions", "inputs": "outputs"}[key], texts


def _json_type(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}[type(value)]


async def _check_lengths(model: _Model, texts: list, key: str = "instances") -> None:
    """Refuse a sentence over `MAX_SENTENCE_CHARACTERS` before translating anything.

    A string within the limit holds no sentence over it; a longer one may be a
    paragraph of many sentences, which `translate` takes: those are split (on the
    worker thread, as `translate` would split them) to find out.
    """
    for k, text in enumerate(texts):
        if len(text) > MAX_SENTENCE_CHARACTERS:
            try:
                await model.batcher.run(model.translator.split, text)
            except SentenceTooLongError as error:
                raise _RequestError(400, f"'{key}'[{k}] not translated: {error}") from None


async def _predict(model: _Model, body) -> JSONResponse:
    output_key, texts = _predict_texts(body)
    input_key = {"predictions": "instances", "outputs": "inputs"}[output_key]
    try:
        await _check_lengths(model, texts, input_key)
        outputs = await model.batcher.translate(texts)
    except Overloaded as error:
        raise _RequestError(503, str(error), {"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    except SentenceTooLongError as error:  # a limit reached after normalization
        raise _RequestError(400, f"not translated: {error}") from None
    return JSONResponse({output_key: outputs})


async def _explain(model: _Model, body) -> JSONResponse:
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise _RequestError(400, 'send {"text": "I am cold."}: the body must be a JSON object '
                            "whose 'text' is a string")
    if len(text) > MAX_EXPLAIN_CHARACTERS:
        raise _RequestError(413, f"'text' holds {len(text):,} characters, over the limit of "
                            f"{MAX_EXPLAIN_CHARACTERS:,} for the details of a translation "
                            "(serve.MAX_EXPLAIN_CHARACTERS); use :predict for longer text")
    try:
        text.encode("utf-8")
        record = await model.batcher.run(translation_record, model.translator, text)
    except UnicodeEncodeError:
        raise _RequestError(400, "'text' is not valid Unicode (a lone surrogate escape such "
                            "as \\ud800)") from None
    except Overloaded as error:
        raise _RequestError(503, str(error), {"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    if "error" in record:
        raise _RequestError(400, f"not translated: {record['error']}")
    return JSONResponse({"model": model.name, **record})


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name (only this machine can connect)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_models(models) -> tuple[dict, dict]:
    """Load `--model` values (names or folders): `({name: Translator}, {name: folder})`;
    a folder that `export --format ctranslate2` wrote is served by CTranslate2.

    Raises:
        ValueError: if two models would be served under one name.
        FileNotFoundError: if a model's folder or a file of it is missing.
    """
    folders = {}
    for model in models:  # every name checked before the first model loads
        name = model_name(model)
        _check_name(name)
        if name in folders:
            raise ValueError(f"two models would be served as {name!r} ({folders[name]} and "
                             f"{model_path(model)}): serve one, or rename a folder")
        folders[name] = model_path(model)
    return {name: _load(folder) for name, folder in folders.items()}, folders


def _load(folder: str):
    """A `Translator`, or a `CTranslate2Translator` for a folder that `export --format
    ctranslate2` wrote (its `model.bin`): the same input rules and strings contract on
    the faster engine (docs/results.md, "CTranslate2")."""
    from seq2seq_keras.translation.ctranslate2 import (
        CTranslate2Translator,
        is_ctranslate2_folder,
    )

    if is_ctranslate2_folder(folder):
        return CTranslate2Translator(folder)
    from seq2seq_keras.translation.translator import load_translator

    return load_translator(folder)


def serve(models, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT_SECONDS,
          max_queue: int = MAX_QUEUE, access_log: bool = False, note=None) -> int:
    """Load `models` and serve them until SIGTERM or Ctrl-C (the `serve` command).

    Args:
        models: `--model` values: shipped names or folders written by `train`; the
            first is `default`.
        host, port: where to listen; a host other than loopback gets a warning (no
            authentication).
        max_batch, max_wait, max_queue: see `create_app`.
        access_log: log each request (uvicorn's access log).
        note: prints a line for the user (default: to stderr).

    Returns:
        The exit code: 0 once stopped by SIGTERM or Ctrl-C (after the requests in
        flight are answered), 1 if the server could not start.
    """
    note = note or functools.partial(print, file=sys.stderr, flush=True)
    if not is_loopback(host):
        note(f"warning: serving on {host}, not loopback, with no authentication: anyone who "
             f"can reach port {port} can use the models and this machine's CPU. Put it "
             "behind a proxy that authenticates, or use --host 127.0.0.1")
    start = time.perf_counter()
    # The API has no place for the warning on a sentence longer than any the model was
    # trained on; translated anyway, as `translate` does.
    warnings.filterwarnings("ignore", category=LongSentenceWarning)
    translators, folders = load_models(models)
    for name, translator in translators.items():
        # Trace the searches now, so that the first request is as fast as the next.
        translator.translate(["Hi.", "I am cold. Thank you."])
        translation_record(translator, "Hi.")
        note(f"{name}: {translator!r}")
    app = create_app(translators, max_batch, max_wait, max_queue, folders)
    shown = f"[{host}]" if ":" in host else host
    note(f"loaded and warmed up in {time.perf_counter() - start:.1f} s; serving "
         f"{', '.join(translators)} (default: {next(iter(translators))}); the page: "
         f"http://{shown}:{port}/")
    # uvicorn's info lines say when it listens and when it stops.
    config = uvicorn.Config(app, host=host, port=port, access_log=access_log,
                            log_level="info", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    server = uvicorn.Server(config)
    # uvicorn stops gracefully on SIGTERM or Ctrl-C, then restores the handlers it found
    # and raises the signal again; with these, that ends here, so that the command
    # exits 0 with its last log lines written (not killed by the signal).
    stopped_by = []
    previous = {sig: signal.signal(sig, lambda number, frame: stopped_by.append(number))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopped_by:
        note(f"stopped by {signal.Signals(stopped_by[0]).name}, the requests in flight "
             "answered")
    return 0 if server.started else 1
