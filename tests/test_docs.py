"""The README and the documentation site.

The README's figures are the stored ones; the site builds strict (a broken link or a missing
page fails `mkdocs build --strict`, the build `bash scripts/docs.sh` runs), holds every page
the navigation promises, and opens in a real browser (headless Chromium, as in
tests/test_serve.py): the home page, a notebook page and the serving page, their images
loaded, no console errors, search answering.
"""

from __future__ import annotations

import functools
import glob
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from conftest import headless_chromium

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRETRAINED = os.path.join(REPO, "seq2seq_keras", "pretrained")


def _read(path: str) -> str:
    with open(os.path.join(REPO, path), encoding="utf-8") as file:
        return file.read()


def _notebooks() -> list[str]:
    return sorted(os.path.basename(path)
                  for path in glob.glob(os.path.join(REPO, "notebooks", "[0-9]*.ipynb")))


# The README.


def test_the_readme_is_short_and_starts_with_the_two_commands():
    readme = _read("README.md")
    assert len(readme.splitlines()) <= 160
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == [
        "bash scripts/demo.sh", "bash scripts/test.sh"]
    assert readme.index("bash scripts/demo.sh") < readme.index("\n## ")


def test_the_readme_lists_every_notebook_with_its_stored_run_time():
    """The run time beside each notebook is the one its last rendering stored
    (`bash scripts/render_notebooks.sh NAME` writes `seq2seq_keras.seconds`): after a
    rendering, copy the time it printed into the README's line."""
    readme = _read("README.md")
    for name in _notebooks():
        with open(os.path.join(REPO, "notebooks", name), encoding="utf-8") as file:
            seconds = round(json.load(file)["metadata"]["seq2seq_keras"]["seconds"])
        time_text = f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"
        line = next((line for line in readme.splitlines() if f"(notebooks/{name})" in line),
                    None)
        assert line is not None, f"README.md does not list notebooks/{name}"
        assert line.endswith(f"({time_text})"), (
            f"README.md gives {name} another run time than its rendering's, {time_text}: "
            f"{line!r}")


def test_the_readme_results_are_the_stored_evaluations():
    """Each figure of the README's results table is in the model's evaluation file, which
    `seq2seq-keras evaluate` wrote."""
    rows = [line for line in _read("README.md").splitlines()
            if line.startswith("| `") and "seq2seq-keras evaluate --model" in line]
    checked = set()
    for row in rows:
        name = re.match(r"\| `(\w+)`", row).group(1)
        figures = re.findall(r"(\d+\.\d+) / (\d+\.\d+)", row)
        for style, (bleu, chrf) in zip(("", "_typed"), figures, strict=False):
            path = os.path.join(PRETRAINED, name, f"evaluation_beam4{style}.json")
            if not os.path.exists(path):
                assert name == "blog_char", f"no {path} for the README's figures of {name}"
                continue
            with open(path, encoding="utf-8") as file:
                stored = json.load(file)
            assert stored["split"] == "test"
            assert (f"{stored['bleu']:.2f}", f"{stored['chrf']:.2f}") == (bleu, chrf), (
                f"README.md: {name}{style} {bleu} / {chrf}, stored {stored['bleu']} / "
                f"{stored['chrf']}")
            checked.add((name, style))
    assert {("transformer", ""), ("transformer", "_typed"), ("en_fr", "")} <= checked


def test_the_navigation_holds_every_notebook_and_model_card():
    yaml = pytest.importorskip("yaml", reason="the docs extra: pip install -e '.[docs]'")
    with open(os.path.join(REPO, "mkdocs.yml"), encoding="utf-8") as file:
        config = yaml.safe_load(file)

    def pages(nav):
        for item in nav:
            if isinstance(item, str):
                yield item
            else:
                for value in item.values():
                    yield from pages(value) if isinstance(value, list) else [value]

    listed = list(pages(config["nav"]))
    notebooks = [page for page in listed if page.endswith(".ipynb")]
    assert notebooks == [f"notebooks/{name}" for name in _notebooks()]  # in the lessons' order
    cards = sorted(os.path.basename(os.path.dirname(path)) for path in
                   glob.glob(os.path.join(PRETRAINED, "*", "MODEL_CARD.md")))
    assert sorted(p[len("models/"):-3] for p in listed if p.startswith("models/")) == cards
    assert "results.md" in listed and "input_rules.md" in listed


