"""Figures and images for the pages: plotly charts, frame strips, GIFs and thumbnails. No Streamlit.

Charts colour *methods* (ground truth, the model, each baseline) as ``style`` says, the same in
every chart; frames colour *objects* with kinviz's display palette, as the model draws them.
Frames for people are drawn as pictures, not as the model's 32-pixel blobs: white ground, the
object's path so far in grey, the object as a disc in its colour, cropped to where the objects are.
"""

from __future__ import annotations

import io

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from PIL import Image, ImageDraw, ImageFont

import kinviz
from kinviz import PALETTE  # the videos' object colours, so frames match the model's own
from kinviz_app import style
from kinviz_app.style import HIDDEN_FILL, HIDDEN_RGB, MISSING_RGB

GAP = 4  # pixels between tiles
FPS = 8  # playback speed
TILE = 128  # pixels per side of a frame in the strip
MIN_SPAN = 0.1  # an axis spans at least this share of the scene: a tiny wobble must not look huge


def _font(size: int = 12):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def colour(k: int) -> str:
    """Object k's colour as hex; very light palette entries are darkened to show on white."""
    rgb = PALETTE[k % len(PALETTE)].astype(float)
    if rgb @ [0.299, 0.587, 0.114] > 0.5:
        rgb = rgb * 0.7
    return "#" + "".join(f"{int(round(c * 255)):02x}" for c in rgb)


PART_COLOURS = plotly.colors.qualitative.Dark24[:16]  # one per part in the charts, 16 told apart; more repeat
BASELINE_DASH = ("dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px")
CHANGE_SHARE = 1e-3  # the model moved a cell when it moved it by more than this share of the scene (not rounding)
BAND_ROOM = 0.5  # a band is drawn at most this share of the scene beyond it: a wild spread must not squash the plot


def _shapes(hidden: np.ndarray, xref: str = "x", yref: str = "y domain") -> list[dict]:
    """One shaded rectangle per hidden stretch, as layout shapes: added in one call (``add_vrect`` per
    stretch rebuilt the layout each time: minutes for a 2,000-frame file with 30 % hidden at random)."""
    return [dict(type="rect", xref=xref, yref=yref, x0=a - 0.5, x1=b + 0.5, y0=0, y1=1, fillcolor=HIDDEN_FILL,
                 line_width=0, layer="below") for a, b in kinviz.mask_runs(hidden)]


def part_colour(k: int) -> str:
    return PART_COLOURS[k % len(PART_COLOURS)]


def classical_fill(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K, 2) what the fill is without the model: the classical prior it was fused with."""
    for prior in (getattr(pred, "classical", None), pred.smoother):
        if prior is not None:
            return np.asarray(prior, float)
    return pred.positions


def model_changed(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K) bool: filled cells the model moved off the classical fill by more than rounding. Elsewhere
    the 'model' value is the classical fill (a share of 0, or a drawing that agreed with it)."""
    shift = np.linalg.norm(pred.positions - classical_fill(pred), axis=-1)
    weight = pred.weight if pred.weight is not None else np.ones(pred.filled.shape)
    return pred.filled & (weight > 0) & (np.nan_to_num(shift) > CHANGE_SHARE * scene_size(pred.trajectory))


