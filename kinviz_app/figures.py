"""Plotly figures of a run: its coordinates, paths, errors and fill in the scene (the other pages' charts
are in ``charts``). No Streamlit.

One part: the colour says *which method* (``style``), the same in every chart. Several parts: the colour
says which part (``style.part_colours``) and the line which method (``legend``); only the parts picked are
drawn (by default the hidden ones and their nearest partners, ``scene.default_parts``).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import kinviz
from kinviz.core.masks import short_gaps
from kinviz_app import scene, style
from kinviz_app.legend import BAND_LABEL, BAND_RANK, Styles, line
from kinviz_app.scene import MIN_SPAN, axis_range, scene_box, scene_size
from kinviz_app.style import HIDDEN_FILL

LONG_FRAMES = 600  # longer files open the coordinates zoomed on the hidden frames (a double-click shows them all)
ZOOM_MARGIN = 0.5  # the zoom shows this share of the hidden span's length on each side of it (60 frames at least)
LIVE_HEIGHT = 300  # pixels: the live fill sits under the Run button, short enough to stay on screen with it
LIVE_POINTS = 2_000  # dots at most in the live fill (every n-th beyond): each redraw stays cheap
MAX_ELLIPSES = 400  # uncertainty ellipses drawn in the x-y plot at most (every n-th changed cell beyond)


def shapes(hidden: np.ndarray, xref: str = "x", yref: str = "y domain") -> list[dict]:
    """One shaded rectangle per hidden stretch, as layout shapes: added in one call (``add_vrect`` per
    stretch rebuilt the layout each time: minutes for a 2,000-frame file with 30 % hidden at random)."""
    return [dict(type="rect", xref=xref, yref=yref, x0=a - 0.5, x1=b + 0.5, y0=0, y1=1, fillcolor=HIDDEN_FILL,
                 line_width=0, layer="below") for a, b in kinviz.mask_runs(hidden)]


def layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("legend", dict(orientation="h", y=1.02, yanchor="bottom", x=0))  # above: never on an axis title
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), **kw)
    return fig


def near(filled_k: np.ndarray) -> np.ndarray:
    """Filled frames and their neighbours, so a filled segment joins the observed line on each side."""
    out = filled_k.copy()
    out[1:] |= filled_k[:-1]
    out[:-1] |= filled_k[1:]
    return out


def segments(keep: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
    """The ``columns`` (T,) where ``keep`` holds, each stretch ended by a NaN: a trace that is drawn only near
    the filled frames carries those frames alone, not the whole file's worth of NaN."""
    idx = np.flatnonzero(keep)
    if not len(idx):
        return [np.array([np.nan]) for _ in columns]
    breaks = np.flatnonzero(np.diff(idx) > 1) + 1
    out = []
    for col in columns:
        parts = np.split(np.asarray(col, float)[idx], breaks)
        out.append(np.concatenate([np.append(p, np.nan) for p in parts]))
    return out


