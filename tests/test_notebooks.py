"""Run every tutorial notebook end to end with small parameters (papermill)."""

import os

import pytest
from conftest import REPO

papermill = pytest.importorskip("papermill")

# Small values for each notebook's `parameters` cell: seconds, not minutes. A new
# notebook without an entry here fails the test below, so none is left untested.
SMALL = {
    "01_lstm_anatomy.ipynb": {"epochs": 2, "num_sequences": 200, "sequence_lengths": [4, 10],
                              "seeds": [1]},
    "02_char_level_seq2seq.ipynb": {"num_pairs": 400, "epochs": 2, "units": 16, "patience": 0},
    "03_word_level_seq2seq.ipynb": {"num_pairs": 1500, "epochs": 1, "units": 16,
                                    "embedding_dim": 8, "max_tokens": 500,
                                    "num_test_sentences": 30},
    "04_attention.ipynb": {"num_pairs": 1500, "epochs": 1, "units": 16,
                           "num_test_sentences": 30, "heatmap_sentences": 1},
    "05_decoding.ipynb": {"num_sentences": 40, "reference_sentences": 3},
    "06_lstm_variants.ipynb": {"num_pairs": 1000, "epochs": 1, "units": 8, "embedding_dim": 8,
                               "num_test_sentences": 20, "seeds": [1, 2]},
    "07_training_at_scale.ipynb": {"num_pairs": 1500, "epochs": 1, "units": 16,
                                   "embedding_dim": 8, "batch_size": 64,
                                   "num_test_sentences": 30},
    "08_translate_and_export.ipynb": {},
    "09_transformer.ipynb": {"num_pairs": 1500, "epochs": 1, "units": 32, "num_blocks": 1,
                             "num_pieces": 500, "num_sentences": 20, "speed_sentences": 4,
                             "timing_batches": 1, "timing_repeats": 1},
}
NOTEBOOKS = sorted(n for n in os.listdir(os.path.join(REPO, "notebooks")) if n.endswith(".ipynb"))


def test_every_notebook_has_small_parameters():
    assert NOTEBOOKS and set(NOTEBOOKS) == set(SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, tmp_path):
    papermill.execute_notebook(
        os.path.join(REPO, "notebooks", name), str(tmp_path / name),
        parameters=SMALL[name], cwd=os.path.join(REPO, "notebooks"), kernel_name="python3",
        progress_bar=False)


# A parameter that cannot work, per notebook: the run stops in the cell after the
# parameters, with a message that names it.
BAD = {
    "01_lstm_anatomy.ipynb": ("epochs", 0), "02_char_level_seq2seq.ipynb": ("num_pairs", 0),
    "03_word_level_seq2seq.ipynb": ("num_pairs", 0),
    "04_attention.ipynb": ("epochs", 0), "05_decoding.ipynb": ("num_sentences", 0),
    "06_lstm_variants.ipynb": ("num_test_sentences", -1),
    "07_training_at_scale.ipynb": ("epochs", 0), "08_translate_and_export.ipynb": ("beam_width", 0),
    "09_transformer.ipynb": ("num_sentences", 0),
}


@pytest.mark.slow
def test_notebook_stops_at_a_parameter_that_cannot_work():
    """Each notebook with its bad parameter, as papermill would run it (the parameters
    cell, then the injected value), up to the cell after the parameters, which must
    stop with the message. All in one kernel, TensorFlow imported once (`%reset`
    between notebooks, so none sees another's names): 9 kernels took about a minute."""
    import nbclient
    import nbformat

    cells, checks = [], {}
    for name, (parameter, value) in sorted(BAD.items()):
        with open(os.path.join(REPO, "notebooks", name), encoding="utf-8") as f:
            code = [c for c in nbformat.read(f, as_version=4).cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), name
        cells += [nbformat.v4.new_code_cell("%reset -f"),
                  nbformat.v4.new_code_cell(f"{code[0].source}\n{parameter} = {value!r}"),
                  nbformat.v4.new_code_cell(code[1].source)]
        checks[name] = (len(cells) - 1, f"{parameter} must be a whole number >= 1, "
                                        f"got {parameter}={value}")
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": os.path.join(REPO, "notebooks")}}
                            ).execute()
    for name, (index, message) in checks.items():
        errors = [o for o in notebook.cells[index].outputs if o.output_type == "error"]
        assert errors and message in errors[0].evalue, (name, notebook.cells[index].outputs)
        # Nothing before the check failed: the parameters and the reset ran cleanly.
        assert not [o for c in notebook.cells[index - 2:index] for o in c.outputs
                    if o.output_type == "error"], name
