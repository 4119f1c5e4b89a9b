"""Tidy an executed notebook's outputs in place (see render_notebooks.sh).

    python scripts/clean_notebook.py NOTEBOOK CHECKOUT

Drops TensorFlow's start-up noise from stream outputs (`seq2seq_keras.apps.tf_logs`),
removes streams left empty, and writes the checkout's path as `.` and temporary
folders as `/tmp/...`, so that no machine's paths are stored. Records in the
notebook's metadata (`"seq2seq_keras"`) the hash of its code cells (`code_hash`)
and its papermill run time: `tests/test_stored_notebooks.py` fails for a notebook
whose code changed after it was rendered.
"""

import hashlib
import json
import re
import sys

from seq2seq_keras.apps.tf_logs import is_noise


def code_hash(notebook: dict) -> str:
    """SHA-256 of the notebook's code cells' sources, in order."""
    sources = ["".join(cell["source"]) for cell in notebook["cells"]
               if cell["cell_type"] == "code"]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def clean(path: str, checkout: str) -> None:
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    temporary = re.compile(r"/tmp/[\w.-]+")
    for cell in notebook["cells"]:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines = "".join(output["text"]).splitlines(keepends=True)
                kept = [line for line in lines if not is_noise(line)]
                if not "".join(kept).strip():
                    continue
                output["text"] = kept
            text = json.dumps(output, ensure_ascii=False)
            text = text.replace(checkout.rstrip("/") + "/", "").replace(checkout, ".")
            outputs.append(json.loads(temporary.sub("/tmp/...", text)))
        if "outputs" in cell:
            cell["outputs"] = outputs
    notebook["metadata"]["seq2seq_keras"] = {
        "code_sha256": code_hash(notebook),
        "seconds": round(notebook["metadata"].get("papermill", {}).get("duration") or 0)}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(notebook, handle, indent=1, ensure_ascii=False)
        handle.write("\n")


if __name__ == "__main__":
    clean(sys.argv[1], sys.argv[2])