def band_polygons(filled_k: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of one closed polygon per filled stretch (from the seen frame before it to the one after, where
    the band pinches to the line), separated by NaN: a band never joins two gaps across the frames seen
    between them, as a 'tonexty' fill over NaN-broken lines did."""
    xs, ys, T = [], [], len(filled_k)
    for a, b in kinviz.mask_runs(filled_k):
        a, b = max(a - 1, 0), min(b + 1, T - 1)
        frames = np.arange(a, b + 1)
        xs += [frames, frames[::-1], [frames[0], np.nan]]
        ys += [lo[a : b + 1], hi[a : b + 1][::-1], [lo[a], np.nan]]
    if not xs:
        return np.array([np.nan]), np.array([np.nan])
    return np.concatenate(xs).astype(float), np.concatenate(ys).astype(float)


def drawn_parts(pred: kinviz.Prediction, parts) -> list[str]:
    """The parts a run's figures draw: ``parts`` as picked (those the file has), else the default."""
    names = pred.trajectory.names
    if parts:
        picked = [n for n in names if n in set(parts)]
        if picked:
            return picked
    hidden = scene.hidden_cells(pred)
    return scene.default_parts(pred.trajectory, hidden if hidden.any() else pred.filled)


# ----------------------------------------------------------------------------- a run


def dot_trace(kw: dict, at: np.ndarray, x, y, **extra) -> dict:
    """The points ``at`` of a line (the cells the model moved) as dots, a trace of its own beside the line: a
    marker on every point of the line, most of them of size 0, cost Chromium 0.4-0.5 s on a 7,200-frame file's
    coordinates, more than all their lines."""
    kw = {**kw, "showlegend": False}
    colour = kw.pop("line")["color"]
    kw.pop("opacity", None)
    extra = {key: np.asarray(v)[at] if np.ndim(v) == 1 and len(v) == len(at) else v for key, v in extra.items()}
    return scatter(x=np.asarray(x)[at], y=np.asarray(y)[at], mode="markers",
                   marker=dict(size=7, color=colour, line=dict(width=0)), **kw, **extra)


def scatter(**kw) -> dict:
    """A scatter trace as a plain dict, for ``go.Figure.add_traces`` to check once: a ``go.Scatter`` added with
    ``add_trace(..., row=, col=)`` was built and checked twice and placed on the grid one by one, 0.44 s of the
    coordinates' 0.9 s on a 7,200 x 6 file (194 traces, most of them fills switched off in the legend)."""
    return dict(type="scatter", **kw)


def on_row(axis: int) -> dict:
    """The axes of ``make_subplots``' row ``axis + 1`` (of one column): x/y, then x2/y2."""
    return {"xaxis": "x", "yaxis": "y"} if axis == 0 else {"xaxis": f"x{axis + 1}", "yaxis": f"y{axis + 1}"}


def zoom(pred: kinviz.Prediction, cells: np.ndarray) -> list[float] | None:
    """The frames a long file's coordinates open on: the hidden (else filled) frames with a margin; None for
    a short file, or when they spread over most of it."""
    T = pred.trajectory.n_frames
    marked = cells.any(axis=1)
    idx = np.flatnonzero(marked if marked.any() else pred.filled.any(axis=1))
    if T <= LONG_FRAMES or not len(idx):
        return None
    a, b = int(idx[0]), int(idx[-1])
    margin = max(ZOOM_MARGIN * (b - a + 1), 60)
    lo, hi = max(a - margin, 0) - 0.5, min(b + margin, T - 1) + 0.5
    return None if hi - lo > 0.8 * T else [lo, hi]


def coords_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray], *, band: bool = True,
                  parts=None, off=()) -> go.Figure:
    """x and y over the frames: ground truth where there is truth, the fill (dots where the model moved it
    off the classical fill; the line alone where it is that fill) with its uncertainty band (± ``style.BAND_SD``
    standard deviations, clipped to the scene, one polygon per filled stretch), the chosen baselines (at the
    cells ``scene.compared`` names; those in ``off`` switched off, in the legend); hidden frames shaded. Only
    ``parts`` are drawn (default ``drawn_parts``). A long file opens zoomed on the hidden frames; a double-click
    on the plot shows the whole file."""
    traj = pred.trajectory
    T = traj.n_frames
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    frames = np.arange(T)
    sd = scene.spread(pred) if band else None
    drawn = drawn_parts(pred, parts)
    styles = Styles(fig, traj, baselines, drawn, off)
    changed = scene.model_changed(pred)
    share = pred.weight if pred.weight is not None else np.ones(pred.filled.shape)
    box_lo, box_hi = scene_box(traj)
    ranges: list[list[np.ndarray]] = [[], []]

    traces: list[dict] = []

    def add(method: str, k: int, axis: int, x, y, dots=None, **kw) -> None:
        if styles.skip(method, y):
            return
        label = style.name(method)
        kw.setdefault("hovertemplate", f"{traj.names[k]} · {label}<br>frame %{{x}}: %{{y:.4g}}<extra></extra>")
        traces.append(scatter(x=x, y=y, mode="lines", connectgaps=False, **styles(method, k), **kw, **on_row(axis)))
        if dots is not None and (dots == 1).any():
            traces.append(dot_trace(styles(method, k), dots == 1, x, y, **kw, **on_row(axis)))
        if method not in styles.off:  # a fill switched off does not stretch the axes
            ranges[axis].append(np.asarray(y, float))

    window = zoom(pred, scene.hidden_cells(pred))
    wide = np.zeros(T, bool)  # the frames the plot opens on: the recording drawn there at every frame
    if window is not None:
        wide[max(int(np.ceil(window[0])), 0) : int(window[1]) + 1] = True
    where = scene.compared(pred)
    crossed = short_gaps(~traj.missing, scene.BRIDGE + 1)
    for k in (traj.names.index(n) for n in drawn):
        close = near(pred.filled[:, k])
        for axis in range(2):
            if sd is not None and np.isfinite(sd[:, k, axis]).any():
                centre, half = pred.positions[:, k, axis], style.BAND_SD * np.nan_to_num(sd[:, k, axis])
                lo = scene.clip_to_scene(centre - half, box_lo[axis], box_hi[axis])
                hi = scene.clip_to_scene(centre + half, box_lo[axis], box_hi[axis])
                x, y = band_polygons(pred.filled[:, k], lo, hi)
                traces.append(scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=styles.band(k),
                                      line=dict(width=0), hoverinfo="skip", name=BAND_LABEL, legendgroup=BAND_LABEL,
                                      legendrank=BAND_RANK, showlegend=BAND_LABEL not in styles.shown, **on_row(axis)))
                styles.shown.add(BAND_LABEL)
                ranges[axis].append(y)
            t = scene.overview(traj.positions[:, k, axis], wide | near(where[:, k]), crossed=crossed[:, k])
            add(style.TRUTH, k, axis, t, traj.positions[t, k, axis])  # NaN (no truth) breaks it
            x, y, dots, weight = segments(close, frames, pred.positions[:, k, axis], changed[:, k],
                                          np.round(100 * share[:, k]))
            add(style.MODEL, k, axis, x, y, dots, customdata=weight,
                hovertemplate=f"{traj.names[k]} · {style.name(style.MODEL)}<br>frame %{{x}}: %{{y:.4g}}"
                              "<br>model's weight %{customdata:.0f} %<extra></extra>")
            for method, pos in baselines.items():
                add(method, k, axis, *segments(near(where[:, k]), frames, pos[:, k, axis]))
    fig.add_traces(traces)
    min_span = MIN_SPAN * scene_size(traj)
    for axis, title in enumerate("xy"):
        fig.update_yaxes(title_text=title, range=axis_range(np.concatenate(ranges[axis] or [[0.0]]), min_span),
                         fixedrange=False, row=axis + 1, col=1)
    fig.update_xaxes(title_text="frame", row=2, col=1)
    fig.update_layout(shapes=shapes(pred.hidden, "x", "y domain") + shapes(pred.hidden, "x2", "y2 domain"))
    height = 480 + 12 * max(len(drawn) - 12, 0)
    if window is not None:  # no range slider: it draws every trace a second time, which doubled the plot's cost
        fig.update_xaxes(range=window)  # (0.3 s to 0.7 s in Chromium); the timeline above is the file's overview
    return layout(fig, height, legend=styles.legend())


