"""The exercise solutions run, and every notebook ends with a Summary, open Exercises
(solved in `notebooks/solutions/`) and a link to the next notebook."""

import ast
import importlib.util
import json
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_DIR = os.path.join(REPO, "notebooks")
SOLUTION_DIR = os.path.join(NOTEBOOK_DIR, "solutions")
NOTEBOOKS = sorted(n[:-len(".ipynb")] for n in os.listdir(NOTEBOOK_DIR) if n.endswith(".ipynb"))
SOLUTIONS = sorted(n for n in os.listdir(SOLUTION_DIR) if n.endswith(".py")) if os.path.isdir(
    SOLUTION_DIR) else []
MIN_EXERCISES = 3


def exercise_functions(file):
    """The `exercise_N` functions a solutions file defines, in order (read, not imported)."""
    with open(os.path.join(SOLUTION_DIR, file), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
             and re.fullmatch(r"exercise_\d+", node.name)]
    return sorted(names, key=lambda name: int(name.split("_")[1]))


_modules = {}


def load_solutions(file):
    """Import a solutions file by path, once per session (its names start with digits)."""
    if file not in _modules:
        name = "solutions_" + re.sub(r"\W", "_", file[:-len(".py")])
        spec = importlib.util.spec_from_file_location(name, os.path.join(SOLUTION_DIR, file))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[file] = module
    return _modules[file]


@pytest.mark.parametrize("file,function", [
    pytest.param(file, function, id=f"{file[:-3]}::{function}")
    for file in SOLUTIONS for function in exercise_functions(file)])
def test_solution_runs(file, function):
    getattr(load_solutions(file), function)()


def test_every_solutions_file_has_exercises_and_a_notebook():
    assert SOLUTIONS, "notebooks/solutions/ holds no solutions"
    for file in SOLUTIONS:
        assert file[:-len(".py")] in NOTEBOOKS, f"{file} solves no notebook of notebooks/"
        assert exercise_functions(file), f"{file} defines no exercise_N function"


def markdown(name):
    with open(os.path.join(NOTEBOOK_DIR, name + ".ipynb"), encoding="utf-8") as handle:
        cells = json.load(handle)["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells
                       if cell["cell_type"] == "markdown")


def section(text, heading):
    """The text under `## heading`, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^## |\Z)", text,
                      re.MULTILINE | re.DOTALL)
    return match.group(1) if match else None


def count_exercises(text):
    return len(re.findall(r"^\d+\.\s", section(text, "Exercises") or "", re.MULTILINE))


WITH_EXERCISES = [name for name in NOTEBOOKS if section(markdown(name), "Exercises") is not None]


@pytest.mark.parametrize("name", WITH_EXERCISES)
def test_exercises_are_solved(name):
    exercises = count_exercises(markdown(name))
    assert exercises >= MIN_EXERCISES, (
        f"{name}'s ## Exercises lists {exercises} exercises (numbered `1. `, ...); at least "
        f"{MIN_EXERCISES}")
    file = name + ".py"
    assert file in SOLUTIONS, f"{name} has exercises but no notebooks/solutions/{file}"
    solved = len(exercise_functions(file))
    assert solved >= exercises, (
        f"notebooks/solutions/{file} has {solved} exercise_N functions for {exercises} exercises")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_ends_with_summary_exercises_and_next_link(name):
    text = markdown(name)
    assert section(text, "Summary") is not None, f"{name} has no ## Summary"
    assert section(text, "Exercises") is not None, f"{name} has no ## Exercises"
    assert text.index("\n## Summary") < text.index("\n## Exercises")
    after = text[text.index("\n## Exercises"):]
    later = NOTEBOOKS[NOTEBOOKS.index(name) + 1:]
    if later:  # the next notebook of the path
        assert re.search(rf"\[Next: [^\]]+\]\({re.escape(later[0])}\.ipynb\)", after), (
            f"{name} does not end with a link `[Next: ...]({later[0]}.ipynb)`")
    else:  # the last one leads back
        assert re.search(r"\]\(\.\./README\.md\)", after), (
            f"{name}, the last notebook, does not link back to the README")
