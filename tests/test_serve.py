"""`seq2seq-keras serve`: the routes, the refusals, the batching, a real server and a
real browser. Most tests use the small shipped `blog_char`, loaded once."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import headless_chromium

pytest.importorskip("starlette", reason="the serve extra: pip install -e '.[serve]'")
from starlette.testclient import TestClient  # noqa: E402

from seq2seq_keras.apps import serve  # noqa: E402
from seq2seq_keras.apps.cli import build_parser, main  # noqa: E402
from seq2seq_keras.text.inputs import MAX_SENTENCE_CHARACTERS  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES = ["Go.", "I am cold.", "Thank you.", "Tom is tired. He wants to sleep.",
             "Where is the station?", "", "We have to go now!", "It's raining."]
PREDICT = "/v1/models/default:predict"
# blog_char was trained on sentences of at most 16 characters: most of these are longer.
pytestmark = pytest.mark.filterwarnings(
    "ignore::seq2seq_keras.text.inputs.LongSentenceWarning")


@pytest.fixture(scope="module")
def translator():
    translators, _ = serve.load_models(["blog_char"])
    return translators["blog_char"]


@pytest.fixture(scope="module")
def expected(translator):
    return dict(zip(SENTENCES, translator.translate(SENTENCES), strict=True))


@pytest.fixture
def client(translator):
    with TestClient(serve.create_app({"blog_char": translator})) as client:
        yield client


def _wait_for(condition, what, timeout=60):
    """Poll `condition()` until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


# The routes.

@pytest.mark.parametrize("name", ["default", "blog_char"])
def test_predict_gives_the_strings_of_translate(client, expected, name):
    url = f"/v1/models/{name}:predict"
    response = client.post(url, json={"instances": SENTENCES})
    assert response.status_code == 200
    assert response.json() == {"predictions": [expected[s] for s in SENTENCES]}
    # The columnar form, and TensorFlow Serving's named forms of both.
    assert client.post(url, json={"inputs": SENTENCES[:3]}).json() == {
        "outputs": [expected[s] for s in SENTENCES[:3]]}
    assert client.post(url, json={"instances": [{"inputs": "Go."}]}).json() == {
        "predictions": [expected["Go."]]}
    assert client.post(url, json={"inputs": {"inputs": ["Go."]}}).json() == {
        "outputs": [expected["Go."]]}
    assert client.post(url, json={"instances": []}).json() == {"predictions": []}


def test_status_and_metadata(client, translator):
    for name in ("default", "blog_char"):
        status = client.get(f"/v1/models/{name}").json()
        assert status["model_version_status"][0]["state"] == "AVAILABLE"
        metadata = client.get(f"/v1/models/{name}/metadata").json()
        signature = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert signature["inputs"]["inputs"]["dtype"] == "DT_STRING"
        assert list(signature["outputs"]) == ["outputs"]
        ours = metadata["seq2seq_keras"]
        assert metadata["model_spec"]["name"] == ours["name"] == "blog_char"
        assert ours["strategy"] == translator.strategy.get_config()
        assert ours["network"] == translator.config.network_summary()
        assert ours["limits"]["max_sentence_characters"] == MAX_SENTENCE_CHARACTERS
    listed = client.get("/v1/models").json()
    assert listed["default"] == "blog_char"
    assert [m["name"] for m in listed["models"]] == ["blog_char"]


def test_the_model_card_summary_is_its_first_paragraph(tmp_path):
    (tmp_path / "MODEL_CARD.md").write_text("# Model card: x\n\nFirst line\nof the first.\n\n"
                                            "## More\n\nSecond.\n", encoding="utf-8")
    assert serve._model_card_summary(str(tmp_path)) == "First line of the first."
    assert serve._model_card_summary(str(tmp_path / "missing")) is None
    summary = serve._model_card_summary(os.path.join(REPO, "seq2seq_keras", "pretrained",
                                                     "transformer"))
    assert summary.startswith("The default model of")


