"""The models shipped with the package, one folder each, and where they are.

Each folder holds what `training.saving` writes (`translator.json`, the weights, the
vocabularies inside the JSON, and a `MODEL_CARD.md`); `load_translator(NAME)` reads it.
No TensorFlow here: the command line resolves a name before it imports anything heavy.
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_MODEL", "NAMES", "model_path"]

_FOLDER = os.path.dirname(os.path.abspath(__file__))

# The shipped model that `translate` uses when no model is given.
DEFAULT_MODEL = "transformer"
# The shipped models' names: the folders here that hold a saved translator.
NAMES = tuple(
    sorted(
        name
        for name in os.listdir(_FOLDER)
        if os.path.isfile(os.path.join(_FOLDER, name, "translator.json"))
    )
)


def model_path(model: str | None = None) -> str:
    """The folder of `model`: a path as given; a shipped model's name (`NAMES`) if no
    such folder is here; `None`: the default model, `DEFAULT_MODEL`."""
    if model is None:
        model = DEFAULT_MODEL
    if not os.path.isdir(model) and os.sep not in model and model in NAMES:
        return os.path.join(_FOLDER, model)
    return model
