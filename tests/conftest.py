"""Shared fixtures: tiny corpora cut from the shipped data, tiny configs."""

import gzip
import os

import pytest

import seq2seq_keras as s2s

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_corpus(path, lines, compress=False):
    """Write raw corpus lines (str or bytes) to `path`, one per line."""
    data = b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines)
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(data)
    return str(path)


@pytest.fixture(scope="session")
def shipped_lines():
    """The first 3,000 raw lines of the shipped fra-eng corpus."""
    with gzip.open(s2s.data.default_corpus_path(), "rt", encoding="utf-8") as handle:
        return [next(handle).rstrip("\n") for _ in range(3000)]


@pytest.fixture
def tiny_config():
    """A model small enough to build and run in milliseconds."""
    return s2s.Config(name="tiny", units=8, batch_size=4, epochs=1, patience=0,
                      sort_window=1, num_pairs=200, validation_fraction=0.2)


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def headless_chromium(width: int = 1200):
    """Selenium's Chrome driver on Debian's Chromium, headless, its console log kept
    (`driver.get_log("browser")`); skips the test where Chromium is missing
    (scripts/test.sh installs it as root)."""
    import shutil

    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"no Chromium at {CHROMIUM} and {CHROMEDRIVER} (Debian: apt-get install "
                    "chromium chromium-driver; scripts/test.sh does it as root)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={width},1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options,
                            service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
