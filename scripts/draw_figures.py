"""Draw the notebooks' architecture diagrams as SVG files in notebooks/figures/.

    python scripts/draw_figures.py                  # every figure
    python scripts/draw_figures.py 04_attention     # some (names with or without .svg)
    python scripts/draw_figures.py --png --out /tmp/figures   # PNG copies, to look at

Each figure is drawn by one function below, in inches: `canvas(width, height)` gives
axes whose data coordinates are inches from the lower left corner, and every shape
is placed with the helpers `box`, `circle`, `arrow`, `label` and `region`. Colours
carry meaning across figures (see `KINDS`): encoder blue, decoder green, sigmoid
gates orange, tanh purple, Dense layers yellow, attention red.

The output is deterministic (fixed `svg.hashsalt`, no date, text kept as text), so
that tests/test_figures.py can check that the stored SVGs are exactly what this
script draws: after changing a drawing, run the script and commit both.
Matplotlib only (the `notebooks` and `test` extras install it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

FIGURES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "notebooks", "figures")

# The same settings whatever the user's matplotlibrc says (`draw` resets to the
# defaults first): text stays text in the SVG, ids come from a fixed salt.
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "seq2seq-keras",
    # DejaVu Sans (matplotlib's own) draws the text; a browser without it falls back
    # to the next family named in the SVG, then to its own sans-serif / monospace.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.monospace": ["DejaVu Sans Mono", "Menlo", "Consolas"],
    "font.size": 10,
    "mathtext.fontset": "dejavusans",
}
FONT = 10      # labels in boxes
SMALL = 8.5    # notes and captions
MONO = "monospace"

# kind -> (fill, edge): what a colour means, the same in every figure.
KINDS = {
    "plain": ("#ffffff", "#555555"),
    "input": ("#f1f1f1", "#7a7a7a"),     # tokens, data, text
    "encoder": ("#dcebf7", "#3b74ad"),
    "decoder": ("#e0f1d8", "#4a8a3a"),
    "gate": ("#fde5c2", "#c47c1b"),      # sigmoid gates
    "tanh": ("#ece0f6", "#7a53a3"),
    "dense": ("#fff2b8", "#a3860f"),     # Dense / output layers
    "attention": ("#fbdde1", "#b4435a"),
    "norm": ("#e8e8e8", "#5a5a5a"),
    "op": ("#ffffff", "#333333"),        # pointwise operations
    "note": ("#fbfbfb", "#9a9a9a"),
}
LINE = "#333333"
STATE = "#3b74ad"   # arrows that carry a recurrent state
MUTED = "#777777"


# --- the helpers: every figure is made of these --------------------------------------

@dataclasses.dataclass(frozen=True)
class Box:
    """A drawn shape: centre `(x, y)`, size `(w, h)`; its sides as points to attach
    arrows to (`left`, `right`, `top`, `bottom`, each shifted along the side by
    `at(side, offset)`)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def left(self):
        return (self.x - self.w / 2, self.y)

    @property
    def right(self):
        return (self.x + self.w / 2, self.y)

    @property
    def top(self):
        return (self.x, self.y + self.h / 2)

    @property
    def bottom(self):
        return (self.x, self.y - self.h / 2)

    def at(self, side: str, offset: float):
        x, y = getattr(self, side)
        return (x + offset, y) if side in ("top", "bottom") else (x, y + offset)


def canvas(width: float, height: float):
    """A figure `width` x `height` inches whose axes' coordinates are inches."""
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def label(ax, x, y, text, size=FONT, ha="center", va="center", color=LINE, mono=False,
          **kwargs):
    """Text at `(x, y)`; `mono` for code."""
    if mono:
        kwargs["family"] = MONO
    return ax.text(x, y, text, fontsize=size, ha=ha, va=va, color=color, zorder=4, **kwargs)


def box(ax, x, y, text="", w=1.0, h=0.5, kind="plain", size=FONT, mono=False,
        dashed=False, text_color=LINE, **text_kw) -> Box:
    """A rounded box centred at `(x, y)` with `text` in it."""
    face, edge = KINDS[kind]
    pad = min(0.06, w / 4, h / 4)
    ax.add_patch(FancyBboxPatch(
        (x - w / 2 + pad, y - h / 2 + pad), w - 2 * pad, h - 2 * pad,
        boxstyle=f"round,pad={pad}", facecolor=face, edgecolor=edge, linewidth=1.1,
        linestyle="--" if dashed else "-", zorder=2))
    if text:
        label(ax, x, y, text, size=size, mono=mono, color=text_color, **text_kw)
    return Box(x, y, w, h)


def circle(ax, x, y, text="", r=0.16, kind="op", size=FONT) -> Box:
    """A small circle for a pointwise operation (`×`, `+`, `Σ`)."""
    face, edge = KINDS[kind]
    ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor=edge, linewidth=1.1, zorder=2))
    if text:
        label(ax, x, y, text, size=size)
    return Box(x, y, 2 * r, 2 * r)


def arrow(ax, *points, color=LINE, head=True, dashed=False, width=1.2, text=None,
          text_at=None, size=SMALL, text_kw=None, curve=0.0):
    """A line through `points`, with an arrow head at the last one.

    `curve` bends a two-point arrow (matplotlib's `arc3` radius). `text` is written at
    `text_at` (default: the middle of the first segment).
    """
    style = "-|>,head_length=0.5,head_width=0.22" if head else "-"
    kwargs = dict(arrowstyle=style, color=color, linewidth=width, shrinkA=0, shrinkB=0,
                  mutation_scale=12, linestyle="--" if dashed else "-", zorder=1)
    if curve:
        patch = FancyArrowPatch(points[0], points[-1], connectionstyle=f"arc3,rad={curve}",
                                **kwargs)
    else:
        patch = FancyArrowPatch(path=Path(points), **kwargs)
    ax.add_patch(patch)
    if text is not None:
        if text_at is None:
            (x0, y0), (x1, y1) = points[0], points[1]
            text_at = ((x0 + x1) / 2, (y0 + y1) / 2)
        label(ax, *text_at, text, size=size, color=color, **(text_kw or {}))


def line(ax, *points, **kwargs):
    """`arrow` without a head."""
    arrow(ax, *points, head=False, **kwargs)