def scene_box(traj: kinviz.Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(lo (2,), hi (2,)): the bounding box of every known position."""
    pts = traj.positions[~traj.missing]
    if not len(pts):
        return np.zeros(2), np.ones(2)
    return pts.min(axis=0), pts.max(axis=0)


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("legend", dict(orientation="h", y=1.02, yanchor="bottom", x=0))  # above: never on an axis title
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), **kw)
    return fig


def scene_size(traj: kinviz.Trajectory) -> float:
    """The larger side of the bounding box of every known position (1 when there is no extent)."""
    pts = traj.positions[~traj.missing]
    size = float((pts.max(axis=0) - pts.min(axis=0)).max()) if len(pts) else 0.0
    return size if size > 0 else 1.0


def axis_range(values, min_span: float, pad: float = 0.06) -> list[float]:
    """[lo, hi] holding every finite value with a margin, at least ``min_span`` wide (centred)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return [-min_span / 2, min_span / 2]
    lo, hi = float(v.min()), float(v.max())
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    half = span * (1 + 2 * pad) / 2
    return [mid - half, mid + half]


# ----------------------------------------------------------------------------- charts


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
    fig = go.Figure()
    for label, sel, style in [
        ("observed", seen, dict(color="#9aa5b1", size=7, symbol="square")),
        ("hidden (to fill)", hid, dict(color="rgb(255,176,0)", size=9, symbol="square")),
        ("missing in file", missing, dict(color=MISSING_RGB, size=8, symbol="x")),
    ]:
        fig.add_trace(Scatter(x=frames[sel], y=[traj.names[k] for k in rows[sel]], mode="markers", name=label,
                              marker=style, hovertemplate="frame %{x}<br>%{y}<extra>" + label + "</extra>"))
    fig.update_xaxes(title_text="frame", range=[-0.5, T - 0.5])
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=traj.names[::-1])
    return _layout(fig, 120 + 24 * K, dragmode="select", clickmode="event+select", legend=dict(orientation="h", y=1.25))


def _near(filled_k: np.ndarray) -> np.ndarray:
    """Filled frames and their neighbours, so a filled segment joins the observed line on each side."""
    near = filled_k.copy()
    near[1:] |= filled_k[:-1]
    near[:-1] |= filled_k[1:]
    return near


def spread(pred: kinviz.Prediction) -> np.ndarray | None:
    """(T, K, 2) the standard deviation of each filled value (``Prediction.spread``), NaN where the
    model gave none; None for a prediction that carries no spread (an older kinviz)."""
    sd = getattr(pred, "spread", None)
    if sd is None:
        return None
    sd = np.asarray(sd, dtype=float)
    return np.where(pred.filled[..., None] & np.isfinite(sd), sd, np.nan)


def _line(method: str, **kw) -> dict:
    """A method's trace style: ground truth solid, the model solid and thick, baselines dashed on top."""
    if method == style.TRUTH:
        return dict(line=dict(color=style.colour(method), width=2), **kw)
    if method == style.MODEL:
        return dict(line=dict(color=style.colour(method), width=3), **kw)
    return dict(line=dict(color=style.colour(method), width=2, dash="dash"), **kw)


def _part_line(method: str, k: int, order: int) -> dict:
    """With several parts the colour says which part and the line which method: truth thin, the model
    thick, each baseline its own dash."""
    c = part_colour(k)
    if method == style.TRUTH:
        return dict(line=dict(color=c, width=1.5), opacity=0.55)
    if method == style.MODEL:
        return dict(line=dict(color=c, width=3))
    return dict(line=dict(color=c, width=1.5, dash=BASELINE_DASH[order % len(BASELINE_DASH)]))


class _Styles:
    """Trace styles and legend entries for a figure: by method (one part) or by part and method (several)."""

    def __init__(self, fig: go.Figure, traj: kinviz.Trajectory, baselines: dict):
        self.fig, self.names, self.many = fig, traj.names, traj.n_objects > 1
        self.order = {m: i for i, m in enumerate(baselines)}
        self.shown: set[str] = set()
        if self.many:  # a key for the line styles, in grey; the parts get their own entries
            for method in [style.TRUTH, style.MODEL, *baselines]:
                kw = _part_line(method, 0, self.order.get(method, 0))
                kw["line"]["color"] = "#555"
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=style.name(method),
                                         legendgroup="methods", legendgrouptitle_text="line" if not self.shown else None,
                                         **kw))
                self.shown.add("methods")

    def __call__(self, method: str, k: int) -> dict:
        """Keyword arguments for one part's trace of one method (name, legend, line)."""
        label = style.name(method)
        if not self.many:
            kw = dict(name=label, legendgroup=label, showlegend=label not in self.shown, **_line(method))
            self.shown.add(label)
            return kw
        part = self.names[k]
        kw = dict(name=part, legendgroup=f"part:{part}", showlegend=method == style.TRUTH and part not in self.shown,
                  **_part_line(method, k, self.order.get(method, 0)))
        if method == style.TRUTH:
            self.shown.add(part)
        return kw

    def legend(self) -> dict:
        if self.many:  # parts down the right: readable at 16
            return dict(orientation="v", x=1.01, y=1, yanchor="top", groupclick="toggleitem", tracegroupgap=4,
                        traceorder="grouped")  # a filled band would otherwise reverse the order
        return dict(orientation="h", y=1.02, yanchor="bottom", x=0, traceorder="normal")


