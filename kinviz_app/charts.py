"""Plotly charts outside a run: the mask's timeline on Predict, Evaluate's bars, the model card's training
curve. No Streamlit. Methods keep their one colour (``style``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import kinviz
from kinviz_app import style
from kinviz_app.figures import layout
from kinviz_app.style import MISSING_RGB

SHORT_TIMELINE = 4000  # cells (frames x parts) up to which the timeline draws a marker per frame, each clickable


# ----------------------------------------------------------------------------- the mask


def timeline_figure(traj: kinviz.Trajectory, hidden: np.ndarray) -> go.Figure:
    """One row per object over the frames: observed, hidden by the mask ((T,) frames or (T, K) cells),
    missing in the file. A short file (up to ``SHORT_TIMELINE`` cells) gets a marker per cell, and a click
    toggles its frame. A longer one gets a bar per stretch, at least about a pixel wide, each kind one filled
    shape (one SVG path, however many stretches): the 7,200 x 6 open-field file's markers took Chromium
    about 1 s to draw in WebGL each time the mask changed, SVG markers more; as lines, a 3,600 x 25 file with
    scattered gaps was 2,137 paths, and the page took 1.8-2.2 s to settle after each mask against 1.7-1.9 s
    as shapes. The observed bar is each row's whole length, under the gaps and the hidden frames.

    Box or lasso selection returns the points' frames (x), a box also its span, which is all a long
    file's bars give; the page turns them into a mask.
    """
    T, K = traj.n_frames, traj.n_objects
    missing = traj.missing
    hid = (hidden if hidden.ndim == 2 else np.repeat(hidden[:, None], K, axis=1)) & ~missing
    seen = ~missing & ~hid
    short = T * K <= SHORT_TIMELINE
    fig = go.Figure()
    kinds = [("observed", seen, "#9aa5b1", "square", 7), ("missing in file", missing, MISSING_RGB, "x", 8),
             ("hidden (to fill)", hid, "rgb(255,176,0)", "square", 9)]  # the hidden last: on top of the others' bars
    for rank, (label, cells, colour, symbol, size) in enumerate(kinds):
        if short:
            frames, rows = np.nonzero(cells.T)[::-1]
            x, y, names = frames, K - 1 - rows, np.asarray(traj.names, object)[rows]
            trace = go.Scatter(x=x, y=y, mode="markers", marker=dict(color=colour, size=size, symbol=symbol))
        else:
            # at least about a pixel wide: a plot of a long file is some 1,500 pixels wide at most
            x, y, names = _bars(np.ones_like(cells) if label == "observed" else cells, traj.names, pad=T / 1500)
            trace = go.Scatter(x=x, y=y, mode="none", fill="toself", fillcolor=colour, hoveron="fills")
        fig.add_trace(trace.update(name=label, customdata=names, legendrank=(1, 3, 2)[rank],
                                   hovertemplate=f"frame %{{x:.0f}}<br>%{{customdata}}<extra>{label}</extra>"))
    fig.update_xaxes(title_text="frame", range=[-0.5, T - 0.5])
    fig.update_yaxes(tickvals=list(range(K)), ticktext=list(traj.names[::-1]), range=[-0.6, K - 0.4], fixedrange=True)
    # The legend's foot a few px above the rows however many there are (the plot is some 70 + 24 K px tall): never
    # over them, where it would take a box's first press for a click on the legend.
    return layout(fig, 120 + 24 * K, dragmode="select", clickmode="event+select",
                  legend=dict(orientation="h", yanchor="bottom", y=1 + 6 / (70 + 24 * K)))


def _bars(cells: np.ndarray, names, pad: float):
    """(x, y, names) of one filled trace: per row, a rectangle over each stretch of True cells (frames a..b
    drawn from a - pad to b + pad, pad at least half a frame), rectangles parted by None."""
    K = cells.shape[1]
    half = max(0.5, pad)
    x, y, who = [], [], []
    for k in range(K):
        row = K - 1 - k
        for a, b in kinviz.mask_runs(cells[:, k]):
            x += [a - half, b + half, b + half, a - half, None]
            y += [row - 0.3, row - 0.3, row + 0.3, row + 0.3, None]
            who += [names[k]] * 4 + [None]
    return x, y, who


def selected_frames(selection: dict, n_frames: int) -> list[int]:
    """The frames a timeline selection picks: its points' frames, and every frame under a box (a long
    file's timeline has bars, not points), within the file."""
    frames = {int(round(p["x"])) for p in selection.get("points", []) if p.get("x") is not None}
    for box in selection.get("box", []):
        if len(box.get("x", [])) == 2:
            lo, hi = sorted(float(v) for v in box["x"])
            frames |= set(range(int(np.ceil(lo)), int(np.floor(hi)) + 1))
    return sorted(f for f in frames if 0 <= f < n_frames)


# ----------------------------------------------------------------------------- Evaluate and the model card


def method_bars(values, *, title: str = "Mean ADE, % of scene diagonal (lower is better)") -> go.Figure:
    """One bar per method (indexed by human name) in its colour; a log scale once one method's error is
    more than ten times another's, so the rest stay readable when one explodes."""
    by_name = {style.name(m): m for m in style.METHODS}
    v = values.astype(float)
    finite = v[np.isfinite(v) & (v > 0)]
    log = len(finite) > 1 and finite.max() > 10 * finite.min()
    fig = go.Figure(go.Bar(x=list(v.index), y=v.to_numpy(), marker_color=[style.colour(by_name.get(n, n)) for n in v.index],
                           text=[f"{x:.3g}" for x in v.to_numpy()], textposition="outside", cliponaxis=False))
    fig.update_yaxes(type="log" if log else "linear", title_text="ADE %" + (" (log scale)" if log else ""),
                     dtick=1 if log else None)  # log: one tick per decade
    return layout(fig, 320, title=title, showlegend=False)


def curve_figure(curve: list[dict], levels: int | None = None) -> go.Figure:
    """Training and validation loss (cross-entropy per token digit, nats) over transformer steps,
    with chance level ln(levels) for scale."""
    fig = go.Figure()
    steps = [p["step"] for p in curve]
    fig.add_trace(go.Scatter(x=steps, y=[p.get("loss") for p in curve], mode="lines+markers", name="training loss (EMA)"))
    fig.add_trace(go.Scatter(x=steps, y=[p.get("val_loss") for p in curve], mode="lines+markers", name="validation loss"))
    if levels:
        fig.add_hline(y=float(np.log(levels)), line=dict(color="grey", dash="dot"),
                      annotation_text=f"chance: ln {levels}", annotation_position="top left")
    return layout(fig, 380, xaxis_title="transformer step", yaxis_title="cross-entropy per digit (nats)")
