"""Plotly charts outside a run: the mask's timeline on Predict, Evaluate's bars, the model card's training
curve. No Streamlit. Methods keep their one colour (``style``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import kinviz
from kinviz_app import style
from kinviz_app.figures import layout
from kinviz_app.style import MISSING_RGB

TIMELINE_POINTS = 1500  # observed markers per row of a long file's timeline: about one per pixel


# ----------------------------------------------------------------------------- the mask


def timeline_figure(traj: kinviz.Trajectory, hidden: np.ndarray) -> go.Figure:
    """One row of markers per object over the frames: observed, hidden by the mask ((T,) frames or
    (T, K) cells), missing in the file. Observed frames of a long file are drawn at about one marker per
    pixel (``TIMELINE_POINTS`` a row), the hidden and missing ones all; each row is its own trace, at a
    number the axis names (a 7,200 x 6 file's names repeated per marker were 0.76 MB of the page; WebGL
    markers ignore ``y0`` with ``dy=0``, so the row is spelled out).

    Box or lasso selection returns the points' frames (x), a box also its span; the page turns them into
    a mask.
    """
    T, K = traj.n_frames, traj.n_objects
    missing = traj.missing
    hid = (hidden if hidden.ndim == 2 else np.repeat(hidden[:, None], K, axis=1)) & ~missing
    seen = ~missing & ~hid
    stride = max(1, -(-T // TIMELINE_POINTS))
    Scatter = go.Scattergl if T * K > 4000 else go.Scatter
    fig = go.Figure()
    for label, cells, marker, step in [
        ("observed", seen, dict(color="#9aa5b1", size=7, symbol="square"), stride),
        ("hidden (to fill)", hid, dict(color="rgb(255,176,0)", size=9, symbol="square"), 1),
        ("missing in file", missing, dict(color=MISSING_RGB, size=8, symbol="x"), 1),
    ]:
        for k, name in enumerate(traj.names):
            frames = np.flatnonzero(cells[:, k])
            frames = frames[frames % step == 0] if step > 1 else frames
            row = np.full(len(frames), K - 1 - k, np.int16)
            fig.add_trace(Scatter(x=frames.astype(np.int32), y=row, mode="markers", name=label,
                                  legendgroup=label, showlegend=k == 0, marker=marker,
                                  hovertemplate=f"frame %{{x}}<br>{name}<extra>{label}</extra>"))
    fig.update_xaxes(title_text="frame", range=[-0.5, T - 0.5])
    fig.update_yaxes(tickvals=list(range(K)), ticktext=list(traj.names[::-1]), range=[-0.6, K - 0.4], fixedrange=True)
    return layout(fig, 120 + 24 * K, dragmode="select", clickmode="event+select", legend=dict(orientation="h", y=1.25))


def selected_frames(selection: dict, n_frames: int) -> list[int]:
    """The frames a timeline selection picks: its points' frames, and every frame under a box (drawn or
    not: a long file's timeline draws one observed marker in a few), within the file."""
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