def _clip_band(lo: np.ndarray, hi: np.ndarray, box_lo: float, box_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """A band clipped to the scene plus ``BAND_ROOM`` of its size on each side, for display."""
    room = BAND_ROOM * max(box_hi - box_lo, 1e-12)
    return np.clip(lo, box_lo - room, box_hi + room), np.clip(hi, box_lo - room, box_hi + room)


def coords_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray], *, band: bool = True) -> go.Figure:
    """x and y over the frames: ground truth where there is truth, the fill (dots where the model moved it
    off the classical fill; the line alone where it is that fill) with its uncertainty band (± ``style.BAND_SD``
    standard deviations, clipped to the scene), the chosen baselines; hidden frames shaded. One part: a
    colour per method. Several: a colour per part and a line style per method, each in the legend."""
    traj = pred.trajectory
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    frames = np.arange(traj.n_frames)
    sd = spread(pred) if band else None
    styles = _Styles(fig, traj, baselines)
    changed = model_changed(pred)
    share = pred.weight if pred.weight is not None else np.ones(pred.filled.shape)
    box_lo, box_hi = scene_box(traj)
    min_span = MIN_SPAN * scene_size(traj)
    band_label = "uncertainty (about 95 %)"

    def add(method: str, k: int, axis: int, y, mode: str = "lines", **kw) -> None:
        label = style.name(method)
        fig.add_trace(go.Scatter(x=frames, y=y, mode=mode, connectgaps=False,
                                 hovertemplate=f"{traj.names[k]} · {label}<br>frame %{{x}}: %{{y:.4g}}<extra></extra>",
                                 **styles(method, k), **kw), row=axis + 1, col=1)

    for k in range(traj.n_objects):
        near = _near(pred.filled[:, k])
        for axis in range(2):
            if sd is not None and np.isfinite(sd[:, k, axis]).any():
                centre, half = pred.positions[:, k, axis], style.BAND_SD * np.nan_to_num(sd[:, k, axis])
                lo, hi = _clip_band(centre - half, centre + half, box_lo[axis], box_hi[axis])
                lo, hi = np.where(near, lo, np.nan), np.where(near, hi, np.nan)
                fill = style.MODEL_BAND if not styles.many else style.rgba(part_colour(k), 0.15)
                fig.add_trace(go.Scatter(x=frames, y=lo, mode="lines", line=dict(width=0), hoverinfo="skip",
                                         legendgroup=band_label, showlegend=False), row=axis + 1, col=1)
                fig.add_trace(go.Scatter(x=frames, y=hi, mode="lines", line=dict(width=0), fill="tonexty",
                                         fillcolor=fill, name=band_label, legendgroup=band_label,
                                         showlegend=band_label not in styles.shown, hoverinfo="skip"), row=axis + 1, col=1)
                styles.shown.add(band_label)
            add(style.TRUTH, k, axis, traj.positions[:, k, axis])  # NaN (no truth) breaks it
            dots = changed[:, k]
            fig.add_trace(go.Scatter(
                x=frames, y=np.where(near, pred.positions[:, k, axis], np.nan), mode="lines+markers", connectgaps=False,
                marker=dict(size=np.where(dots, 7, 0), line_width=0), customdata=np.round(100 * share[:, k]),
                hovertemplate=f"{traj.names[k]} · {style.name(style.MODEL)}<br>frame %{{x}}: %{{y:.4g}}"
                              "<br>model's weight %{customdata:.0f} %<extra></extra>",
                **styles(style.MODEL, k)), row=axis + 1, col=1)
            for method, pos in baselines.items():
                add(method, k, axis, np.where(near, pos[:, k, axis], np.nan))
    for axis, title in enumerate("xy"):
        ref = "y" if axis == 0 else "y2"
        values = [np.asarray(t.y, float) for t in fig.data if t.yaxis == ref and t.y is not None and t.x[0] is not None]
        fig.update_yaxes(title_text=title, range=axis_range(np.concatenate(values), min_span), row=axis + 1, col=1)
    fig.update_xaxes(title_text="frame", row=2, col=1)
    fig.update_layout(shapes=_shapes(pred.hidden, "x", "y domain") + _shapes(pred.hidden, "x2", "y2 domain"))
    return _layout(fig, 480 + (12 * max(traj.n_objects - 12, 0)), legend=styles.legend())