def path_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray], *, band: bool = True,
                parts=None, off=()) -> go.Figure:
    """The paths in the plane at equal scale: ground truth where there is truth, the fill over the filled
    frames (dots where the model moved it), its uncertainty as a translucent ellipse per changed cell
    (± ``style.BAND_SD`` s.d., clipped to the scene), the baselines at the cells ``scene.compared`` names (those in
    ``off`` switched off, in the legend)."""
    traj = pred.trajectory
    fig = go.Figure()
    sd = scene.spread(pred) if band else None
    drawn = drawn_parts(pred, parts)
    styles = Styles(fig, traj, baselines, drawn, off)
    changed = scene.model_changed(pred)
    box_lo, box_hi = scene_box(traj)
    points: list[np.ndarray] = []

    traces: list[dict] = []

    def add(method: str, k: int, t, x, y, dots=None) -> None:
        if styles.skip(method, y):
            return
        hover = dict(customdata=t, hovertemplate=f"{traj.names[k]} · frame %{{customdata}} · {style.name(method)}"
                                                 "<br>(%{x:.4g}, %{y:.4g})<extra></extra>")
        traces.append(scatter(x=x, y=y, mode="lines", connectgaps=False, **styles(method, k), **hover))
        if dots is not None and (dots == 1).any():
            traces.append(dot_trace(styles(method, k), dots == 1, x, y, **hover))
        if method not in styles.off:
            points.append(np.stack([np.asarray(x, float), np.asarray(y, float)], -1))

    ks = [traj.names.index(n) for n in drawn]
    if sd is not None:
        keep = np.zeros_like(changed)
        keep[:, ks] = True
        ellipses(fig, pred, sd, changed & keep, box_lo, box_hi, many=styles.many)
    frames = np.arange(traj.n_frames)
    where = scene.compared(pred)
    crossed = short_gaps(~traj.missing, scene.BRIDGE + 1)
    for k in ks:
        close = near(pred.filled[:, k])
        t = scene.overview(traj.positions[:, k], near(where[:, k]), crossed=crossed[:, k])
        add(style.TRUTH, k, t, traj.positions[t, k, 0], traj.positions[t, k, 1])
        for method, pos in baselines.items():
            add(method, k, *segments(near(where[:, k]), frames, pos[:, k, 0], pos[:, k, 1]))
        t, x, y, dots = segments(close, frames, pred.positions[:, k, 0], pred.positions[:, k, 1], changed[:, k])
        add(style.MODEL, k, t, x, y, dots)
        if 1 < len(ks) <= 6 and (~traj.missing[:, k]).any():  # name each part where its path starts
            first = np.flatnonzero(~traj.missing[:, k])[0]
            fig.add_annotation(x=traj.positions[first, k, 0], y=traj.positions[first, k, 1], text=traj.names[k],
                               showarrow=False, yshift=12, font=dict(color=styles.colour(k)))
    fig.add_traces(traces)
    # Equal scale on both axes, every point inside, a sensible least span.
    xy = np.concatenate(points) if points else np.zeros((1, 2))
    min_span = MIN_SPAN * scene_size(traj)
    fig.update_xaxes(range=axis_range(xy[:, 0], min_span), constrain="range")
    fig.update_yaxes(range=axis_range(xy[:, 1], min_span), scaleanchor="x", scaleratio=1, constrain="range")
    return layout(fig, 480, xaxis_title="x", yaxis_title="y", legend=styles.legend())


