"""The notebooks as stored: executed at their defaults, in order, and not edited since."""

import importlib.util
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(n for n in os.listdir(os.path.join(REPO, "notebooks"))
                   if n.endswith(".ipynb"))
_spec = importlib.util.spec_from_file_location(
    "clean_notebook", os.path.join(REPO, "scripts", "clean_notebook.py"))
clean_notebook = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean_notebook)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_is_rendered_and_unchanged(name):
    path = os.path.join(REPO, "notebooks", name)
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    rendered = notebook["metadata"].get("seq2seq_keras")
    assert rendered is not None, (
        f"{name} is stored without its outputs: run bash scripts/render_notebooks.sh "
        f"{name[:-6]}")
    assert rendered["code_sha256"] == clean_notebook.code_hash(notebook), (
        f"{name}'s code changed after it was rendered: run "
        f"bash scripts/render_notebooks.sh {name[:-6]}")
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1))
    errors = [output for cell in code for output in cell["outputs"]
              if output["output_type"] == "error"]
    assert not errors
    text = json.dumps(notebook["cells"])
    assert "/work/" not in text and "/home/" not in text  # no machine paths
    assert os.path.getsize(path) <= 3 * 1024 * 1024
    assert rendered["seconds"] > 0
