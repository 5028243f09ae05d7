"""Plotly charts outside a run: the mask's timeline on Predict, Evaluate's bars, the model card's training
curve. No Streamlit. Methods keep their one colour (``style``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import kinviz
from kinviz_app import style
from kinviz_app.figures import layout
from kinviz_app.style import MISSING_RGB


# ----------------------------------------------------------------------------- the mask


def timeline_figure(traj: kinviz.Trajectory, hidden: np.ndarray) -> go.Figure:
    """One row of markers per object over the frames: observed, hidden by the mask ((T,) frames or
    (T, K) cells), missing in the file.

    Box or lasso selection returns the points' frames (x); the page turns them into a mask.
    """
    T, K = traj.n_frames, traj.n_objects
    frames = np.repeat(np.arange(T), K)
    rows = np.tile(np.arange(K), T)
    missing = traj.missing.reshape(-1)
    hid = (hidden.reshape(-1) if hidden.ndim == 2 else np.repeat(hidden, K)) & ~missing
    seen = ~missing & ~hid
    Scatter = go.Scattergl if T * K > 4000 else go.Scatter
    names = np.asarray(traj.names, dtype=object)
    fig = go.Figure()
    for label, sel, marker in [
        ("observed", seen, dict(color="#9aa5b1", size=7, symbol="square")),
        ("hidden (to fill)", hid, dict(color="rgb(255,176,0)", size=9, symbol="square")),
        ("missing in file", missing, dict(color=MISSING_RGB, size=8, symbol="x")),
    ]:
        fig.add_trace(Scatter(x=frames[sel], y=names[rows[sel]], mode="markers", name=label,
                              marker=marker, hovertemplate="frame %{x}<br>%{y}<extra>" + label + "</extra>"))
    fig.update_xaxes(title_text="frame", range=[-0.5, T - 0.5])
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=traj.names[::-1])
    return layout(fig, 120 + 24 * K, dragmode="select", clickmode="event+select", legend=dict(orientation="h", y=1.25))


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
