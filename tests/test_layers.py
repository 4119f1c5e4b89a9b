"""The package's layers: each subpackage imports only the layers below it."""

import ast
import os

import seq2seq_keras as s2s

PACKAGE = os.path.dirname(os.path.abspath(s2s.__file__))

# Lowest first. A module may import its own layer and those before it, never one after.
LAYERS = [
    {"config", "presets", "pretrained", "plots"},
    {"text"},
    {"data"},
    {"layers"},
    {"models"},
    {"decoding"},
    {"training"},
    {"translation"},
    {"apps"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Lower layers that a layer still must not import: the searches receive a step
# function and never build or read a network; training never builds a Translator.
APART = {"decoding": {"data", "layers", "models"}, "training": {"translation", "apps"}}


def _modules():
    """`(dotted name, path)` of every module of the package but its `__init__`."""
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3]
                dotted = relative.replace(os.sep, ".").removesuffix(".__init__")
                if dotted != "seq2seq_keras":
                    yield dotted, path


def _imported(dotted, path):
    """The package's modules that a module imports, anywhere in it (functions too)."""
    package = dotted if path.endswith("__init__.py") else dotted.rpartition(".")[0]
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("seq2seq_keras."):
                yield name


def _layer(dotted):
    return dotted.split(".")[1]


def test_every_module_has_a_layer():
    unknown = {_layer(d) for d, _ in _modules()} - set(RANK)
    assert not unknown, f"modules outside every layer: {unknown}; add them to LAYERS"


def test_no_layer_imports_a_higher_one():
    upward = []
    for dotted, path in _modules():
        for name in _imported(dotted, path):
            if _layer(name) in RANK and RANK[_layer(name)] > RANK[_layer(dotted)]:
                upward.append(f"{dotted} imports {name}")
    assert not upward, "\n".join(upward)


def _crossing(modules):
    return [f"{dotted} imports {name}" for dotted, path in modules
            for name in _imported(dotted, path) if _layer(name) in APART.get(_layer(dotted), ())]


def test_decoding_imports_no_network():
    crossing = _crossing(_modules())
    assert not crossing, "\n".join(crossing)


def test_the_checker_sees_decoding_import_a_model(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f():\n    from ..models import rnn\n")
    assert "seq2seq_keras.decoding.bad imports seq2seq_keras.models.rnn" in _crossing(
        [("seq2seq_keras.decoding.bad", str(path))])


def test_the_checker_sees_an_upward_import(tmp_path):
    # The test above can fail: a module of `models` that imports `decoding` is caught.
    path = tmp_path / "bad.py"
    path.write_text("from seq2seq_keras.decoding import beam\n"
                    "def f():\n    from ..translation import translator\n")
    found = list(_imported("seq2seq_keras.models.bad", str(path)))
    assert "seq2seq_keras.decoding.beam" in found
    assert "seq2seq_keras.translation.translator" in found
    assert all(RANK[_layer(name)] > RANK["models"] for name in found)


def test_the_apps_package_starts_no_tensorflow():
    # `seq2seq-keras --help` imports seq2seq_keras.apps: it must stay light.
    path = os.path.join(PACKAGE, "apps", "__init__.py")
    assert list(_imported("seq2seq_keras.apps", path)) == []


def test_the_public_api_is_small_and_resolves():
    names = [n for n in s2s.__all__ if n != "__version__"]
    assert 20 <= len(names) <= 40
    for name in names:
        assert getattr(s2s, name) is not None
    assert not [n for n in names if n.startswith("_")]