def region(ax, x0, y0, x1, y1, title=None, kind="note", size=SMALL, mono=False,
           title_at="top left", dashed=True):
    """A dashed frame around a group of shapes, with its title inside one corner
    (`title_at`: "top left", "top right", "bottom left", "bottom right")."""
    face, edge = KINDS[kind]
    ax.add_patch(FancyBboxPatch(
        (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.08", facecolor=face,
        edgecolor=edge, linewidth=1.0, alpha=0.55, linestyle="--" if dashed else "-",
        zorder=0))
    if title:
        vertical, horizontal = title_at.split()
        y, va = (y1 - 0.08, "top") if vertical == "top" else (y0 + 0.08, "bottom")
        x, ha = (x0 + 0.1, "left") if horizontal == "left" else (x1 - 0.1, "right")
        label(ax, x, y, title, size=size, ha=ha, va=va, mono=mono, color=edge)


def bars(ax, x, y, heights, width=0.35, kind="attention"):
    """Vertical bars on the baseline `y`, centred at `x[k]` (attention weights)."""
    face, edge = KINDS[kind]
    for xk, hk in zip(x, heights, strict=True):
        ax.add_patch(Rectangle((xk - width / 2, y), width, hk, facecolor=edge, alpha=0.8,
                               edgecolor=edge, zorder=2))
    line(ax, (x[0] - 0.4, y), (x[-1] + 0.4, y), color=MUTED, width=0.8)


def vector(ax, x, y, n=4, cell=0.18, kind="encoder"):
    """A column of `n` cells centred at `(x, y)`: a vector; returns its `Box`."""
    face, edge = KINDS[kind]
    top = y + n * cell / 2
    for k in range(n):
        ax.add_patch(Rectangle((x - cell / 2, top - (k + 1) * cell), cell, cell,
                               facecolor=face, edgecolor=edge, linewidth=0.9, zorder=2))
    return Box(x, y, cell, n * cell)


FIGURES = {}


def figure(name):
    """Register a drawing function under its file name (without `.svg`)."""
    def register(function):
        FIGURES[name] = function
        return function
    return register


# --- 01: one LSTM cell ----------------------------------------------------------------

CELL_TOP = 2.9  # the height of a cell's state line, in cell units


def _cell_frame(ax, x0, y0, s, ext, add_x):
    """What an LSTM and a GRU cell share: the 6.2 x 3.3 unit region with its lower left
    corner at `(x0, y0)`, scaled by `s`, and the state line along its top, reaching
    `ext` units out on each side, through a `×` at 1.4 and a `+` at `add_x`.

    Returns `(p, size, small, r, times, plus)`: `p(x, y)` maps cell units to inches,
    the font sizes and circle radius at this scale, and the two circles."""
    def p(x, y):  # cell units -> inches
        return (x0 + s * x, y0 + s * y)

    size, small, r = FONT * max(s, 0.8), SMALL * max(s, 0.9), 0.17 * s
    region(ax, *p(0, 0), *p(6.2, 3.3), kind="encoder", dashed=False)
    times = circle(ax, *p(1.4, CELL_TOP), "×", r=r, size=size)
    plus = circle(ax, *p(add_x, CELL_TOP), "+", r=r, size=size)
    line(ax, p(-ext, CELL_TOP), times.left, color=STATE, width=1.6)
    arrow(ax, times.right, plus.left, color=STATE, width=1.6)
    arrow(ax, plus.right, p(6.2 + ext, CELL_TOP), color=STATE, width=1.6)
    return p, size, small, r, times, plus



def lstm_cell(ax, x0, y0, s=1.0, variant="lstm", io_labels=True, ext=0.9):
    """An LSTM cell (or a variant) with its lower left corner at `(x0, y0)`, scaled by `s`.

    The cell is 6.2 x 3.3 units; the state lines reach `ext` units outside it.
    `variant`: "lstm", "peephole" (gates read c), "cifg" (input gate = 1 - forget gate).
    """
    # The cell state runs along the top: c_{t-1} -> x f -> + i*g -> c_t.
    p, size, small, r, forget, add = _cell_frame(ax, x0, y0, s, ext, add_x=3.4)
    gw, gh = (0.92 * s, 0.62 * s) if io_labels else (0.8 * s, 0.55 * s)  # room for names
    c_y, bus_y, gate_y = CELL_TOP, 0.4, 1.1

    # [h_{t-1}, x_t] feed every gate (one matrix multiplication, split in blocks).
    gates = {"f": 1.4, "i": 2.4, "g": 3.4, "o": 4.6}
    if variant == "cifg":
        del gates["i"]
    line(ax, p(-ext, bus_y), p(gates["o"], bus_y), color=STATE, width=1.6)
    line(ax, p(0.6, -0.75 if io_labels else -0.45), p(0.6, bus_y), width=1.6)
    circle(ax, *p(0.6, bus_y), r=0.05 * s, kind="plain")
    names = {"f": ("forget", "gate"), "i": ("input", "gate"), "g": ("candidate", "tanh"),
             "o": ("output", "gate")}
    drawn = {}
    for name, x in gates.items():
        word, kind = names[name]
        function = "σ" if kind == "gate" else "tanh"
        text = f"{function}\n{word} {name}" if io_labels else f"{function}  {name}"
        drawn[name] = box(ax, *p(x, gate_y), text, w=gw, h=gh, kind=kind,
                          size=small if io_labels else size * 0.95)
        arrow(ax, p(x, bus_y), drawn[name].bottom)

    # c_t = f * c_{t-1} + i * g
    arrow(ax, drawn["f"].top, forget.bottom)
    write = circle(ax, *p(3.4, 2.05), "×", r=r, size=size)
    arrow(ax, drawn["g"].top, write.bottom)
    arrow(ax, write.top, add.bottom)
    if variant == "cifg":
        one_minus = box(ax, *p(2.4, 2.05), "1 − f", w=0.62 * s, h=0.34 * s, kind="gate",
                        size=small)
        arrow(ax, p(1.4, 1.7), p(2.4, 1.7), one_minus.bottom)
        circle(ax, *p(1.4, 1.7), r=0.04 * s, kind="plain")
        arrow(ax, one_minus.right, write.left)
    else:
        arrow(ax, drawn["i"].top, p(2.4, 2.05), write.left)

    # h_t = o * tanh(c_t)
    squash = box(ax, *p(5.6, 2.2), "tanh", w=0.7 * s, h=0.38 * s, kind="tanh", size=small)
    out = circle(ax, *p(5.6, gate_y), "×", r=r, size=size)
    circle(ax, *p(5.6, c_y), r=0.05 * s, kind="plain")
    arrow(ax, p(5.6, c_y), squash.top)
    arrow(ax, squash.bottom, out.top)
    arrow(ax, drawn["o"].right, out.left)
    arrow(ax, out.bottom, p(5.6, 0.15), p(6.2 + ext, 0.15), color=STATE, width=1.6)

    if variant == "peephole":  # f and i read c_{t-1}; o reads the new c_t
        peep = dict(color=KINDS["gate"][1], dashed=True, width=1.1)
        line(ax, p(0.3, c_y), p(0.3, 1.62), p(2.15, 1.62), **peep)
        circle(ax, *p(0.3, c_y), r=0.04 * s, kind="plain")
        arrow(ax, p(1.1, 1.62), drawn["f"].at("top", -0.3 * s), **peep)
        arrow(ax, p(2.15, 1.62), drawn["i"].at("top", -0.25 * s), **peep)
        arrow(ax, p(4.85, c_y), drawn["o"].at("top", 0.25 * s), **peep)
        circle(ax, *p(4.85, c_y), r=0.04 * s, kind="plain")

    if io_labels:
        label(ax, *p(-ext, c_y + 0.12), "$c_{t-1}$", size=size, ha="left", va="bottom")
        label(ax, *p(6.2 + ext, c_y + 0.12), "$c_t$", size=size, ha="right", va="bottom")
        label(ax, *p(-ext, bus_y + 0.12), "$h_{t-1}$", size=size, ha="left", va="bottom")
        label(ax, *p(6.2 + ext, 0.27), "$h_t$", size=size, ha="right", va="bottom")
        label(ax, *p(0.6, -0.8), "$x_t$", size=size, va="top")
    return p


@figure("01_lstm_cell")
def draw_lstm_cell():
    fig, ax = canvas(9.0, 6.0)
    p = lstm_cell(ax, 1.3, 2.35, s=1.0)
    label(ax, *p(0, 3.38), "keras.layers.LSTMCell: one time step", size=SMALL,
          ha="left", va="bottom", color=KINDS["encoder"][1], mono=True)
    label(ax, *p(1.65, 2.7), "$f \\odot c_{t-1}$", size=SMALL, ha="left", va="top")
    label(ax, *p(3.55, 2.35), "$i \\odot g$", size=SMALL, ha="left")
    label(ax, *p(5.73, 1.45), "$o \\odot \\tanh(c_t)$", size=SMALL, ha="left")

    # The equations, and how Keras lays out the four blocks of weights.
    eqs = ["$i = \\sigma(W_i x_t + U_i h_{t-1} + b_i)$",
           "$f = \\sigma(W_f x_t + U_f h_{t-1} + b_f)$",
           "$g = \\tanh(W_c x_t + U_c h_{t-1} + b_c)$",
           "$o = \\sigma(W_o x_t + U_o h_{t-1} + b_o)$"]
    for k, eq in enumerate(eqs):
        label(ax, 0.3, 1.15 - 0.26 * k, eq, size=FONT, ha="left")
    label(ax, 3.55, 1.0, "$c_t = f \\odot c_{t-1} + i \\odot g$", size=FONT, ha="left")
    label(ax, 3.55, 0.6, "$h_t = o \\odot \\tanh(c_t)$", size=FONT, ha="left")
    x, w = 6.0, 0.7
    label(ax, x, 1.3, "kernel, recurrent_kernel, bias:", size=SMALL, ha="left", mono=True)
    for k, (name, kind) in enumerate((("i", "gate"), ("f", "gate"), ("c", "tanh"),
                                      ("o", "gate"))):
        box(ax, x + w / 2 + k * w, 0.85, name, w=w, h=0.42, kind=kind, mono=True)
    label(ax, x, 0.5, "4 blocks of units columns, in the\norder i, f, c, o (c: the "
          "candidate g)", size=SMALL, ha="left", va="top")
    return fig


# --- 02: the encoder-decoder and teacher forcing -------------------------------------

def show(token: str) -> str:
    """A token as the figures print it: the blog's start and end characters escaped."""
    return {"\t": "\\t", "\n": "\\n", " ": "␣"}.get(token, token)


@figure("02_encoder_decoder")
def draw_encoder_decoder():
    fig, ax = canvas(10.0, 5.6)
    source, target = ["G", "o", "."], ["\t", "V", "a", " ", "!"]
    outputs = target[1:] + ["\n"]
    step, y_in, y_lstm, y_dense, y_out = 1.05, 0.75, 2.1, 3.3, 4.3
    enc_x = [0.9 + step * k for k in range(len(source))]
    dec_x = [4.85 + step * k for k in range(len(target))]

    region(ax, 0.2, 0.2, 3.75, 2.95, "encoder_lstm = LSTM(units, return_state=True)",
           kind="encoder", mono=True)
    region(ax, 4.15, 0.2, 9.85, 5.45,
           "decoder_lstm = LSTM(units, return_sequences=True,\n"
           "                    return_state=True)", kind="decoder", mono=True)
    previous = None
    for x, token in zip(enc_x, source, strict=True):
        tok = box(ax, x, y_in, show(token), w=0.5, h=0.42, kind="input", mono=True)
        cell = box(ax, x, y_lstm, "LSTM", w=0.75, h=0.5, kind="encoder")
        arrow(ax, tok.top, cell.bottom)
        if previous:
            arrow(ax, previous.right, cell.left, color=STATE)
        previous = cell
    label(ax, enc_x[1], y_in - 0.38, "encoder_inputs", size=SMALL, mono=True, va="top")
    label(ax, enc_x[-1], y_lstm + 0.42, "outputs unused", size=SMALL, color=MUTED)

    cells = []
    for x, token, out in zip(dec_x, target, outputs, strict=True):
        tok = box(ax, x, y_in, show(token), w=0.5, h=0.42, kind="input", mono=True)
        cell = box(ax, x, y_lstm, "LSTM", w=0.75, h=0.5, kind="decoder")
        dense = box(ax, x, y_dense, "Dense\nsoftmax", w=0.8, h=0.55, kind="dense", size=SMALL)
        pred = box(ax, x, y_out, show(out), w=0.5, h=0.42, kind="input", mono=True)
        arrow(ax, tok.top, cell.bottom)
        arrow(ax, cell.top, dense.bottom)
        arrow(ax, dense.top, pred.bottom)
        if cells:
            arrow(ax, cells[-1].right, cell.left, color=STATE)
        cells.append(cell)
    # The encoder's final states are the decoder's initial state.
    first = cells[0]
    arrow(ax, previous.right, first.left, color=STATE, width=2.0, text="[h, c]",
          text_at=((previous.right[0] + first.left[0]) / 2, y_lstm + 0.12), size=FONT,
          text_kw=dict(va="bottom"))
    label(ax, (previous.right[0] + first.left[0]) / 2, y_lstm - 0.2, "initial_state",
          size=SMALL, mono=True, va="top", color=STATE)
    label(ax, dec_x[2], y_in - 0.38, "decoder_inputs: the target, [START] = \\t first",
          size=SMALL, mono=False, va="top")
    label(ax, dec_x[2], y_out + 0.3, "predicted next character (\\n = [END])",
          size=SMALL, va="bottom")
    label(ax, 9.75, y_dense, "decoder_dense", size=SMALL, mono=True, ha="right",
          va="center", rotation=90)
    label(ax, 0.25, 5.3, "One layer per side, unrolled over time:\nthe boxes of a row "
          "share their weights.\n\nSource 'Go.', target 'Va !' (the corpus\nwrites a "
          "space before '!' in French).\n\nThe encoder's final [h, c] are the\n"
          "decoder's initial state.", size=SMALL, ha="left", va="top")
    return fig


@figure("02_teacher_forcing")
def draw_teacher_forcing():
    fig, ax = canvas(10.0, 8.2)
    target = ["\t", "V", "a", " ", "!"]
    nexts = target[1:] + ["\n"]
    step = 1.25

    # Training: the whole shifted target at once, a loss at every step.
    region(ax, 0.15, 4.25, 9.85, 8.05, "Training (teacher forcing): model.fit, all steps "
           "in one call", kind="decoder", size=FONT)
    enc = box(ax, 1.1, 5.55, "encoder\n'Go.'", w=1.2, h=0.75, kind="encoder")
    xs = [3.0 + step * k for k in range(len(target))]
    cells = []
    for x, token, nxt in zip(xs, target, nexts, strict=True):
        tok = box(ax, x, 4.85, show(token), w=0.5, h=0.38, kind="input", mono=True)
        cell = box(ax, x, 5.55, "decoder", w=0.9, h=0.5, kind="decoder", size=SMALL)
        dense = box(ax, x, 6.35, "Dense", w=0.8, h=0.4, kind="dense", size=SMALL)
        loss = circle(ax, x, 7.05, "−log p", r=0.27, kind="attention", size=SMALL * 0.9)
        ref = box(ax, x + 0.58, 7.05, show(nxt), w=0.4, h=0.34, kind="input", mono=True,
                  size=SMALL)
        arrow(ax, tok.top, cell.bottom)
        arrow(ax, cell.top, dense.bottom)
        arrow(ax, dense.top, loss.bottom)
        arrow(ax, ref.left, loss.right, color=MUTED)
        if cells:
            arrow(ax, cells[-1].right, cell.left, color=STATE)
        cells.append(cell)
    arrow(ax, enc.right, cells[0].left, color=STATE, width=1.8, text="[h, c]",
          text_at=((enc.right[0] + cells[0].left[0]) / 2, 5.7),
          size=FONT, text_kw=dict(va="bottom"))
    label(ax, xs[0] - 0.4, 4.85, "decoder_inputs =\ntarget[:, :-1]", size=SMALL,
          ha="right", mono=True)
    label(ax, 0.3, 7.62, "targets = target[:, 1:]\n(the same, shifted left)", size=SMALL,
          ha="left", va="top", mono=True)
    label(ax, 9.8, 7.62, "loss: the mean of −log p(true token)\nover the real tokens "
          "(padding masked)", size=SMALL, ha="right", va="top")
    label(ax, xs[2], 4.6, "at every step the decoder reads the true previous token, "
          "not its own guess", size=SMALL, color=MUTED, va="top")

    # Inference: the encoder model once, then one decoder-model call per token.
    region(ax, 0.15, 0.15, 9.85, 4.1, "Inference: encoder_model once, then decoder_model "
           "once per token, fed its own prediction", kind="encoder", size=FONT)
    enc = box(ax, 1.1, 2.0, "encoder_model\nsource -> [h, c]", w=1.6, h=0.75,
              kind="encoder", size=SMALL)
    guesses = ["V", "a", " ", "!", "\n"]
    inputs = ["\t"] + guesses[:-1]
    xs = [3.0 + 1.5 * k for k in range(len(guesses))]
    feedback = KINDS["attention"][1]
    previous, previous_out = None, None
    for x, token, guess in zip(xs, inputs, guesses, strict=True):
        cell = box(ax, x, 2.0, "decoder_model", w=1.15, h=0.5, kind="decoder", size=SMALL,
                   mono=True)
        out = box(ax, x, 3.0, show(guess), w=0.45, h=0.38, kind="input", mono=True)
        tok = box(ax, x, 1.05, show(token), w=0.45, h=0.38, kind="input", mono=True)
        arrow(ax, cell.top, out.bottom, text="argmax", text_at=(x + 0.08, 2.55),
              text_kw=dict(ha="left"))
        arrow(ax, tok.top, cell.bottom)
        if previous_out:
            # The previous step's prediction is this step's input token.
            gap = x - 0.75
            arrow(ax, previous_out.right, (gap, 3.0), (gap, 1.05), tok.left, color=feedback)
        arrow(ax, (previous or enc).right, cell.left, color=STATE,
              text="[h, c]" if previous is None else None, text_at=(2.2, 2.1),
              text_kw=dict(va="bottom"))
        previous, previous_out = cell, out
    label(ax, xs[-1] + 0.3, 3.0, "stop", size=SMALL, ha="left", color=feedback)
    label(ax, xs[0], 0.78, "[START]", size=SMALL, mono=True, va="top")
    label(ax, 1.1, 1.05, "decoder_model:\n[token, h, c] ->\n[probabilities, h, c]",
          size=SMALL, mono=True)
    label(ax, xs[2], 0.4, "each prediction is the next step's input token, until '\\n' "
          "([END]) or the length limit", size=SMALL, color=feedback)
    return fig


# --- 03: padding and masks -----------------------------------------------------------

def grid(ax, x0, y_top, rows, cell_w=0.62, cell_h=0.42, kinds=None, mono=True, size=FONT):
    """A table of boxes, rows from the top; `kinds[r][c]` colours each cell."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            kind = kinds[r][c] if kinds else "plain"
            box(ax, x0 + (c + 0.5) * cell_w, y_top - (r + 0.5) * cell_h, str(value),
                w=cell_w, h=cell_h, kind=kind, mono=mono, size=size)


@figure("03_padding_and_masks")
def draw_padding_and_masks():
    fig, ax = canvas(10.0, 6.4)
    sentences = [["I", "am", "cold", "."], ["Go", "."], ["He", "is", "very", "tall", "."]]
    ids = [[5, 27, 311, 4], [88, 4], [19, 8, 142, 903, 4]]
    width = max(len(s) for s in sentences)
    padded = [row + [0] * (width - len(row)) for row in ids]
    mask = [[v != 0 for v in row] for row in padded]
    kinds = [["input" if m else "norm" for m in row] for row in mask]

    label(ax, 0.2, 6.2, "A batch of source sentences: ids padded with 0 on the right "
          "(pad_ids)", size=FONT, ha="left", va="top")
    for r, words in enumerate(sentences):
        label(ax, 1.85, 5.55 - r * 0.42, " ".join(words), size=FONT, ha="right")
    grid(ax, 2.0, 5.76, padded, kinds=kinds)
    label(ax, 2.0 + width * 0.31, 4.35, "ids (batch, time)", size=SMALL, mono=True,
          va="top")
    mask_kinds = [["decoder" if m else "attention" for m in row] for row in mask]
    grid(ax, 6.35, 5.76, [["True" if m else "False" for m in row] for row in mask],
         cell_w=0.68, kinds=mask_kinds, size=SMALL)
    label(ax, 6.35 + width * 0.34, 4.35, "mask = ids != 0", size=SMALL, mono=True,
          va="top")
    arrow(ax, (5.25, 5.13), (6.2, 5.13))
    label(ax, 5.72, 5.25, "Embedding(\nmask_zero=True)", size=SMALL * 0.9, mono=True,
          va="bottom")

    # The LSTM skips padded steps: the state is carried through unchanged.
    label(ax, 0.2, 3.75, "The LSTM skips masked steps: the state is copied through, so "
          "the final [h, c] is the state after the last real token ('.')", size=SMALL,
          ha="left", va="top")
    xs = [1.0 + 1.05 * k for k in range(width)]
    previous = None
    for k, (x, value) in enumerate(zip(xs, padded[1], strict=True)):
        real = value != 0
        tok = box(ax, x, 2.35, str(value), w=0.45, h=0.36, kind="input" if real else "norm",
                  mono=True)
        cell = box(ax, x, 3.0, "LSTM" if real else "skip", w=0.72, h=0.42,
                   kind="encoder" if real else "norm", dashed=not real, size=SMALL)
        arrow(ax, tok.top, cell.bottom, color=LINE if real else MUTED, dashed=not real)
        if previous:
            arrow(ax, previous.right, cell.left, color=STATE, dashed=k > 1)
        previous = cell
        if k == 1:
            label(ax, x, 2.05, "'.'", size=SMALL, va="top", color=MUTED)
    arrow(ax, previous.right, (previous.right[0] + 0.55, 3.0), color=STATE, width=1.8)
    label(ax, previous.right[0] + 0.6, 3.0, "[h, c]\n= state after '.'", size=SMALL,
          ha="left", color=STATE)

    # The loss counts real target tokens only.
    label(ax, 0.2, 1.6, "The loss skips them too: MaskedSparseCategoricalCrossentropy "
          "averages over real target tokens", size=SMALL, ha="left", va="top")
    losses = [0.9, 0.4, 0.7, None, None]
    for k, (x, value) in enumerate(zip(xs, losses, strict=True)):
        box(ax, x, 0.85, "−" if value is None else f"{value:.1f}", w=0.6, h=0.38,
            kind="attention" if value is not None else "norm", mono=True,
            dashed=value is None)
        if k == 0:
            label(ax, x - 0.45, 0.85, "loss", size=SMALL, ha="right")
    label(ax, xs[-1] + 0.5, 0.85, "(0.9 + 0.4 + 0.7) / 3 = 0.67, not / 5",
          size=FONT, ha="left")
    label(ax, xs[0], 0.42, "per-token −log p: 'Va !' + [END] (3 tokens), then 2 padding",
          size=SMALL, ha="left", va="top", color=MUTED)
    return fig


# --- 04: attention ---------------------------------------------------------------------

@figure("04_attention")
def draw_attention():
    fig, ax = canvas(10.0, 7.0)
    words = ["I", "am", "cold", ".", "pad"]
    weights = [0.08, 0.12, 0.7, 0.1, 0.0]
    xs = [1.2 + 1.0 * k for k in range(len(words))]
    enc_y, score_y, bar_y, sum_y = 1.05, 2.25, 2.75, 4.75
    dec_x = 7.9

    # Encoder outputs h_1..h_n (the keys and values), one per source token.
    for k, (x, word) in enumerate(zip(xs, words, strict=True)):
        pad = word == "pad"
        label(ax, x, 0.3, "0 (pad)" if pad else word, size=FONT, mono=pad,
              color=MUTED if pad else LINE)
        h = vector(ax, x, enc_y, kind="norm" if pad else "encoder")
        label(ax, x + 0.16, enc_y, f"$h_{k + 1}$", size=FONT, ha="left")
        score = circle(ax, x, score_y, "", r=0.14, kind="attention")
        arrow(ax, h.top, score.bottom)
    label(ax, xs[0] - 0.35, enc_y, "encoder\noutputs", size=SMALL, ha="right")

    # The decoder's output s_t at step t is the query.
    dec = box(ax, dec_x, enc_y, "decoder_lstm\nstep t", w=1.3, h=0.6, kind="decoder",
              size=SMALL, mono=True)
    s = box(ax, dec_x, score_y, "$s_t$", w=0.55, h=0.4, kind="decoder")
    arrow(ax, dec.top, s.bottom)
    line(ax, s.left, (xs[0], score_y), color=KINDS["decoder"][1], width=1.4)
    label(ax, (xs[-1] + s.left[0]) / 2, score_y + 0.08, "query", size=SMALL,
          color=KINDS["decoder"][1], va="bottom")
    label(ax, xs[0] - 0.3, score_y, "scores", size=SMALL, ha="right")

    # softmax over the real positions -> weights a_j, drawn as bar heights.
    bars(ax, xs, bar_y, [1.45 * w for w in weights])
    for x, w in zip(xs, weights, strict=True):
        arrow(ax, (x, score_y + 0.14), (x, bar_y), color=MUTED, width=0.9)
        label(ax, x + 0.2, bar_y + 1.45 * w + 0.05, f"{w:.2f}", size=SMALL, ha="left",
              va="bottom")
    label(ax, xs[0] - 0.3, bar_y + 0.35, "softmax\nweights $a_j$", size=SMALL, ha="right")
    label(ax, xs[-1], bar_y + 0.45, "padding:\nscore −1e9", size=SMALL, color=MUTED,
          va="bottom")

    # context = sum_j a_j h_j; Luong's attentional state from [s_t; context].
    total = circle(ax, xs[2], sum_y, "Σ", r=0.2)
    for x, w in zip(xs[:4], weights, strict=False):
        arrow(ax, (x, bar_y + 1.45 * w + 0.03), total.at("bottom", (x - xs[2]) * 0.08),
              color=KINDS["attention"][1], width=0.9)
    label(ax, xs[2] + 0.28, sum_y + 0.12, "$\\Sigma_j\\, a_j h_j$", size=FONT, ha="left",
          va="bottom")
    context = box(ax, 5.75, sum_y, "context $c_t$", w=1.25, h=0.45, kind="attention")
    arrow(ax, total.right, context.left)
    concat = box(ax, dec_x, sum_y, "$[s_t; c_t]$", w=1.0, h=0.45, kind="plain")
    arrow(ax, context.right, concat.left)
    arrow(ax, s.top, concat.bottom, color=KINDS["decoder"][1])
    proj = box(ax, dec_x, 5.55, "attention_projection\nDense(tanh)", w=1.9, h=0.55,
               kind="dense", size=SMALL, mono=True)
    out = box(ax, dec_x, 6.4, "decoder_dense + softmax", w=2.2, h=0.45, kind="dense",
              size=SMALL, mono=True)
    arrow(ax, concat.top, proj.bottom)
    arrow(ax, proj.top, out.bottom)
    label(ax, dec_x + 1.2, 3.4, "the same at every\ndecoder step t", size=SMALL,
          ha="center", color=MUTED)

    # How the score is computed: the two layers of layers/attention.py.
    region(ax, 0.15, 5.45, 6.2, 6.85, "score($s_t$, $h_j$): two layers", kind="attention",
           size=FONT)
    label(ax, 0.3, 6.2, "Luong (general):  $s_t \\cdot W h_j$", size=FONT, ha="left")
    label(ax, 4.3, 6.2, "LuongAttention", size=SMALL, ha="left", mono=True)
    label(ax, 0.3, 5.75, "Bahdanau (additive):  $v \\cdot \\tanh(W_q s_t + W_k h_j)$",
          size=FONT, ha="left")
    label(ax, 4.3, 5.75, "BahdanauAttention", size=SMALL, ha="left", mono=True)
    return fig


# --- 06: LSTM variants ---------------------------------------------------------------

def gru_cell(ax, x0, y0, s=1.0, ext=0.9):
    """A GRU cell as Keras computes it: h_t = z * h_{t-1} + (1 - z) * h~."""
    p, size, small, r, keep, add = _cell_frame(ax, x0, y0, s, ext, add_x=4.4)
    gw, gh = 0.8 * s, 0.55 * s
    h_y, bus_y, gate_y = CELL_TOP, 0.4, 1.1
    # h_{t-1} also feeds the gates, with x_t.
    line(ax, p(0.25, h_y), p(0.25, bus_y), p(4.4, bus_y), color=STATE, width=1.6)
    circle(ax, *p(0.25, h_y), r=0.05 * s, kind="plain")
    line(ax, p(0.8, -0.45), p(0.8, bus_y), width=1.6)
    z = box(ax, *p(1.4, gate_y), "σ  z", w=gw, h=gh, kind="gate", size=size * 0.95)
    reset = box(ax, *p(2.9, gate_y), "σ  r", w=gw, h=gh, kind="gate", size=size * 0.95)
    cand = box(ax, *p(4.4, gate_y), "tanh  $\\tilde h$", w=gw * 1.1, h=gh, kind="tanh",
               size=size * 0.95)
    for gate in (z, reset, cand):
        arrow(ax, (gate.x, y0 + s * bus_y), gate.bottom)
    arrow(ax, z.top, keep.bottom)
    arrow(ax, reset.right, cand.left)
    label(ax, *p(3.65, gate_y + 0.12), "r ⊙ Uh", size=small * 0.9, va="bottom")
    one_minus = box(ax, *p(2.9, 2.05), "1 − z", w=0.62 * s, h=0.34 * s, kind="gate",
                    size=small)
    circle(ax, *p(1.4, 2.05), r=0.04 * s, kind="plain")
    arrow(ax, p(1.4, 2.05), one_minus.left)
    write = circle(ax, *p(4.4, 2.05), "×", r=r, size=size)
    arrow(ax, one_minus.right, write.left)
    arrow(ax, cand.top, write.bottom)
    arrow(ax, write.top, add.bottom)
    return p


def chain(ax, xs, y, kind, text="LSTM", w=0.55, h=0.36, reverse=False, size=SMALL):
    """A recurrent layer unrolled over `xs`, its state passed along (right to left
    with `reverse`); returns the boxes."""
    cells = [box(ax, x, y, text, w=w, h=h, kind=kind, size=size) for x in xs]
    for a, b in zip(cells[:-1], cells[1:], strict=True):
        if reverse:
            arrow(ax, b.left, a.right, color=STATE)
        else:
            arrow(ax, a.right, b.left, color=STATE)
    return cells


@figure("06_variant_cells")
def draw_variant_cells():
    fig, ax = canvas(10.0, 9.6)
    col, row = (0.15, 5.1), (6.45, 3.25, 0.05)
    pw, ph = 4.75, 3.05

    def panel(c, r, title, config):
        x0, y0 = col[c], row[r]
        region(ax, x0, y0, x0 + pw, y0 + ph, kind="note")
        label(ax, x0 + 0.12, y0 + ph - 0.1, title, size=FONT, ha="left", va="top",
              weight="bold")
        label(ax, x0 + pw - 0.1, y0 + ph - 0.1, config, size=SMALL, ha="right", va="top",
              mono=True)
        return x0, y0

    s, ext = 0.55, 0.55
    dx, dy = (pw - 6.2 * s) / 2, 0.85  # where a cell sits in its panel
    x0, y0 = panel(0, 0, "LSTM", 'cell="lstm"')
    lstm_cell(ax, x0 + dx, y0 + dy, s=s, io_labels=False, ext=ext)
    label(ax, x0 + 0.12, y0 + 0.42, "gates i, f, o and candidate g; state [h, c]\n"
          "4 blocks of weights: keras.layers.LSTM", size=SMALL, ha="left", va="center")

    x0, y0 = panel(1, 0, "GRU", 'cell="gru"')
    gru_cell(ax, x0 + dx, y0 + dy, s=s, ext=ext)
    label(ax, x0 + 0.12, y0 + 0.42, "update z, reset r; no cell state: state [h]\n"
          "$h_t = z \\odot h_{t-1} + (1 - z) \\odot \\tilde h$; 3 blocks (z, r, h)",
          size=SMALL, ha="left", va="center")

    x0, y0 = panel(0, 1, "Peephole LSTM", 'cell="peephole_lstm"')
    lstm_cell(ax, x0 + dx, y0 + dy, s=s, variant="peephole", io_labels=False, ext=ext)
    label(ax, x0 + 0.12, y0 + 0.42, "the gates read the cell state (dashed):\n"
          "f, i the old $c_{t-1}$, o the new $c_t$ (PeepholeLSTMCell)", size=SMALL,
          ha="left", va="center")

    x0, y0 = panel(1, 1, "CIFG: coupled input and forget gates", 'cell="cifg_lstm"')
    lstm_cell(ax, x0 + dx, y0 + dy, s=s, variant="cifg", io_labels=False, ext=ext)
    label(ax, x0 + 0.12, y0 + 0.42, "input gate = 1 − f: $c_t = f \\odot c_{t-1} + "
          "(1-f) \\odot g$\n3 blocks (f, c, o): a quarter fewer weights (CoupledLSTMCell)",
          size=SMALL, ha="left", va="center")

    # Bidirectional encoder: both readings' final states, concatenated.
    x0, y0 = panel(0, 2, "Bidirectional encoder", "bidirectional=True")
    xs = [x0 + 1.05 + 0.68 * k for k in range(4)]
    for x, word in zip(xs, ["I", "am", "cold", "."], strict=True):
        label(ax, x, y0 + 0.35, word, size=SMALL)
    forward = chain(ax, xs, y0 + 1.0, "encoder")
    backward = chain(ax, xs, y0 + 1.7, "encoder", reverse=True)
    for a, b in zip(forward, backward, strict=True):
        arrow(ax, (a.x, y0 + 0.47), a.bottom, color=MUTED, width=0.9)
        arrow(ax, (a.x - 0.2, y0 + 0.6), b.at("bottom", -0.2), color=MUTED, width=0.9)
    label(ax, x0 + 0.12, y0 + 1.0, "forward", size=SMALL, ha="left")
    label(ax, x0 + 0.12, y0 + 1.7, "backward", size=SMALL, ha="left")
    concat = box(ax, x0 + 4.05, y0 + 1.35, "[fw; bw]\nper state", w=1.0, h=0.55,
                 kind="plain", size=SMALL)
    arrow(ax, forward[-1].right, concat.at("left", -0.12), color=STATE)
    arrow(ax, backward[0].top, (backward[0].x, y0 + 2.2), (concat.x, y0 + 2.2), concat.top,
          color=STATE)
    arrow(ax, concat.bottom, (concat.x, y0 + 0.6), color=STATE)
    label(ax, concat.x, y0 + 0.42, "decoder, 2 · units", size=SMALL)
    label(ax, x0 + 0.12, y0 + 2.55, "Bidirectional(LSTM): forward and backward final "
          "[h, c] concatenated", size=SMALL, ha="left", va="center")

    # Stacked layers: encoder layer k's final states start decoder layer k.
    x0, y0 = panel(1, 2, "Stacked layers", "num_layers=2")
    ex = [x0 + 0.45 + 0.62 * k for k in range(3)]
    dx = [x0 + 2.75 + 0.62 * k for k in range(3)]
    names = (("encoder_lstm", "decoder_lstm", 0.75), ("encoder_lstm_2", "decoder_lstm_2", 1.5))
    below = None  # the cells of the layer below
    for enc_name, dec_name, y in names:
        enc = chain(ax, ex, y0 + y, "encoder", text="", w=0.4, h=0.32)
        dec = chain(ax, dx, y0 + y, "decoder", text="", w=0.4, h=0.32)
        arrow(ax, enc[-1].right, dec[0].left, color=STATE, width=1.5)
        label(ax, ex[1], y0 + y + 0.22, enc_name, size=SMALL * 0.95, mono=True, va="bottom")
        label(ax, dx[1], y0 + y + 0.22, dec_name, size=SMALL * 0.95, mono=True, va="bottom")
        for k, cell in enumerate(enc + dec):
            start = (cell.x, y0 + 0.3) if below is None else below[k].top
            arrow(ax, start, cell.bottom, color=MUTED, width=0.9)
        below = enc + dec
    label(ax, x0 + 0.12, y0 + 2.55, "layer k's final [h, c] start decoder layer k; each "
          "layer\nreads the sequence of the layer below", size=SMALL, ha="left",
          va="center")
    return fig


# --- 07: training at scale ------------------------------------------------------------

def flow(ax, steps, x0, y, gap=0.35, h=0.8, kind="plain", size=SMALL):
    """Boxes left to right from `x0`, joined by arrows; `steps` are `(text, width)` or
    `(text, width, kind)`."""
    boxes, x = [], x0
    for text, w, *own_kind in steps:
        boxes.append(box(ax, x + w / 2, y, text, w=w, h=h, kind=(own_kind or [kind])[0],
                         size=size))
        x += w + gap
    for a, b in zip(boxes[:-1], boxes[1:], strict=True):
        arrow(ax, a.right, b.left)
    return boxes


@figure("05_search_loop")
def draw_search_loop():
    """Greedy and beam search as decoding/loop.py and decoding/beam.py run them: the
    encoder once, then one step function call per output token."""
    fig, ax = canvas(10.0, 5.4)
    region(ax, 0.1, 2.85, 9.9, 5.3, "greedy search: one hypothesis per sentence",
           kind="decoder", size=SMALL)
    top = flow(ax, [
        ("source ids", 1.0, "input"),
        ("encode\n(once)", 0.95, "encoder"),
        ("step(token, state)\n-> log p over the\ntarget vocabulary", 1.75, "decoder"),
        ("argmax", 0.9, "dense"),
        ("next token,\nnew state", 1.2, "input"),
    ], 0.3, 4.05, gap=0.4, h=0.95)
    arrow(ax, top[-1].bottom, (top[-1].x, 3.25), (top[2].x, 3.25), top[2].bottom,
          text="fed back: [START] first, then each token chosen", text_at=(
              (top[2].x + top[-1].x) / 2, 3.07), size=SMALL)
    label(ax, 8.9, 4.05, "until [END]\nor the output\nlimit", size=SMALL, color=MUTED)

    region(ax, 0.1, 0.1, 9.9, 2.7, "beam search, width B: B hypotheses per sentence",
           kind="attention", size=SMALL)
    bottom = flow(ax, [
        ("B hypotheses:\ntokens, states,\nscores", 1.35, "input"),
        ("step on all B\n-> B x V log p", 1.35, "decoder"),
        ("score + log p;\neach keeps its\nB best tokens", 1.45, "dense"),
        ("the B best of\nthe B x B; states\nof their parents", 1.55, "dense"),
        ("rank the finished:\nscore / ((5 + length)\n/ 6) ** alpha", 1.75, "attention"),
    ], 0.3, 1.55, gap=0.4, h=1.0)
    arrow(ax, bottom[3].bottom, (bottom[3].x, 0.45), (bottom[1].x, 0.45), bottom[1].bottom,
          text="until every hypothesis ends ([END], or the limit);\na finished one keeps its "
          "slot with its score", text_at=((bottom[1].x + bottom[3].x) / 2, 0.28), size=SMALL)
    return fig


@figure("07_data_pipeline")
def draw_data_pipeline():
    fig, ax = canvas(10.0, 4.6)
    region(ax, 0.1, 2.45, 9.9, 4.5, "Python, once per run (training.prepare_data)",
           kind="input", size=SMALL)
    top = flow(ax, [
        ("corpus file\nfra.txt.gz\nEnglish<TAB>French", 1.55, "input"),
        ("load_pairs\nnormalize\n(NFC, spaces, ')", 1.45),
        ("split_pairs\nby source sentence\n(seeded hash)", 1.6),
        ("Vocabulary.build\non the train split\n(char, word, subword)", 1.75),
        ("encode_pairs\nids, [START] … [END]\npadded with 0", 1.7),
    ], 0.25, 3.35, gap=0.3, h=1.0)
    label(ax, top[2].x, 2.62, "all translations of a sentence in one split",
          size=SMALL * 0.95, color=MUTED)

    region(ax, 0.1, 0.1, 9.9, 2.25, "tf.data, every epoch (data.make_dataset)",
           kind="encoder", size=SMALL, title_at="top right")
    bottom = flow(ax, [
        ("shuffle\n(seeded)", 0.95),
        ("sort by length\nin windows of\nsort_window batches", 1.45),
        ("batch\n(batch_size)", 1.0),
        ("shuffle\nthe batches", 1.0),
        ("trim padding;\nshift for\nteacher forcing", 1.35),
        ("prefetch", 0.85),
    ], 0.25, 1.15, gap=0.3, h=0.95, kind="encoder")
    fit = box(ax, 9.25, 1.15, "model\n.fit", w=0.95, h=0.95, kind="decoder", size=FONT,
              mono=True)
    arrow(ax, bottom[-1].right, fit.left)
    arrow(ax, top[-1].bottom, (top[-1].x, 2.35), (bottom[0].x, 2.35), bottom[0].top)
    label(ax, bottom[1].x, 0.33, "a batch holds sentences of similar length", size=SMALL,
          color=MUTED)
    label(ax, bottom[4].x + 0.4, 0.33, "({encoder_inputs, decoder_inputs}, targets)",
          size=SMALL, color=MUTED, mono=True)
    return fig


@figure("07_data_parallelism")
def draw_data_parallelism():
    fig, ax = canvas(10.0, 5.6)
    region(ax, 0.1, 0.1, 9.9, 5.45, "with tf.distribute.MirroredStrategy().scope():  "
           "model = build + compile;   model.fit(dataset)", kind="note", size=SMALL,
           mono=True)
    batch = box(ax, 1.0, 2.75, "a batch\nof 64 pairs\n(batch_size)", w=1.45, h=1.0,
                kind="input")
    ys = (4.0, 1.5)
    grads = []
    for k, y in enumerate(ys):
        half = box(ax, 2.95, y, "32 pairs", w=1.0, h=0.5, kind="input", size=SMALL)
        arrow(ax, batch.right, half.left)
        model = box(ax, 4.75, y, f"replica {k} (GPU:{k})\nweights: a mirrored copy\n"
                    "forward, loss, backward", w=2.1, h=0.95, kind="encoder", size=SMALL)
        arrow(ax, half.right, model.left)
        grad = box(ax, 6.55, y, f"gradients $g_{k}$", w=1.05, h=0.5, kind="attention",
                   size=SMALL)
        arrow(ax, model.right, grad.left)
        grads.append(grad)
    reduce = box(ax, 8.1, 2.75, "all-reduce\n$g = g_0 + g_1$\n(NCCL on GPUs)", w=1.3, h=1.0,
                 kind="attention", size=SMALL)
    for grad in grads:
        arrow(ax, grad.right, reduce.left)
    label(ax, 8.1, 1.85, "one update,\nthe same on\nevery replica:\noptimizer.apply(g)",
          size=SMALL, va="top")
    for y in ys:
        arrow(ax, reduce.top if y > 2.75 else reduce.bottom,
              (8.1, y + 0.72 if y > 2.75 else y - 0.72),
              (4.75, y + 0.72 if y > 2.75 else y - 0.72),
              (4.75, y + 0.48 if y > 2.75 else y - 0.48), color=STATE)
    label(ax, 6.4, 4.8, "weights updated in place, still identical", size=SMALL,
          color=STATE, va="bottom")
    label(ax, 0.3, 0.45, "Synchronous data parallelism: each replica sees part of the "
          "batch; MultiWorkerMirroredStrategy does the same across machines (TF_CONFIG).",
          size=SMALL, ha="left", va="center")
    return fig


# --- 08: serving ----------------------------------------------------------------------

@figure("08_serving_pipeline")
def draw_serving_pipeline():
    fig, ax = canvas(10.0, 5.9)
    # The serving module's graph (translation.export.Serving.translate), in two rows.
    region(ax, 0.1, 1.75, 9.9, 5.2, "One graph of TensorFlow ops: Serving.translate "
           "(export_translator writes it as a SavedModel, serving_default: strings -> "
           "strings)", kind="dense", size=SMALL)
    first = flow(ax, [
        ('text\n"I met Zelda.\nIt\'s cold"', 1.5, "input"),
        ("tf_normalize", 1.1),
        ("input rules\ntidy typing,\nsplit sentences,\nend marks", 1.45),
        ("placeholders\nfor rare names\nand numbers", 1.35),
        ("encode: Sentence-\nPiece pieces, or\nword / char lookup", 1.55),
        ("encoder\nSeq2Seq\n.encode", 1.0),
    ], 0.25, 4.15, gap=0.27, h=1.05)
    second = flow(ax, [
        ("search: greedy\nor beam\n(tf.while_loop)", 1.5),
        ("[UNK] repair\nlexicon / copy,\nwhere attention\nlooked", 1.5),
        ("detokenize\n(decode ids)", 1.3),
        ("restore names,\njoin sentences", 1.45),
        ('text\n"J\'ai rencontré\nZelda. Il fait\nfroid."', 1.5, "input"),
    ], 0.25, 2.55, gap=0.3, h=1.05)
    arrow(ax, first[-1].bottom, (first[-1].x, 3.3), (second[0].x, 3.3), second[0].top)
    label(ax, second[1].x, 1.88, "word level with attention only", size=SMALL * 0.95,
          color=MUTED)

    # The server around it: HTTP in, requests batched, Translator.translate.
    region(ax, 0.1, 0.1, 9.9, 1.55, "seq2seq-keras serve (apps.serve: Starlette + uvicorn)",
           kind="decoder", size=SMALL, mono=False)
    serve = flow(ax, [
        ("POST /v1/models/NAME:predict\n{\"instances\": [str, ...]}", 2.45),
        ("Batcher: merges waiting\nrequests, up to max_batch", 2.05),
        ("translator.translate(list)\nsame rules and search", 2.2),
        ("{\"predictions\":\n[str, ...]}", 1.35),
    ], 0.25, 0.68, gap=0.35, h=0.72, kind="decoder")
    arrow(ax, serve[2].top, (serve[2].x, 1.75), color=KINDS["dense"][1], dashed=True)
    label(ax, 5.0, 5.6, "Translator.translate, the exported SavedModel and the server "
          "give the same strings: the rules exist once, as TF ops", size=SMALL,
          va="bottom")
    label(ax, 5.0, 5.33, "(a SavedModel needs only TensorFlow + tensorflow-text; the "
          "server's REST API is TensorFlow Serving's)", size=SMALL, va="bottom",
          color=MUTED)
    return fig


# --- 09: the Transformer ---------------------------------------------------------------

def residual(ax, x, y, sublayer, kind, w=2.3, name=None):
    """A pre-norm residual sublayer from `y` upward: x + Dropout(sublayer(LayerNorm(x))).

    Returns the y where its output leaves (above the `+`)."""
    norm = box(ax, x, y + 0.4, "LayerNorm", w=w * 0.7, h=0.32, kind="norm", size=SMALL)
    main = box(ax, x, y + 0.98, sublayer, w=w, h=0.5, kind=kind, size=SMALL)
    add = circle(ax, x, y + 1.55, "+", r=0.13)
    arrow(ax, (x, y), norm.bottom)
    arrow(ax, norm.top, main.bottom)
    arrow(ax, main.top, add.bottom)
    # The residual path skips the norm: what the code does (pre-norm).
    bypass = x - w / 2 - 0.22
    circle(ax, x, y + 0.1, r=0.035, kind="plain")
    arrow(ax, (x, y + 0.1), (bypass, y + 0.1), (bypass, y + 1.55), add.left, color=MUTED)
    if name:
        label(ax, x + w / 2 + 0.1, y + 0.98, name, size=SMALL * 0.9, ha="left", mono=True,
              color=MUTED)
    return y + 1.68


@figure("09_transformer_block")
def draw_transformer_block():
    fig, ax = canvas(10.0, 9.2)
    ex, dx = 2.3, 6.7

    # Encoder: positions added to the token embeddings, N pre-norm blocks, a final norm.
    src = box(ax, ex, 0.35, "source ids", w=1.3, h=0.4, kind="input", size=SMALL)
    emb = box(ax, ex, 1.15, "encoder_positions:\ntoken embedding · √d\n+ sine positions",
              w=2.3, h=0.72, kind="encoder", size=SMALL)
    arrow(ax, src.top, emb.bottom)
    region(ax, 0.55, 1.6, 4.05, 5.25, "× num_layers", kind="encoder", size=SMALL,
           title_at="bottom right")
    y = residual(ax, ex, 1.6, "multi-head self-attention\n(padding mask)", "attention",
                 name="self_attention")
    y = residual(ax, ex, y, "feed-forward\nDense(ff_dim, ReLU), Dense(d)", "dense",
                 name="ff_in, ff_out")
    enc_norm = box(ax, ex, y + 0.45, "LayerNorm (encoder_norm)", w=2.3, h=0.34, kind="norm",
                   size=SMALL)
    arrow(ax, (ex, y), enc_norm.bottom)
    memory = box(ax, ex, y + 1.2, "encoder outputs\n(memory)", w=1.6, h=0.55,
                 kind="encoder", size=SMALL)
    arrow(ax, enc_norm.top, memory.bottom)

    # Decoder: masked self-attention, cross-attention over the memory, feed-forward.
    tgt = box(ax, dx, 0.35, "target ids, shifted right", w=2.0, h=0.4, kind="input",
              size=SMALL)
    demb = box(ax, dx, 1.15, "decoder_positions:\ntoken embedding E · √d\n+ sine positions",
               w=2.3, h=0.72, kind="decoder", size=SMALL)
    arrow(ax, tgt.top, demb.bottom)
    region(ax, 4.95, 1.6, 8.45, 6.95, "× num_layers", kind="decoder", size=SMALL,
           title_at="bottom right")
    y = residual(ax, dx, 1.6, "masked multi-head self-attention\n(causal mask)",
                 "attention", name="self_attention")
    y_cross = y
    y = residual(ax, dx, y, "multi-head cross-attention\nqueries here; keys, values: memory",
                 "attention", name="cross_attention")
    y = residual(ax, dx, y, "feed-forward\nDense(ff_dim, ReLU), Dense(d)", "dense",
                 name="ff_in, ff_out")
    # The memory enters the cross-attention from the encoder side.
    arrow(ax, memory.right, (4.6, memory.y), (4.6, y_cross + 0.98),
          (dx - 1.15, y_cross + 0.98), color=KINDS["encoder"][1], width=1.6)
    dec_norm = box(ax, dx, y + 0.45, "LayerNorm (decoder_norm)", w=2.3, h=0.34,
                   kind="norm", size=SMALL)
    arrow(ax, (dx, y), dec_norm.bottom)
    out = box(ax, dx, y + 1.2, "decoder_dense (tied):\nlogits = x Eᵀ + b", w=2.3, h=0.6,
              kind="dense", size=SMALL)
    arrow(ax, dec_norm.top, out.bottom)
    arrow(ax, out.top, (dx, y + 1.85))
    label(ax, dx, y + 1.9, "logits over the target vocabulary", size=SMALL, va="bottom")
    # Tied: the output layer uses the decoder's embedding matrix E.
    arrow(ax, demb.right, (9.2, demb.y), (9.2, out.y), out.right, color=KINDS["dense"][1],
          dashed=True, head=False)
    label(ax, 9.3, (demb.y + out.y) / 2, "the same matrix E\n(tie_embeddings)", size=SMALL,
          ha="left", rotation=90, va="center", color=KINDS["dense"][1])

    label(ax, 0.2, 9.05, "Pre-norm blocks, as models/transformer.py wires them: "
          "x + Dropout(sublayer(LayerNorm(x))), a final LayerNorm on each side.",
          size=SMALL, ha="left", va="top")
    label(ax, 0.2, 8.75, "The grey line is the residual path: it skips the norm.",
          size=SMALL, ha="left", va="top", color=MUTED)
    return fig


@figure("09_multi_head_attention")
def draw_multi_head_attention():
    fig, ax = canvas(10.0, 6.6)
    heads = 3
    xs = {"Q": 1.0, "K": 2.6, "V": 4.2}
    names = {"Q": "query_dense", "K": "key_dense", "V": "value_dense"}
    for key, x in xs.items():
        inp = box(ax, x, 0.72, key, w=0.6, h=0.42, kind="input")
        proj = box(ax, x, 1.6, f"{names[key]}\n$W_{key}$", w=1.4, h=0.6, kind="dense",
                   size=SMALL)
        arrow(ax, inp.top, proj.bottom)
        # h heads of key_dim = d / h each: drawn as stacked sheets.
        for k in reversed(range(heads)):
            box(ax, x + 0.1 * k, 2.6 + 0.1 * k, f"${key}_i$" if k == 0 else "",
                w=0.9, h=0.42, kind="plain", size=SMALL)
        arrow(ax, proj.top, (x, 2.39))
    label(ax, xs["V"] + 0.75, 2.7, "h heads\nof d / h", size=SMALL, ha="left")
    label(ax, xs["K"], 0.3, "query, key, value inputs: (batch, time, d)", size=SMALL,
          va="center")
    sdpa = box(ax, 2.6, 3.85, "scaled dot-product attention, per head", w=4.4, h=0.6,
               kind="attention", size=FONT)
    for x in xs.values():
        arrow(ax, (x, 3.03), (x, sdpa.bottom[1]))
    concat = box(ax, 2.6, 4.85, "concatenate the h heads", w=3.0, h=0.45, kind="plain",
                 size=SMALL)
    out = box(ax, 2.6, 5.7, "output_dense $W_O$: back to d", w=3.0, h=0.5, kind="dense",
              size=SMALL)
    arrow(ax, sdpa.top, concat.bottom)
    arrow(ax, concat.top, out.bottom)
    arrow(ax, out.top, (2.6, 6.15))
    label(ax, 4.2, 5.28, "one EinsumDense\nin Keras: both", size=SMALL, ha="left",
          color=MUTED)
    label(ax, 0.2, 6.5, "keras.layers.MultiHeadAttention(num_heads, key_dim = d // "
          "num_heads)", size=SMALL, ha="left", va="top", mono=True)

    # One head in detail.
    region(ax, 5.7, 0.15, 9.85, 6.5, "one head", kind="attention", size=FONT)
    cx = 7.75
    steps = [
        ("$Q_i$ × 1/√key_dim (the query first)", "plain"),
        ("scores: · $K_i^T$", "plain"),
        ("mask: padding, causal\n(−∞ where hidden)", "norm"),
        ("softmax over keys", "attention"),
        ("dropout", "plain"),
        ("weights · $V_i$", "plain"),
    ]
    previous = None
    for k, (text, kind) in enumerate(steps):
        b = box(ax, cx, 0.75 + 0.88 * k, text, w=2.6, h=0.55, kind=kind, size=SMALL)
        if previous:
            arrow(ax, previous.top, b.bottom)
        previous = b
    arrow(ax, previous.top, (cx, previous.top[1] + 0.3))
    label(ax, cx + 1.38, 0.75 + 0.88 * 4, "training\nonly", size=SMALL * 0.9,
          ha="left", color=MUTED)
    label(ax, cx, 0.25, "softmax($Q_i K_i^T$ / √key_dim + mask) $V_i$", size=SMALL)
    arrow(ax, (sdpa.right[0], sdpa.y), (5.95, sdpa.y), color=MUTED, dashed=True, head=False)
    return fig


# --- writing the files ----------------------------------------------------------------

def draw(name: str, folder: str, png: bool = False) -> list[str]:
    """Draw figure `name` into `folder` as SVG (and PNG with `png`); the paths written."""
    matplotlib.rcdefaults()
    matplotlib.rcParams.update(RC)
    fig = FIGURES[name]()
    paths = [os.path.join(folder, f"{name}.svg")]
    # No date, so that drawing again gives the same bytes.
    fig.savefig(paths[0], format="svg", metadata={"Date": None})
    if png:
        paths.append(os.path.join(folder, f"{name}.png"))
        fig.savefig(paths[1], format="png", dpi=100)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"figures to draw, of: {', '.join(FIGURES)}"
                        " (default: all)")
    parser.add_argument("--out", default=FIGURES_DIR, help="folder to write into")
    parser.add_argument("--png", action="store_true", help="also write PNG copies")
    args = parser.parse_args(argv)
    names = [n[:-4] if n.endswith(".svg") else n for n in args.names] or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        for path in draw(name, args.out, args.png):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
