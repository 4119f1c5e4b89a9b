"""The built wheel installs and translates on its own, without the source tree.

A wheel is built from a copy of the checkout and installed (without its
dependencies) into a fresh virtual environment. Downloading TensorFlow again would
cost minutes and ~600 MB, so a `.pth` file in the new environment puts the test
environment's site-packages after its own: the dependencies come from there, while
`seq2seq_keras` (found first) is the wheel's copy. A path line in a `.pth` file does
not process the `.pth` files of that folder, so the editable install's finder there
stays out; an audit hook in the new environment records any file the commands open
in the source tree, and the test fails if there is one.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import seq2seq_keras as s2s

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCE = "I am cold."

# Imported by a `.pth` file of the new environment, before any command runs: logs to
# $S2S_GUARD_LOG every file or folder opened or listed under $S2S_GUARD_REPO that is
# not under one of the (os.pathsep-separated) $S2S_GUARD_ALLOWED prefixes.
GUARD = '''
import os
import sys

_log = os.environ.get("S2S_GUARD_LOG")
if _log:
    _sep = os.sep
    _repo = [p.rstrip(_sep) + _sep for p in os.environ["S2S_GUARD_REPO"].split(os.pathsep)]
    _allowed = [p.rstrip(_sep) + _sep
                for p in os.environ["S2S_GUARD_ALLOWED"].split(os.pathsep) if p]
    _events = {"open", "os.listdir", "os.scandir"}

    def _hook(event, args, _abspath=os.path.abspath, _fsdecode=os.fsdecode):
        if event not in _events or not args or isinstance(args[0], int) or args[0] is None:
            return
        try:
            path = _abspath(_fsdecode(args[0])) + _sep
        except Exception:
            return
        if any(path.startswith(r) for r in _repo) and not any(
                path.startswith(a) for a in _allowed):
            with open(_log, "a", encoding="utf-8") as handle:
                handle.write(f"{event} {path[:-1]}\\n")

    sys.addaudithook(_hook)
'''


def _purelib_and_platlib(python):
    """The site-packages folders of the interpreter `python` (sysconfig, not guessed)."""
    script = ("import json, sys, sysconfig; p = sysconfig.get_paths(); "
              "print(json.dumps([p['purelib'], p['platlib'], sys.prefix]))")
    purelib, platlib, prefix = json.loads(subprocess.run(
        [python, "-c", script], check=True, capture_output=True, text=True).stdout)
    return list(dict.fromkeys([purelib, platlib])), prefix


def _offline_build_options():
    """pip options to build with this environment's setuptools and wheel (TensorFlow
    and astunparse require them), offline; none (an isolated build: setuptools and
    wheel from PyPI) if they are missing or older than pyproject.toml asks."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        setuptools = tuple(int(x) for x in version("setuptools").split(".")[:1])
        version("wheel")
    except (PackageNotFoundError, ValueError):
        return []
    return ["--no-build-isolation", "--no-index"] if setuptools >= (64,) else []


def _run(args, cwd, env, timeout=300):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=timeout)
    assert result.returncode == 0, (args, result.stdout, result.stderr[-4000:])
    return result


@pytest.mark.slow
def test_wheel_installs_and_translates_without_the_source_tree(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", TF_CPP_MIN_LOG_LEVEL="2")

    # Build from a copy (the package and the top-level build files): an in-tree build
    # would leave build/ and a rewritten *.egg-info in the checkout.
    source = tmp_path / "source"
    shutil.copytree(os.path.join(REPO, "seq2seq_keras"), source / "seq2seq_keras",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in glob.glob(os.path.join(REPO, "*")) + glob.glob(os.path.join(REPO, ".*")):
        if os.path.isfile(path):
            shutil.copy2(path, source)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
          *_offline_build_options(), str(source)], tmp_path, env)
    (wheel,) = glob.glob(str(dist / "seq2seq_keras-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = [f"seq2seq_keras/pretrained/{model}/{name}" for model, names in
               (("en_fr", ("translator.json", "lexicon.json", "model.weights.f16.npz")),
                ("transformer", ("translator.json", "model.weights.f16.npz")),
                ("subword_attention", ("translator.json", "model.weights.f16.npz")))
               for name in names]
    assert set(shipped) <= names, sorted(names)
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)

    # A fresh environment without pip (ensurepip may be missing, as on Debian): this
    # environment's pip installs into it, offline.
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                          capture_output=True, text=True, env=env)
    if made.returncode != 0:  # as scripts/setup.sh does, if there is a virtualenv
        pytest.importorskip("virtualenv", reason=f"python -m venv failed: {made.stderr}")
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "virtualenv", "--quiet", str(venv)], tmp_path, env)
    python = str(venv / "bin" / "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
          "--no-index", "--quiet", wheel], tmp_path, env)
    site_dirs, _ = _purelib_and_platlib(python)
    dep_dirs, dep_prefix = _purelib_and_platlib(sys.executable)
    new_site = site_dirs[0]
    with open(os.path.join(new_site, "_s2s_test_deps.pth"), "w") as handle:
        handle.write("".join(d + "\n" for d in dep_dirs))
    with open(os.path.join(new_site, "_s2s_test_guard.py"), "w") as handle:
        handle.write(GUARD)
    with open(os.path.join(new_site, "_s2s_test_guard.pth"), "w") as handle:
        handle.write("import _s2s_test_guard\n")
    log = tmp_path / "repo_opens.log"
    env.update(S2S_GUARD_LOG=str(log),
               S2S_GUARD_REPO=os.pathsep.join(dict.fromkeys([REPO, os.path.realpath(REPO)])),
               S2S_GUARD_ALLOWED=os.pathsep.join(
                   {q for p in dep_dirs + [dep_prefix] for q in (p, os.path.realpath(p))}))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import json, os, seq2seq_keras as s2s; "
              "print(json.dumps([s2s.__file__, s2s.pretrained.model_path(), "
              "sorted(os.listdir(s2s.pretrained.model_path()))]))")
    package_file, model_path, model_files = json.loads(
        _run([python, "-c", script], elsewhere, env).stdout.strip().splitlines()[-1])
    installed = [os.path.realpath(d) + os.sep for d in site_dirs]
    for path in (package_file, model_path):
        assert any(os.path.realpath(path).startswith(d) for d in installed), path
        assert not os.path.realpath(path).startswith(os.path.realpath(REPO) + os.sep), path
    assert {"translator.json", "model.weights.f16.npz"} <= set(model_files)
    assert os.path.isfile(venv / "bin" / "seq2seq-keras")

    # The console script, as a user runs it, with its default beam width (4).
    result = _run([str(venv / "bin" / "seq2seq-keras"), "translate", SENTENCE], elsewhere, env)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].strip(), result.stdout
    expected = s2s.load_translator(s2s.pretrained.model_path()).translate(SENTENCE, beam_width=4)
    assert lines[0] == expected  # "J'ai froid." with the shipped model
    assert "froid" in lines[0]

    # The Python API of the installed copy.
    script = ("import seq2seq_keras as s2s; "
              "print(s2s.load_translator(s2s.pretrained.model_path()).translate('Go.'))")
    output = _run([python, "-c", script], elsewhere, env).stdout.strip()
    assert output and len(output.splitlines()) == 1, output

    assert not log.exists(), log.read_text()[:4000]