def path_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray], *, band: bool = True) -> go.Figure:
    """The paths in the plane at equal scale: ground truth where there is truth, the fill over the filled
    frames (dots where the model moved it), its uncertainty as a translucent ellipse per changed cell
    (± ``style.BAND_SD`` s.d., clipped to the scene), the chosen baselines over the filled frames."""
    traj = pred.trajectory
    fig = go.Figure()
    sd = spread(pred) if band else None
    styles = _Styles(fig, traj, baselines)
    changed = model_changed(pred)
    box_lo, box_hi = scene_box(traj)

    def add(method: str, k: int, x, y, mode: str = "lines", **kw) -> None:
        label = style.name(method)
        fig.add_trace(go.Scatter(x=x, y=y, mode=mode, connectgaps=False,
                                 text=[f"{traj.names[k]} · frame {t}" for t in range(len(x))],
                                 hovertemplate=f"%{{text}} · {label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
                                 **styles(method, k), **kw))

    if sd is not None:
        _ellipses(fig, pred, sd, changed, box_lo, box_hi, many=styles.many)
    for k in range(traj.n_objects):
        near = _near(pred.filled[:, k])
        add(style.TRUTH, k, traj.positions[:, k, 0], traj.positions[:, k, 1])
        for method, pos in baselines.items():
            add(method, k, np.where(near, pos[:, k, 0], np.nan), np.where(near, pos[:, k, 1], np.nan))
        add(style.MODEL, k, np.where(near, pred.positions[:, k, 0], np.nan), np.where(near, pred.positions[:, k, 1], np.nan),
            mode="lines+markers", marker=dict(size=np.where(changed[:, k], 7, 0), line_width=0))
        if 1 < traj.n_objects <= 6:  # name each object where its path starts (more: the legend names them)
            first = np.flatnonzero(~traj.missing[:, k])[0]
            fig.add_annotation(x=traj.positions[first, k, 0], y=traj.positions[first, k, 1], text=traj.names[k],
                               showarrow=False, yshift=12, font=dict(color=part_colour(k)))
    # Equal scale on both axes, every point inside, a sensible least span.
    xs = np.concatenate([np.asarray(t.x, float) for t in fig.data if t.x[0] is not None])
    ys = np.concatenate([np.asarray(t.y, float) for t in fig.data if t.x[0] is not None])
    min_span = MIN_SPAN * scene_size(traj)
    fig.update_xaxes(range=axis_range(xs, min_span), constrain="range")
    fig.update_yaxes(range=axis_range(ys, min_span), scaleanchor="x", scaleratio=1, constrain="range")
    return _layout(fig, 480, xaxis_title="x", yaxis_title="y", legend=styles.legend())


