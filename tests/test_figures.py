"""The figures under notebooks/figures/: exactly what scripts/draw_figures.py draws, and
every figure a notebook links is there."""

import json
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "scripts", "draw_figures.py")
FIGURES = os.path.join(REPO, "notebooks", "figures")
NOTEBOOKS = os.path.join(REPO, "notebooks")
# `figures/NAME.svg` in a markdown cell: `![alt](figures/NAME.svg)`, an <img src=...>,
# or the path in the text.
_LINK = re.compile(r"figures/([\w.-]+\.svg)")

pytest.importorskip("matplotlib")  # the `notebooks` and `test` extras


def _svgs(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".svg"))


def _drawn_with(path):
    """The Matplotlib version named in an SVG's metadata."""
    with open(path, encoding="utf-8") as handle:
        found = re.search(r"Matplotlib v([^,<\s]+)", handle.read())
    return found.group(1) if found else None


def linked_figures(notebook_path):
    """The figure files that the markdown cells of a notebook link, in order."""
    with open(notebook_path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    return [name for cell in notebook["cells"] if cell["cell_type"] == "markdown"
            for name in _LINK.findall("".join(cell["source"]))]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Every figure drawn again, by the script, into a fresh folder."""
    folder = tmp_path_factory.mktemp("figures")
    subprocess.run([sys.executable, SCRIPT, "--out", str(folder)], check=True,
                   capture_output=True, text=True, timeout=300)
    return str(folder)


def test_stored_figures_are_what_the_script_draws(drawn):
    assert _svgs(FIGURES) == _svgs(drawn), (
        "notebooks/figures/ and the script's figures differ: run "
        "python scripts/draw_figures.py and commit the SVGs (remove any it no longer draws)")
    stored_version = _drawn_with(os.path.join(FIGURES, _svgs(FIGURES)[0]))
    version = _drawn_with(os.path.join(drawn, _svgs(drawn)[0]))
    if stored_version != version:
        pytest.skip(f"the stored figures were drawn with Matplotlib {stored_version}, this is "
                    f"{version}: their bytes may differ without any change of the script")
    changed = []
    for name in _svgs(drawn):
        with open(os.path.join(FIGURES, name), "rb") as stored, \
                open(os.path.join(drawn, name), "rb") as new:
            if stored.read() != new.read():
                changed.append(name)
    assert not changed, (
        f"{', '.join(changed)} differ from what scripts/draw_figures.py draws (edited by "
        "hand, or the script changed without drawing them again): run "
        "python scripts/draw_figures.py and commit the SVGs")


def test_the_script_draws_some_figures_by_name(tmp_path):
    subprocess.run([sys.executable, SCRIPT, "01_lstm_cell.svg", "04_attention",
                    "--out", str(tmp_path)], check=True, capture_output=True, timeout=120)
    assert _svgs(tmp_path) == ["01_lstm_cell.svg", "04_attention.svg"]
    unknown = subprocess.run([sys.executable, SCRIPT, "no_such_figure", "--out",
                              str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2
    assert "no_such_figure" in unknown.stderr and "01_lstm_cell" in unknown.stderr


def test_figures_linked_by_the_notebooks_exist():
    notebooks = sorted(n for n in os.listdir(NOTEBOOKS) if n.endswith(".ipynb"))
    assert notebooks
    missing = [f"{notebook} links figures/{name}" for notebook in notebooks
               for name in linked_figures(os.path.join(NOTEBOOKS, notebook))
               if not os.path.isfile(os.path.join(FIGURES, name))]
    assert not missing, "; ".join(missing) + " (not in notebooks/figures/)"


def test_links_are_found_in_markdown_cells(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": ["# A\n", "![The cell](figures/01_lstm_cell.svg)\n",
                                             "text, then ![x](./figures/missing.svg)"]},
        {"cell_type": "code", "source": ["open('figures/code.svg')"], "outputs": []},
        {"cell_type": "markdown", "source": '<img src="figures/09_transformer_block.svg">'},
        {"cell_type": "markdown", "source": "see [04](04_attention.ipynb), figures/bare.svg"},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    assert linked_figures(path) == ["01_lstm_cell.svg", "missing.svg",
                                    "09_transformer_block.svg", "bare.svg"]