def ellipses(fig: go.Figure, pred: kinviz.Prediction, sd: np.ndarray, changed: np.ndarray, box_lo, box_hi, *,
             many: bool) -> None:
    """± ``style.BAND_SD`` s.d. around each changed cell as one translucent trace (closed outlines separated
    by gaps, each filled), clipped to the scene plus ``scene.BAND_ROOM``."""
    t, k = np.nonzero(changed & np.isfinite(sd).all(axis=-1))
    if not len(t):
        return
    step = int(np.ceil(len(t) / MAX_ELLIPSES))
    t, k = t[::step], k[::step]
    angle = np.linspace(0, 2 * np.pi, 25)
    centre = pred.positions[t, k][:, None, :]  # (n, 1, 2)
    radius = style.BAND_SD * sd[t, k][:, None, :]
    pts = scene.clip_to_scene(centre + radius * np.stack([np.cos(angle), np.sin(angle)], -1)[None], box_lo, box_hi)
    pts = np.concatenate([pts, np.full((len(t), 1, 2), np.nan)], axis=1).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", fill="toself",
                             fillcolor=style.MODEL_BAND if not many else "rgba(120, 120, 120, 0.15)",
                             line=dict(width=0), hoverinfo="skip", name=BAND_LABEL, legendrank=BAND_RANK))