LIVE_HEIGHT = 300  # pixels: the live fill sits under the Run button, short enough to stay on screen with it
LIVE_POINTS = 20_000  # points per trace at most in the live fill (every n-th beyond): each redraw stays cheap


def _every(n: int) -> int:
    return max(1, -(-n // LIVE_POINTS))


def fill_figure(traj: kinviz.Trajectory, seen: np.ndarray, points: np.ndarray, *,
                height: int = LIVE_HEIGHT) -> go.Figure:
    """The scene at equal scale: each part's path where it was seen (``seen`` (T, K) bool), faint, for
    context, and ``points`` (T, K, 2) as dots in the model's colour (one part) or each part's (several, up
    to ``len(PART_COLOURS)``; more share one grey path), NaN where there are none. A handful of traces
    however long the file, so it is cheap to draw again at every stage of the decoding (the Predict page's
    live fill)."""
    T, K = traj.n_frames, traj.n_objects
    by_part = 1 < K <= len(PART_COLOURS)
    # The seen paths, broken where a part was not seen: one trace per part, or all in one, parted by gaps.
    path = np.where(seen[..., None], traj.positions, np.nan).transpose(1, 0, 2)  # (K, T, 2)
    path = np.concatenate([path, np.full((K, 1, 2), np.nan)], axis=1)  # (K, T + 1, 2)
    paths = [(traj.names[k], part_colour(k), path[k]) for k in range(K)] if by_part else \
        [("seen", "#b8bfc7", path.reshape(-1, 2))]
    t, k = np.nonzero(np.isfinite(points).all(axis=-1))
    t, k = t[:: _every(len(t))], k[:: _every(len(t))]
    dots = points[t, k]
    fig = go.Figure()
    for name, colour_, xy in paths:
        xy = xy[:: _every(len(xy))]
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", name=name, hoverinfo="skip",
                                 line=dict(color=colour_, width=2), opacity=0.35 if by_part else 1))
    fig.add_trace(go.Scatter(
        x=dots[:, 0], y=dots[:, 1], mode="markers", name="hidden, as drawn", showlegend=False,
        marker=dict(color=[part_colour(j) for j in k] if K > 1 else style.colour(style.MODEL), size=6),
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


MAX_ELLIPSES = 400  # uncertainty ellipses drawn in the x-y plot at most (every n-th changed cell beyond)


def _ellipses(fig: go.Figure, pred: kinviz.Prediction, sd: np.ndarray, changed: np.ndarray, box_lo, box_hi, *,
              many: bool) -> None:
    """± ``style.BAND_SD`` s.d. around each changed cell as one translucent trace (closed outlines separated
    by gaps, each filled), clipped to the scene plus ``BAND_ROOM``."""
    t, k = np.nonzero(changed & np.isfinite(sd).all(axis=-1))
    if not len(t):
        return
    step = int(np.ceil(len(t) / MAX_ELLIPSES))
    t, k = t[::step], k[::step]
    angle = np.linspace(0, 2 * np.pi, 25)
    centre = pred.positions[t, k][:, None, :]  # (n, 1, 2)
    radius = style.BAND_SD * sd[t, k][:, None, :]
    pts = centre + radius * np.stack([np.cos(angle), np.sin(angle)], -1)[None]  # (n, 25, 2)
    room = BAND_ROOM * np.maximum(box_hi - box_lo, 1e-12)
    pts = np.clip(pts, box_lo - room, box_hi + room)
    pts = np.concatenate([pts, np.full((len(t), 1, 2), np.nan)], axis=1).reshape(-1, 2)
    colour_ = style.MODEL_BAND if not many else "rgba(120, 120, 120, 0.15)"
    fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", fill="toself", fillcolor=colour_,
                             line=dict(width=0), hoverinfo="skip", name="uncertainty (about 95 %)"))


