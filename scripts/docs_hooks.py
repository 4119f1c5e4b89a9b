"""MkDocs hooks (mkdocs.yml `hooks:`): the site's pages that live elsewhere in the repository.

Nothing is copied by hand; each build reads the sources:

- the home page is README.md, its links rewritten from repository paths to site paths;
- the notebooks (notebooks/*.ipynb, rendered by mkdocs-jupyter from their stored outputs)
  with their figures (notebooks/figures/) and exercise solutions (notebooks/solutions/);
- notebooks/index.md, the learning path: each notebook's title and run time, from the
  notebook (the `seq2seq_keras.seconds` that scripts/render_notebooks.sh stores);
- the model cards, seq2seq_keras/pretrained/NAME/MODEL_CARD.md, as models/NAME.md;
- the API reference, one page per subpackage, from the docstrings (mkdocstrings), and a
  page of the public names of `seq2seq_keras/__init__.py`;
- in docs pages, `<!-- help: COMMAND -->` becomes that subcommand's `--help`.

A link that leads nowhere in the site is a warning, so `mkdocs build --strict` fails on it:
MkDocs checks the Markdown pages' links; this hook checks the notebooks' (their HTML comes
from nbconvert, which MkDocs does not check).
"""

from __future__ import annotations

import ast
import contextlib
import glob
import html
import io
import json
import logging
import os
import posixpath
import re
import sys

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.seq2seq_keras")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "seq2seq_keras"

# Repository folders and files -> where they are in the site (docs/ is the site's root).
_MOVED = [("README.md", "index.md"), ("docs/", ""), ("notebooks/", "notebooks/")]

# The API reference's pages: a subpackage (or module) and its title, in the layers' order.
REFERENCE = [
    ("config presets pretrained", "config, presets and the shipped models"),
    ("text", "text: vocabularies and the input rules"),
    ("data", "data: the corpus and tf.data"),
    ("layers", "layers: cells, attention, embeddings"),
    ("models", "models: the encoder-decoders"),
    ("decoding", "decoding: greedy, beam, sampling"),
    ("training", "training"),
    ("translation", "translation: Translator, export, evaluation"),
    ("apps", "apps: the command line and the server"),
    ("plots", "plots"),
]