def test_explain_gives_the_n_best_with_scores(client, translator):
    response = client.post("/v1/models/blog_char:explain", json={"text": "Go. I am cold."})
    assert response.status_code == 200
    record = response.json()
    assert record["model"] == "blog_char"
    assert record["translation"] == translator.translate("Go. I am cold.")
    assert [s["source"] for s in record["sentences"]] == ["Go.", "I am cold."]
    for sentence in record["sentences"]:
        assert sentence["n_best"][0]["translation"] == sentence["translation"]
        scores = [h["score"] for h in sentence["n_best"]]
        assert len(scores) > 1 and scores == sorted(scores, reverse=True)
        assert "attention" not in sentence  # blog_char has no attention


def test_the_page_and_its_files_come_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    html = page.text
    for needed in ('<label for="source">', 'id="translation"', 'aria-live="polite"',
                   '<label for="model">', 'id="heatmap"', 'id="nbest"'):
        assert needed in html
    assert "http://" not in html and "https://" not in html  # no CDN
    for path in ("/static/serve.js", "/static/serve.css", "/static/favicon.svg"):
        assert path in html
        assert client.get(path).status_code == 200
    script = client.get("/static/serve.js").text
    assert ":predict" in script and ":explain" in script and "setTimeout" in script
    assert client.get("/static/../serve.py").status_code == 404


# Bad requests: a 4xx JSON error that says what is wrong, and the server goes on.

def _chunks(*parts):
    yield from parts