def frame_errors(truth: np.ndarray, positions: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(T,) mean Euclidean error over each frame's scored cells; NaN where a frame has none."""
    err = np.linalg.norm(positions - truth, axis=-1)  # (T, K)
    scored = cells & np.isfinite(err)
    with np.errstate(invalid="ignore"):
        return np.where(scored.any(axis=1), np.where(scored, err, 0).sum(axis=1) / scored.sum(axis=1), np.nan)


def error_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray]) -> go.Figure:
    """Error over time on the filled cells that have ground truth (mean over parts), for the model and the
    chosen baselines, one colour per method."""
    traj = pred.trajectory
    cells = pred.filled & ~traj.missing
    fig = go.Figure()
    frames = np.arange(traj.n_frames)
    for method, pos in {style.MODEL: pred.positions, **baselines}.items():
        fig.add_trace(go.Scatter(x=frames, y=frame_errors(traj.positions, pos, cells), mode="lines",
                                 name=style.name(method), **_line(method)))
    top = max([np.nanmax(np.asarray(t.y, float)) for t in fig.data if np.isfinite(np.asarray(t.y, float)).any()],
              default=0.0)
    fig.update_yaxes(range=[0, max(top * 1.08, 0.01 * scene_size(traj))])
    fig.update_layout(shapes=_shapes(pred.hidden))
    return _layout(fig, 300, xaxis_title="frame", yaxis_title="error (CSV units)")


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
    return _layout(fig, 320, title=title, showlegend=False)


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
    return _layout(fig, 380, xaxis_title="transformer step", yaxis_title="cross-entropy per digit (nats)")


# ----------------------------------------------------------------------------- images


def _upscale(frames: np.ndarray, factor: int) -> np.ndarray:  # (n, S, S, 3) -> (n, S*f, S*f, 3)
    return frames.repeat(factor, axis=1).repeat(factor, axis=2) if factor > 1 else frames


def _border(tile: np.ndarray, rgb, width: int = 2) -> np.ndarray:
    tile = tile.copy()
    tile[:width], tile[-width:], tile[:, :width], tile[:, -width:] = rgb, rgb, rgb, rgb
    return tile


def view_framing(pred: kinviz.Prediction, start: int, stop: int, size: int) -> kinviz.Framing:
    """A view of frames start..stop cropped to where the objects are (truth and prediction), at least
    ``MIN_SPAN`` of the scene wide so that a still object is not blown up."""
    pts = np.concatenate([pred.trajectory.positions[start:stop].reshape(-1, 2), pred.positions[start:stop].reshape(-1, 2)])
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(float((hi - lo).max()), MIN_SPAN * scene_size(pred.trajectory))
    centre = (lo + hi) / 2
    return kinviz.Framing(float(centre[0]), float(centre[1]), 0.78 * size / span, size)