def _read(path: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as file:
        return file.read()


def site_path(repo_path: str) -> str | None:
    """Where a repository file is in the site, or None if the site does not hold it."""
    repo_path = posixpath.normpath(repo_path)
    if repo_path.startswith(f"{PACKAGE}/pretrained/") and repo_path.endswith("/MODEL_CARD.md"):
        return f"models/{repo_path.split('/')[2]}.md"
    for prefix, target in _MOVED:
        if repo_path == prefix or (prefix.endswith("/") and repo_path.startswith(prefix)):
            return target + repo_path[len(prefix):]
    return None


_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def _rewrite_markdown_links(text: str, repo_file: str) -> str:
    """Rewrite a Markdown file's relative links from repository paths to site paths."""
    source = site_path(repo_file)

    def rewrite(match):
        target = match.group(2)
        if re.match(r"[a-z]+:|#", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        moved = site_path(posixpath.join(posixpath.dirname(repo_file), path))
        if moved is None:
            log.warning(f"{repo_file}: the link {target!r} leads out of the site")
            return match.group(0)
        relative = posixpath.relpath(moved, posixpath.dirname(source) or ".")
        return match.group(1) + relative + ("#" + anchor if anchor else "") + match.group(3)

    return _LINK.sub(rewrite, text)


def notebook_table() -> str:
    """The learning path: the notebooks in order, each with its title and run time."""
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb"))):
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
        title = name
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                heading = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.M)
                if heading:
                    title = heading.group(1).strip()
                    break
        seconds = notebook["metadata"].get(PACKAGE, {}).get("seconds")
        time = "not rendered" if seconds is None else _duration(seconds)
        rows.append(f"| [{name[:2]}]({name}) | [{title}]({name}) | {time} |")
    return "\n".join([
        "# The notebooks, in order",
        "",
        "Each notebook teaches one step, writing the mechanism out in plain Keras or NumPy,",
        "showing that the library's version equals it, then using the library. They are",
        "shown here with the outputs stored by their last rendering at their default",
        "parameters (`bash scripts/render_notebooks.sh NAME`, 2 CPU cores); the run time is",
        "that rendering's, stored in the notebook's metadata (`seq2seq_keras.seconds`).",
        "",
        "To run them yourself: `bash scripts/setup.sh notebooks && .venv/bin/jupyter lab",
        "notebooks/`. Each notebook's first code cell is tagged `parameters` (the tests run",
        "every notebook with small values through papermill), and each ends with exercises,",
        "whose solutions are in `notebooks/solutions/`. The diagrams in them",
        "(`notebooks/figures/*.svg`) are drawn by `python scripts/draw_figures.py`; the",
        "plots and tables are the notebooks' own outputs.",
        "",
        "| | notebook | run time at its defaults |",
        "|---|---|---|",
        *rows,
        "",
    ])


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def public_names_page() -> str:
    """The names `import seq2seq_keras as s2s` offers (its `_EXPORTS`), each with the first
    line of its docstring and a link to where its subpackage's page documents it."""
    exports = _literal(f"{PACKAGE}/__init__.py", "_EXPORTS")
    lines = [
        "# Public names",
        "",
        "`import seq2seq_keras as s2s` offers these names (its `__all__`), each imported on",
        "first use, so that `import seq2seq_keras` does not start TensorFlow. Each links to",
        "its documentation, from its docstring, on its subpackage's page (the pages after",
        "this one, in the order of the layers: each imports only those before it). The",
        "subpackages themselves are reached as `s2s.text`, `s2s.decoding` and so on.",
        "",
        "| name | defined in | what it is |",
        "|---|---|---|",
    ]
    for name in sorted(exports, key=str.lower):
        module = f"{PACKAGE}.{exports[name]}"
        summary = _summary(exports[name], name)
        # A constant has no docstring of its own: its link leads to its module.
        target = module if summary is None else f"{module}.{name}"
        lines.append(f"| [`s2s.{name}`][{target}] | `{module}` | {summary or 'a constant'} |")
    return "\n".join(lines) + "\n"


def _literal(path: str, name: str):
    """The value of the module-level `name = <literal>` in the repository file `path`."""
    for node in ast.parse(_read(path)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(getattr(target, "id", None) == name for target in targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} has no {name} = ...")


def _summary(module: str, name: str) -> str | None:
    """The first paragraph of the docstring of `name` in `seq2seq_keras/<module>.py`; None
    for a constant."""
    path = f"{PACKAGE}/{module.replace('.', '/')}.py"
    for node in ast.parse(_read(path)).body:
        if getattr(node, "name", None) == name:
            docstring = ast.get_docstring(node) or ""
            return " ".join(docstring.split("\n\n")[0].split()).replace("|", "\\|")
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(getattr(target, "id", None) == name for target in targets):
            return None
    return ""


def reference_page(modules: str, title: str) -> str:
    return f"# {title}\n\n" + "".join(f"::: {PACKAGE}.{module}\n\n" for module in modules.split())


def model_card_names() -> list[str]:
    return sorted(
        os.path.basename(os.path.dirname(path))
        for path in glob.glob(os.path.join(ROOT, PACKAGE, "pretrained", "*", "MODEL_CARD.md"))
    )


@event_priority(100)  # before mkdocs-jupyter, which wraps the .ipynb files
def on_files(files, config):
    def add(src_uri, content=None):
        """Add a page made here (`content`), or the repository's file at `src_uri`."""
        if files.get_file_from_path(src_uri) is not None:
            files.remove(files.get_file_from_path(src_uri))
        if content is None:
            # A file of the repository, read where it is (mkdocs-jupyter needs its path).
            file = File(src_uri, src_dir=ROOT, dest_dir=config.site_dir,
                        use_directory_urls=config.use_directory_urls)
        else:
            file = File.generated(config, src_uri, content=content)
        files.append(file)

    add("index.md", _rewrite_markdown_links(_read("README.md"), "README.md"))
    for pattern in ("notebooks/[0-9]*.ipynb", "notebooks/figures/*.svg",
                    "notebooks/solutions/*.py"):
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            add(os.path.relpath(path, ROOT).replace(os.sep, "/"))
    add("notebooks/index.md", notebook_table())
    for name in model_card_names():
        card = f"{PACKAGE}/pretrained/{name}/MODEL_CARD.md"
        add(site_path(card), _rewrite_markdown_links(_read(card), card))
    add("reference/index.md", public_names_page())
    for modules, title in REFERENCE:
        add(f"reference/{modules.split()[0]}.md", reference_page(modules, title))
    return files


def command_help(command: str) -> str:
    """`seq2seq-keras COMMAND --help`, as printed in an 88-column terminal."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)  # this checkout's package, not another installed one
    from seq2seq_keras.apps import cli

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"
    try:
        parser = cli.build_parser()
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.suppress(SystemExit):
            parser.parse_args([command, "--help"] if command else ["--help"])
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(cli.__file__)))
    return output.getvalue().replace(package_parent + os.sep, "")


def on_page_markdown(markdown, page, config, files):
    def help_block(match):
        command = match.group(1)
        return f"```text\n$ seq2seq-keras {command} --help\n{command_help(command)}```"

    return re.sub(r"<!-- help: ([a-z]+) -->", help_block, markdown)


_HTML_LINK = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def on_page_content(content, page, config, files):
    """In a notebook's page, send links to other notebooks (`02_....ipynb`) and repository
    pages to their pages in the site, and warn about links that lead nowhere."""
    if not page.file.src_uri.endswith(".ipynb"):
        return content

    def rewrite(match):
        target = html.unescape(match.group(2))
        if not target or re.match(r"[a-z][a-z0-9+.-]*:|#|//", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        moved = site_path(posixpath.join("notebooks", path))
        found = moved and files.get_file_from_path(moved)
        if not found:
            log.warning(f"{page.file.src_uri}: the link {target!r} leads nowhere in the site")
            return match.group(0)
        url = found.url_relative_to(page.file)
        return match.group(1) + html.escape(url + ("#" + anchor if anchor else "")) + match.group(3)

    return _HTML_LINK.sub(rewrite, content)