@pytest.mark.parametrize("body, status, says", [
    (b'{"instances": ["Go."', 400, "not valid JSON"),
    (b"", 400, "empty"),
    (b'["Go."]', 400, "must be a JSON object"),
    (b'{"sentences": ["Go."]}', 400, "neither of 'instances' and 'inputs'"),
    (b'{"instances": ["Go."], "inputs": ["Go."]}', 400, "both"),
    (b'{"instances": "Go."}', 400, "must be a list of strings"),
    (b'{"instances": ["Go.", 3]}', 400, "'instances'[1] must be a string, got a JSON number"),
    (b'{"inputs": [null]}', 400, "'inputs'[0] must be a string, got a JSON null"),
    (b'{"instances": ["Go \xff."]}', 400, "not valid UTF-8"),
    (b'{"instances": ["\\ud800"]}', 400, "not valid Unicode"),
    (json.dumps({"instances": ["Go."] * (serve.MAX_INSTANCES + 1)}).encode(), 413,
     f"over the limit of {serve.MAX_INSTANCES}"),
    (json.dumps({"instances": ["a" * (MAX_SENTENCE_CHARACTERS + 1)]}).encode(), 400,
     f"over the limit of {MAX_SENTENCE_CHARACTERS:,}"),
    (b" " * (serve.MAX_BODY_BYTES + 1), 413, f"over the limit of {serve.MAX_BODY_BYTES:,}"),
])
def test_a_bad_predict_request_is_refused_clearly(client, expected, body, status, says):
    response = client.post(PREDICT, content=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert says in response.json()["error"]
    assert client.post(PREDICT, json={"instances": ["Go."]}).json() == {
        "predictions": [expected["Go."]]}


def test_a_body_too_large_is_refused_while_read(client, translator, monkeypatch):
    # Without Content-Length (chunked), the size is counted as the body arrives.
    calls = []
    monkeypatch.setattr(translator, "translate", lambda texts: calls.append(texts))
    chunk = b" " * (64 * 1024)
    response = client.post(PREDICT, content=_chunks(b'{"instances": ["Go."]}',
                                                   *[chunk] * 17))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "over the limit" in response.json()["error"]
    response = client.post(PREDICT, content=b"{}", headers={"content-length": "9" * 12})
    assert response.status_code == 413 and calls == []


def test_a_long_paragraph_is_split_before_it_is_refused(translator, monkeypatch):
    # Over the limit as one string, but made of short sentences: translated, as
    # `translate` would; one long sentence in it is refused before anything runs.
    calls = []
    monkeypatch.setattr(translator, "translate",
                        lambda texts: calls.append(texts) or [str(len(t)) for t in texts])
    paragraph = "I am cold, tired and hungry. " * (MAX_SENTENCE_CHARACTERS // 29 + 10)
    with TestClient(serve.create_app({"blog_char": translator})) as client:
        response = client.post(PREDICT, json={"instances": ["Go.", paragraph]})
        assert response.json() == {"predictions": ["3", str(len(paragraph))]}
        long = "Go. " + "a" * (MAX_SENTENCE_CHARACTERS + 1)
        response = client.post(PREDICT, json={"instances": ["Go.", long]})
        assert response.status_code == 400
        assert "'instances'[1] not translated" in response.json()["error"]
    assert calls == [["Go.", paragraph]]


@pytest.mark.parametrize("method, path, status, says", [
    ("GET", "/v1/models/nope", 404, "no model named 'nope': this server serves default, "
     "blog_char"),
    ("POST", "/v1/models/nope:predict", 404, "no model named 'nope'"),
    ("GET", "/v1/models/nope/metadata", 404, "no model named 'nope'"),
    ("POST", "/v1/models/..%2F..%2Fetc:predict", 404, "no such route"),
    ("GET", "/v1/other", 404, "no such route"),
    ("GET", PREDICT, 405, "GET is not allowed on /v1/models/default:predict: use POST"),
    ("POST", "/v1/models/default", 405, "use GET"),
    ("DELETE", "/v1/models/default", 405, "DELETE is not allowed"),
    ("POST", "/", 405, "POST is not allowed on /"),
    ("POST", "/v1/models/default/metadata", 405, "not allowed"),
])
def test_unknown_models_routes_and_methods(client, method, path, status, says):
    response = client.request(method, path, json={"instances": ["Go."]})
    assert response.status_code == status
    assert says in response.json()["error"]
    if status == 405:
        assert response.headers["allow"]


@pytest.mark.parametrize("body, status, says", [
    ({"instances": ["Go."]}, 400, "'text' is a string"),
    ({"text": "a" * (serve.MAX_EXPLAIN_CHARACTERS + 1)}, 413, "use :predict"),
])
def test_a_bad_explain_request_is_refused(client, body, status, says):
    response = client.post("/v1/models/default:explain", json=body)
    assert response.status_code == status and says in response.json()["error"]


def test_names_and_hosts():
    assert serve.model_name("blog_char") == "blog_char"
    assert serve.model_name(os.path.join("runs", "my_model") + os.sep) == "my_model"
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert serve.is_loopback(host)
    for host in ("0.0.0.0", "::", "192.168.1.4", "example.org"):
        assert not serve.is_loopback(host)
    with pytest.raises(ValueError, match="two models would be served as 'blog_char'"):
        serve.load_models(["blog_char", "blog_char"])
    with pytest.raises(ValueError, match="cannot be named 'default'"):
        serve.create_app({"default": object()})
    with pytest.raises(ValueError, match="max_queue must be a positive integer"):
        serve.Batcher(len, max_queue=0)


def test_the_command_line_defaults_are_the_servers():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == (serve.DEFAULT_HOST, serve.DEFAULT_PORT)
    assert (args.max_batch, args.max_queue) == (serve.MAX_BATCH, serve.MAX_QUEUE)
    assert args.max_wait_ms / 1000 == serve.MAX_WAIT_SECONDS and not args.access_log
    args = build_parser().parse_args(["serve", "--model", "blog_char", "--model", "runs/x"])
    assert [serve.model_name(m) for m in args.model] == ["blog_char", "x"]


def test_serving_beyond_loopback_warns_of_no_authentication(tmp_path, capfd):
    missing = str(tmp_path / "missing_model")
    assert main(["serve", "--host", "0.0.0.0", "--model", missing]) == 2
    err = capfd.readouterr().err
    assert "warning: serving on 0.0.0.0, not loopback, with no authentication" in err
    assert "seq2seq-keras serve: error: " in err and "missing_model" in err


# Batching.

class _Gate:
    """Holds the model's worker inside `translate` until opened; records each call."""

    def __init__(self, translate):
        self.translate, self.calls, self.opened = translate, [], threading.Event()

    def __call__(self, texts, *args, **kwargs):
        self.calls.append(list(texts))
        assert self.opened.wait(60), "the test never opened the gate"
        return self.translate(texts, *args, **kwargs)


def test_concurrent_requests_are_merged_and_answered_in_order(translator, expected,
                                                              monkeypatch):
    gate = _Gate(translator.translate)
    monkeypatch.setattr(translator, "translate", gate)
    # Seven requests of one to three strings, in different orders.
    requests = [SENTENCES[k:k + 1 + k % 3] for k in range(7)]
    app = serve.create_app({"blog_char": translator})
    batcher = app.state.models["default"].batcher
    with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
        def post(instances):
            return client.post(PREDICT, json={"instances": instances})

        first = pool.submit(post, ["Go."])
        _wait_for(lambda: len(gate.calls) == 1, "the first request to reach translate")
        # The worker is busy: these queue up, and the next batch takes them all.
        answers = [pool.submit(post, instances) for instances in requests]
        _wait_for(lambda: batcher.waiting == len(requests), "the requests to queue up")
        gate.opened.set()
        assert first.result().json() == {"predictions": [expected["Go."]]}
        for instances, answer in zip(requests, answers, strict=True):
            assert answer.result().json() == {"predictions": [expected[s] for s in instances]}
    # Two calls of translate for eight requests; the second merged the seven in the order
    # they arrived, which the threads decide.
    assert len(gate.calls) == 2 and gate.calls[0] == ["Go."]
    assert sorted(gate.calls[1]) == sorted(s for instances in requests for s in instances)
    assert batcher.batches == 2


def test_a_full_queue_answers_503_with_retry_after(translator, expected, monkeypatch):
    gate = _Gate(translator.translate)
    monkeypatch.setattr(translator, "translate", gate)
    app = serve.create_app({"blog_char": translator}, max_queue=1)
    batcher = app.state.models["default"].batcher
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        running = pool.submit(client.post, PREDICT, json={"instances": ["Go."]})
        _wait_for(lambda: len(gate.calls) == 1, "the first request to reach translate")
        waiting = pool.submit(client.post, PREDICT, json={"inputs": ["I am cold."]})
        _wait_for(lambda: batcher.waiting == 1, "the second request to queue up")
        refused = client.post(PREDICT, json={"instances": ["Thank you."]})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert "1 requests waiting" in refused.json()["error"]
        gate.opened.set()
        assert running.result().json() == {"predictions": [expected["Go."]]}
        assert waiting.result().json() == {"outputs": [expected["I am cold."]]}
        assert client.post(PREDICT, json={"instances": ["Go."]}).status_code == 200


def test_the_batcher_keeps_requests_apart():
    calls = []

    def translate(texts):
        calls.append(list(texts))
        if "bad" in texts:
            raise ValueError("bad input")
        return [text.upper() for text in texts]

    async def run():
        batcher = serve.Batcher(translate, max_batch=4, max_wait=0.5)
        await batcher.start()
        try:
            # Submitted together: merged (up to 4 strings), a failure retried apart.
            found = await asyncio.gather(
                batcher.translate(["a"]), batcher.translate(["bad"]),
                batcher.translate(["b", "c"]), batcher.translate(["d", "e", "f", "g", "h"]),
                batcher.run(lambda: "called"), batcher.translate([]),
                return_exceptions=True)
        finally:
            await batcher.stop()
        return found

    found = asyncio.run(run())
    assert found[0] == ["A"] and found[2] == ["B", "C"]
    assert isinstance(found[1], ValueError)
    assert found[3] == ["D", "E", "F", "G", "H"]  # over max_batch: alone
    assert found[4] == "called" and found[5] == []
    assert calls[:4] == [["a", "bad", "b", "c"], ["a"], ["bad"], ["b", "c"]]
    assert calls[4:] == [["d", "e", "f", "g", "h"]]  # and none for the empty request


# A real server.

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(*models, timeout=240):
    """`seq2seq-keras serve` in a subprocess on a free loopback port, once it answers:
    `(process, base URL)`."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [REPO, *filter(None, [os.environ.get("PYTHONPATH")])])}
    command = [sys.executable, "-m", "seq2seq_keras.apps.cli", "serve", "--port", str(port)]
    for model in models:
        command += ["--model", model]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}):\n"
                                 f"{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{base}/v1/models/default", timeout=5):
                return process, base
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"no answer at {base} after {timeout} s") from None
            time.sleep(0.2)


def _post(url, body, timeout=120):
    request = urllib.request.Request(url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def test_a_real_server_translates_and_stops_gracefully(expected):
    process, base = _start_server("blog_char")
    try:
        status, answer = _post(f"{base}{PREDICT}", {"instances": SENTENCES})
        assert status == 200 and answer == {"predictions": [expected[s] for s in SENTENCES]}
        # SIGTERM while a request is being translated: it finishes, then the server stops.
        many = SENTENCES * 32
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(_post, f"{base}/v1/models/blog_char:predict",
                                    {"instances": many})
            time.sleep(0.5)  # let the request reach the server (not a timing assert)
            process.send_signal(signal.SIGTERM)
            status, answer = in_flight.result()
        assert status == 200 and answer["predictions"] == [expected[s] for s in many]
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        output = process.stdout.read()
    assert "serving blog_char (default: blog_char)" in output
    assert "Finished server process" in output and "Traceback" not in output
    assert "stopped by SIGTERM, the requests in flight answered" in output


# A real browser.



@pytest.mark.slow
def test_the_page_translates_in_a_real_browser():
    driver = headless_chromium(1100)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    process = None
    try:
        process, base = _start_server("transformer", "blog_char")
        driver.get(base + "/")
        wait = WebDriverWait(driver, 120)
        model = Select(driver.find_element(By.ID, "model"))
        wait.until(lambda d: len(model.options) == 2)
        assert model.first_selected_option.get_attribute("value") == "transformer"
        source = driver.find_element(By.ID, "source")
        source.send_keys("I am cold. Where is the station?")  # no button: as you type
        wait.until(lambda d: d.find_element(By.ID, "translation").text.strip())
        _, expected = _post(f"{base}/v1/models/transformer:predict",
                            {"instances": ["I am cold. Where is the station?"]})
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#heatmap table td"))
        assert driver.find_element(By.ID, "translation").text == expected["predictions"][0]
        assert len(driver.find_elements(By.CSS_SELECTOR, "#nbest ol.nbest")) == 2
        rows = driver.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr")
        assert rows and driver.find_elements(By.CSS_SELECTOR, "#heatmap thead th")
        # The second sentence's heat map, chosen with the keyboard-usable select.
        Select(driver.find_element(By.ID, "sentence")).select_by_index(1)
        caption = driver.find_element(By.CSS_SELECTOR, "#heatmap caption").text
        assert "Where is the station?" in caption
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1100, min(height + 140, 2400))  # the whole page
        # The docs' screenshot, replaced whole: the docs build may read it meanwhile.
        shot = os.path.join(REPO, "docs", "serve.png")
        driver.save_screenshot(shot + ".part.png")
        os.replace(shot + ".part.png", shot)
        # Another model, chosen from the page: its translation, and no heat map.
        model.select_by_value("blog_char")
        wait.until(lambda d: "no attention" in d.find_element(By.ID, "heatmap").text)
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