class _Tiles:
    """Frames of one prediction as people see them, in one framing: the objects' seen paths in grey,
    each object a disc in its colour. The paths are the same in every frame, so they are drawn once
    per background; each frame is drawn at twice its size and box-reduced (smooth edges).

    kind 'truth': the file's positions; 'input': what the model is given (nothing on hidden frames);
    'pred': the filled positions, with the uncertainty ring (± ``style.BAND_SD`` s.d.) and the truth as
    a black ring where the file has one, so the distance between them is the error.
    """

    ss = 2  # supersampling

    def __init__(self, pred: kinviz.Prediction, framing: kinviz.Framing):
        self.pred, self.size = pred, framing.size
        self.big = kinviz.Framing(framing.cx, framing.cy, framing.scale * self.ss, framing.size * self.ss)
        self.trail = _trail(pred)
        self.sd = spread(pred)
        self._backdrops: dict[tuple, Image.Image] = {}

    def _backdrop(self, fill: tuple) -> Image.Image:
        if fill not in self._backdrops:
            img = Image.new("RGB", (self.big.size, self.big.size), fill)
            draw = ImageDraw.Draw(img)
            for k in range(self.pred.trajectory.n_objects):  # the path where it was seen, for context
                px = self.big.to_pixels(self.trail[:, k])
                for a, b in kinviz.mask_runs(np.isfinite(px).all(axis=1)):
                    if b > a:
                        draw.line([tuple(q) for q in px[a : b + 1]], fill=(200, 205, 212), width=max(2, self.ss * 2))
            self._backdrops[fill] = img
        return self._backdrops[fill]

    def __call__(self, t: int, kind: str) -> Image.Image:
        pred, big, ss = self.pred, self.big, self.ss
        hidden = bool(pred.hidden[t])
        img = self._backdrop((255, 250, 235) if hidden and kind == "input" else (255, 255, 255)).copy()
        draw = ImageDraw.Draw(img, "RGBA")
        traj = pred.trajectory
        radius = 0.055 * big.size
        for k in range(traj.n_objects):
            c = colour(k)
            truth = traj.positions[t, k]
            cell_hidden = hidden if pred.hidden_cells is None else bool(pred.hidden_cells[t, k])
            if kind == "truth" or (kind == "input" and not cell_hidden):
                where = truth
            elif kind == "pred":
                where = pred.positions[t, k]
            else:
                where = np.full(2, np.nan)
            if kind == "pred" and pred.filled[t, k]:
                if self.sd is not None and np.isfinite(self.sd[t, k]).all():
                    ring = big.to_pixels(where)
                    rx, ry = style.BAND_SD * self.sd[t, k] * big.scale
                    rx, ry = np.clip([rx, ry], radius, big.size / 3)  # a wild spread stays inside the tile
                    draw.ellipse([ring[0] - rx, ring[1] - ry, ring[0] + rx, ring[1] + ry], fill=c + "30", outline=c + "90")
                if np.isfinite(truth).all():
                    q = big.to_pixels(truth)
                    draw.ellipse([q[0] - radius, q[1] - radius, q[0] + radius, q[1] + radius], outline=(27, 31, 36),
                                 width=max(2, ss * 2))
            if np.isfinite(where).all():
                q = big.to_pixels(where)
                draw.ellipse([q[0] - radius, q[1] - radius, q[0] + radius, q[1] + radius], fill=c,
                             outline=(255, 255, 255), width=ss)
        if kind == "input" and hidden:
            draw.text((big.size / 2, big.size / 2), "?", fill=(180, 120, 0), font=_font(28 * ss), anchor="mm")
        return img.reduce(ss)