# The site.


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="the docs extra: pip install -e '.[docs]'")
    folder = str(tmp_path_factory.mktemp("site"))
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", folder],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seconds = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    print(f"mkdocs build --strict: {seconds:.1f} s")
    return folder


@pytest.mark.slow
def test_the_site_builds_strict_with_every_page(site):
    expected = ["index.html", "getting_started.html", "command_line.html", "python_api.html",
                "input_rules.html", "serving.html", "results.html", "notebooks/index.html",
                "reference/index.html", "serve.png"]
    expected += [f"notebooks/{name[:-6]}.html" for name in _notebooks()]
    expected += [f"notebooks/{name}" for name in _notebooks()]  # the downloads
    expected += [os.path.relpath(path, REPO) for path in
                 glob.glob(os.path.join(REPO, "notebooks", "figures", "*.svg"))]
    expected += [f"models/{os.path.basename(os.path.dirname(path))}.html" for path in
                 glob.glob(os.path.join(PRETRAINED, "*", "MODEL_CARD.md"))]
    missing = [page for page in expected if not os.path.exists(os.path.join(site, page))]
    assert missing == []

    with open(os.path.join(site, "notebooks", "01_lstm_anatomy.html"), encoding="utf-8") as f:
        notebook = f.read()
    assert "jp-OutputArea-output" in notebook  # the stored outputs are shown
    with open(os.path.join(site, "command_line.html"), encoding="utf-8") as f:
        command_line = f.read()
    for command in ("translate", "train", "evaluate", "bench", "average", "lexicon", "export",
                    "serve"):
        assert f"$ seq2seq-keras {command} --help" in command_line
    assert "<!-- help:" not in command_line
    with open(os.path.join(site, "search", "search_index.json"), encoding="utf-8") as f:
        searched = {doc["location"].split("#")[0] for doc in json.load(f)["docs"]}
    assert {"notebooks/04_attention.html", "input_rules.html",
            "reference/translation.html"} <= searched


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass




@pytest.mark.slow
def test_the_site_in_a_real_browser(site):
    """The home page, a notebook page and the serving page load in headless Chromium with
    every image and no console error; the search box finds a notebook.

    The notebooks' formulas use MathJax from cdnjs, the one resource from elsewhere:
    failing to load it (a machine offline, as the tests may run) is not the site's error,
    so console errors about other hosts are left out."""
    driver = headless_chromium(1200)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    wait = WebDriverWait(driver, 60)
    try:
        for page, images in (("index.html", 0), ("notebooks/01_lstm_anatomy.html", 1),
                             ("serving.html", 1)):
            driver.get(f"{base}/{page}")
            wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
            wait.until(lambda d: d.execute_script(
                "return [...document.images].every(i => i.complete)"))
            broken = driver.execute_script(
                "return [...document.images].filter(i => i.naturalWidth === 0)"
                ".map(i => i.src)")
            assert broken == [], f"{page}: images that did not load: {broken}"
            count = driver.execute_script("return document.images.length")
            assert count >= images, f"{page}: {count} images, expected at least {images}"
            errors = [entry["message"] for entry in driver.get_log("browser")
                      if entry["level"] == "SEVERE"
                      and not re.search(r"https?://(?!127\.0\.0\.1)", entry["message"])]
            assert errors == [], f"{page}: console errors: {errors}"
        # Search (a web worker over search/search_index.json) finds a notebook.
        driver.get(f"{base}/index.html")
        box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
        box.click()
        box.send_keys("Bahdanau")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
        links = [a.get_attribute("href") for a in
                 driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")]
        assert any("notebooks/04_attention.html" in link for link in links), links
        errors = [entry["message"] for entry in driver.get_log("browser")
                  if entry["level"] == "SEVERE"
                  and not re.search(r"https?://(?!127\.0\.0\.1)", entry["message"])]
        assert errors == []
    finally:
        driver.quit()
        server.shutdown()