def every(n: int) -> int:
    return max(1, -(-n // LIVE_POINTS))


def fill_figure(traj: kinviz.Trajectory, seen: np.ndarray, points: np.ndarray, *, height: int = LIVE_HEIGHT,
                parts=None) -> go.Figure:
    """The scene at equal scale: each part's path where it was seen (``seen`` (T, K) bool), faint, for
    context, and ``points`` (T, K, 2) as dots in the model's colour (one part) or each part's (several), NaN
    where there are none. The parts drawn (``parts``, default the unseen ones and their nearest partners)
    have their colours; the rest share one grey path. A handful of traces however long the file, so it is
    cheap to draw again at every stage of the decoding (the Predict page's live fill)."""
    K = traj.n_objects
    hidden = ~seen & ~traj.missing  # hidden by the user; else the file's own gaps
    drawn = parts or scene.default_parts(traj, hidden if hidden.any() else ~seen)
    colours = style.part_colours(traj.names, drawn)
    # The seen paths, broken where a part was not seen: one trace per drawn part, the rest in one, parted by gaps;
    # every frame near the unseen ones, an overview elsewhere (``scene.overview``, crossing the file's short gaps).
    crossed = short_gaps(seen, scene.BRIDGE + 1) & traj.missing
    path = np.where(seen[..., None], traj.positions, np.nan)  # (T, K, 2)

    def seen_path(k: int, budget: int = scene.OVERVIEW_POINTS) -> np.ndarray:
        t = scene.overview(path[:, k], near(~seen[:, k] & ~crossed[:, k]), budget, crossed[:, k])
        return np.concatenate([path[t, k], np.full((1, 2), np.nan)])

    by_part = K > 1
    rest = [k for k in range(K) if traj.names[k] not in drawn]
    paths = [(traj.names[k], colours[traj.names[k]], seen_path(k)) for k in range(K) if traj.names[k] in drawn] \
        if by_part else [("seen", "#b8bfc7", seen_path(0))]
    if by_part and rest:
        share = max(scene.OVERVIEW_POINTS // len(rest), 200)  # the grey context: one overview's worth in all
        paths.append(("other parts", "#b8bfc7", np.concatenate([seen_path(k, share) for k in rest])))
    t, k = np.nonzero(np.isfinite(points).all(axis=-1))
    t, k = t[:: every(len(t))], k[:: every(len(t))]
    dots = points[t, k]
    fig = go.Figure()
    for name, colour, xy in paths:
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", name=name, hoverinfo="skip",
                                 line=dict(color=colour, width=2), opacity=0.35 if by_part else 1))
    fig.add_trace(go.Scatter(
        x=dots[:, 0], y=dots[:, 1], mode="markers", name="hidden, as drawn", showlegend=False,
        marker=dict(color=[colours[traj.names[j]] for j in k] if by_part else style.colour(style.MODEL), size=6),
        text=[f"{traj.names[j]} · frame {i}" for i, j in zip(t, k)],
        hovertemplate="%{text}<br>(%{x:.4g}, %{y:.4g})<extra></extra>"))
    xy = np.concatenate([path.reshape(-1, 2), dots])
    min_span = MIN_SPAN * scene_size(traj)
    fig.update_xaxes(range=axis_range(xy[:, 0], min_span), constrain="domain", title=dict(text="x", standoff=4))
    fig.update_yaxes(range=axis_range(xy[:, 1], min_span), scaleanchor="x", scaleratio=1, constrain="domain",
                     title=dict(text="y", standoff=4))
    fig.update_layout(height=height, showlegend=by_part, legend=dict(orientation="v", x=1.01, y=1, yanchor="top"),
                      margin=dict(l=10, r=10, t=10, b=10))
    return fig


def frame_errors(truth: np.ndarray, positions: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(T,) mean Euclidean error over each frame's scored cells; NaN where a frame has none."""
    err = np.linalg.norm(positions - truth, axis=-1)  # (T, K)
    scored = cells & np.isfinite(err)
    with np.errstate(invalid="ignore"):
        return np.where(scored.any(axis=1), np.where(scored, err, 0).sum(axis=1) / scored.sum(axis=1), np.nan)


def error_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray], off=()) -> go.Figure:
    """Error over time on the filled cells that have ground truth (mean over parts), for the model and the
    baselines (those in ``off`` switched off, in the legend), one colour per method; a long file opens zoomed as
    its coordinates do."""
    traj = pred.trajectory
    cells = pred.filled & ~traj.missing
    fig = go.Figure()
    frames = np.arange(traj.n_frames)
    tops = [0.0]
    for method, pos in {style.MODEL: pred.positions, **baselines}.items():
        err = frame_errors(traj.positions, pos, cells)
        x, y = segments(np.isfinite(err), frames, err)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=style.name(method),
                                 visible="legendonly" if method in off else True, **line(method)))
        if method not in off:
            tops.append(float(np.nanmax(err)) if np.isfinite(err).any() else 0.0)
    fig.update_yaxes(range=[0, max(max(tops) * 1.08, 0.01 * scene_size(traj))])
    window = zoom(pred, scene.hidden_cells(pred))
    if window is not None:
        fig.update_xaxes(range=window)
    fig.update_layout(shapes=shapes(pred.hidden))
    return layout(fig, 300, xaxis_title="frame", yaxis_title="error (CSV units)")