def _trail(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K, 2) the positions the model was given (observed and not hidden), NaN elsewhere."""
    seen = ~pred.trajectory.missing & ~pred.hidden[:, None]
    return np.where(seen[..., None], pred.trajectory.positions, np.nan)


def strip_image(pred: kinviz.Prediction, start: int, stop: int, tile: int = TILE) -> np.ndarray:
    """(H, W, 3) uint8: rows ground truth, what the model is given, the prediction over frames
    start..stop, cropped to where the objects are; hidden frames framed in amber, frame numbers on top."""
    kinds = [("truth", "ground truth"), ("input", "model is given"), ("pred", "prediction")]
    tiles = _Tiles(pred, view_framing(pred, start, stop, tile))
    n = stop - start
    label_w, top = 120, 24
    out = Image.new("RGB", (label_w + n * (tile + GAP), top + len(kinds) * (tile + GAP)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    font = _font(15)
    for r, (kind, label) in enumerate(kinds):
        y = top + r * (tile + GAP)
        draw.text((4, y + tile // 2), label, fill=(40, 40, 40), font=font, anchor="lm")
        for i in range(n):
            t = start + i
            x = label_w + i * (tile + GAP)
            img = np.asarray(tiles(t, kind))
            edge = HIDDEN_RGB if pred.hidden[t] else (210, 214, 220)
            out.paste(Image.fromarray(_border(img, edge, 4 if pred.hidden[t] else 1)), (x, y))
    for i in range(n):
        t = start + i
        draw.text((label_w + i * (tile + GAP) + tile // 2, top // 2), f"frame {t}" + (" · hidden" if pred.hidden[t] else ""),
                  fill=(170, 110, 0) if pred.hidden[t] else (90, 90, 90), font=_font(13), anchor="mm")
    return np.asarray(out)


def _gif(frames: list[Image.Image]) -> bytes:
    # Flat-colour drawings: one fast octree palette for every frame, built from every 4th pixel of each,
    # no dithering. Mapping the frames onto it takes half the time of a palette per frame (a 48-frame
    # playback: 0.05 s against 0.11 s) and the file is a quarter smaller; PIL's default median cut took
    # 0.5 s of a 48-frame run's 1.2 s of drawing.
    sample = Image.fromarray(np.concatenate([np.asarray(f)[::4, ::4] for f in frames]))
    palette = sample.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=1000 // FPS, loop=0)
    return buf.getvalue()


def playback_gif(pred: kinviz.Prediction, start: int, stop: int, size: int = 240) -> bytes:
    """Animated GIF of ground truth beside the prediction for frames start..stop, cropped to where the
    objects are; hidden frames framed in amber."""
    tiles = _Tiles(pred, view_framing(pred, start, stop, size))
    top = 26
    images = []
    for t in range(start, stop):
        hidden = bool(pred.hidden[t])
        canvas = Image.new("RGB", (2 * size + 3 * GAP, size + top + GAP), (255, 255, 255))
        for j, kind in enumerate(("truth", "pred")):
            tile = np.asarray(tiles(t, kind))
            tile = _border(tile, HIDDEN_RGB if hidden else (210, 214, 220), 5 if hidden else 1)
            canvas.paste(Image.fromarray(tile), (GAP + j * (size + GAP), top))
        draw = ImageDraw.Draw(canvas)
        font = _font(15)
        draw.text((GAP + 2, top // 2), "ground truth", fill=(40, 40, 40), font=font, anchor="lm")
        draw.text((2 * GAP + size + 2, top // 2), f"prediction · frame {t}" + (" · hidden" if hidden else ""),
                  fill=(170, 110, 0) if hidden else (40, 40, 40), font=font, anchor="lm")
        images.append(canvas)
    return _gif(images)


def video_gif(frames: np.ndarray, hidden: np.ndarray, scale: int = 2) -> bytes:
    """Animated GIF of one video (n, S, S, 3); hidden frames outlined."""
    tiles = _upscale(frames, scale)
    return _gif([Image.fromarray(_border(t, HIDDEN_RGB) if h else t) for t, h in zip(tiles, hidden)])


def thumbnail_png(traj: kinviz.Trajectory, size: tuple[int, int] = (240, 140)) -> bytes:
    """A small PNG of the objects' paths, one colour each, breaking where the file has gaps."""
    w, h = size
    img = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(img)
    pos = traj.positions
    finite = np.isfinite(pos).all(axis=-1)
    if finite.any():
        lo, hi = np.nanmin(pos[finite], axis=0), np.nanmax(pos[finite], axis=0)
        span = max(float((hi - lo).max()), 1e-12)
        pad = 8
        scale = min((w - 2 * pad) / span, (h - 2 * pad) / span)
        centre = (lo + hi) / 2
        for k in range(traj.n_objects):
            px = (pos[:, k] - centre) * scale * [1, -1] + [w / 2, h / 2]  # y up
            for a, b in kinviz.mask_runs(finite[:, k]):
                pts = [tuple(p) for p in px[a : b + 1]]
                if len(pts) > 1:
                    draw.line(pts, fill=colour(k), width=2)
                else:
                    draw.point(pts, fill=colour(k))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
