"""Figures and images for the pages: plotly charts, frame strips, GIFs and thumbnails. No Streamlit.

Frames are ``(n, S, S, 3)`` uint8 as ``Prediction.video`` gives them; an object has the same colour
in every chart and video (kinviz's display palette).
"""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from PIL import Image, ImageDraw, ImageFont

import kinviz
from kinviz import PALETTE  # the videos' object colours, so charts match them

HIDDEN_RGB = (255, 176, 0)  # amber: frames the user hid, in strips, GIFs and shaded spans
HIDDEN_FILL = "rgba(255, 176, 0, 0.15)"
MISSING_RGB = "#d62728"
BASELINE_DASH = {"linear": "dot", "cubic": "dash", "constant_velocity": "dashdot", "constant_acceleration": "longdash"}
GAP = 2  # pixels between tiles
FPS = 10  # playback speed


def _font(size: int = 12):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def colour(k: int) -> str:
    """Object k's colour as hex; very light palette entries are darkened to show on white."""
    rgb = PALETTE[k % len(PALETTE)].astype(float)
    if rgb @ [0.299, 0.587, 0.114] > 0.75:
        rgb = rgb * 0.6
    return "#" + "".join(f"{int(round(c * 255)):02x}" for c in rgb)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:  # mask (T,) bool
    """Runs of True as inclusive (start, end) frame pairs."""
    steps = np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]]))
    return list(zip(np.flatnonzero(steps == 1).tolist(), (np.flatnonzero(steps == -1) - 1).tolist()))


def _shade(fig: go.Figure, hidden: np.ndarray, **where) -> None:
    for a, b in runs(hidden):
        fig.add_vrect(x0=a - 0.5, x1=b + 0.5, fillcolor=HIDDEN_FILL, line_width=0, layer="below", **where)


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("legend", dict(orientation="h", y=-0.15))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), **kw)
    return fig


# ----------------------------------------------------------------------------- charts


def timeline_figure(traj: kinviz.Trajectory, hidden: np.ndarray) -> go.Figure:
    """One row of markers per object over the frames: observed, hidden by the mask, missing in the file.

    Box or lasso selection returns the points' frames (x); the page turns them into a mask.
    """
    T, K = traj.n_frames, traj.n_objects
    frames = np.repeat(np.arange(T), K)
    rows = np.tile(np.arange(K), T)
    missing = traj.missing.reshape(-1)
    hid = np.repeat(hidden, K) & ~missing
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


def coords_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray]) -> go.Figure:
    """x and y over the frames: ground truth solid, the model's filled cells dashed with markers,
    the chosen baselines dotted; hidden frames shaded."""
    traj = pred.trajectory
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    frames = np.arange(traj.n_frames)
    for k, name in enumerate(traj.names):
        c = colour(k)
        near = _near(pred.filled[:, k])
        for axis in range(2):
            first = axis == 0
            fig.add_trace(go.Scatter(x=frames, y=traj.positions[:, k, axis], mode="lines", line=dict(color=c, width=1.5),
                                     name=f"{name} truth", legendgroup=f"{name} truth", showlegend=first), row=axis + 1, col=1)
            fig.add_trace(go.Scatter(x=frames, y=np.where(near, pred.positions[:, k, axis], np.nan), mode="lines+markers",
                                     line=dict(color=c, dash="dash", width=2), marker=dict(size=5, symbol="diamond"),
                                     name=f"{name} model", legendgroup=f"{name} model", showlegend=first), row=axis + 1, col=1)
            for method, pos in baselines.items():
                fig.add_trace(go.Scatter(x=frames, y=np.where(near, pos[:, k, axis], np.nan), mode="lines",
                                         line=dict(color=c, dash=BASELINE_DASH.get(method, "dot"), width=1), opacity=0.7,
                                         name=f"{name} {method}", legendgroup=f"{name} {method}", showlegend=first),
                              row=axis + 1, col=1)
    for row in (1, 2):
        _shade(fig, pred.hidden, row=row, col=1)
    fig.update_yaxes(title_text="x", row=1, col=1)
    fig.update_yaxes(title_text="y", row=2, col=1)
    fig.update_xaxes(title_text="frame", row=2, col=1)
    return _layout(fig, 460)


def path_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray]) -> go.Figure:
    """The paths in the plane: ground truth, the model's filled points, the chosen baselines."""
    traj = pred.trajectory
    fig = go.Figure()
    for k, name in enumerate(traj.names):
        c = colour(k)
        filled = pred.filled[:, k]
        near = _near(filled)
        fig.add_trace(go.Scatter(x=traj.positions[:, k, 0], y=traj.positions[:, k, 1], mode="lines",
                                 line=dict(color=c, width=1.5), name=f"{name} truth"))
        fig.add_trace(go.Scatter(x=pred.positions[filled, k, 0], y=pred.positions[filled, k, 1], mode="markers",
                                 marker=dict(color=c, size=7, symbol="diamond", line=dict(color="black", width=0.5)),
                                 name=f"{name} model", text=np.flatnonzero(filled), hovertemplate="frame %{text}"))
        for method, pos in baselines.items():
            fig.add_trace(go.Scatter(x=np.where(near, pos[:, k, 0], np.nan), y=np.where(near, pos[:, k, 1], np.nan),
                                     mode="lines", line=dict(color=c, dash=BASELINE_DASH.get(method, "dot"), width=1),
                                     opacity=0.7, name=f"{name} {method}"))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return _layout(fig, 460, xaxis_title="x", yaxis_title="y")


def frame_errors(truth: np.ndarray, positions: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(T,) mean Euclidean error over each frame's scored cells; NaN where a frame has none."""
    err = np.linalg.norm(positions - truth, axis=-1)  # (T, K)
    scored = cells & np.isfinite(err)
    with np.errstate(invalid="ignore"):
        return np.where(scored.any(axis=1), np.where(scored, err, 0).sum(axis=1) / scored.sum(axis=1), np.nan)


def error_figure(pred: kinviz.Prediction, baselines: dict[str, np.ndarray]) -> go.Figure:
    """Error over time on the filled cells that have ground truth, for the model and the chosen baselines."""
    traj = pred.trajectory
    cells = pred.filled & ~traj.missing
    fig = go.Figure()
    frames = np.arange(traj.n_frames)
    fig.add_trace(go.Scatter(x=frames, y=frame_errors(traj.positions, pred.positions, cells), mode="lines+markers",
                             name="model", line=dict(color="#1f4e8c", width=2.5)))
    for method, pos in baselines.items():
        fig.add_trace(go.Scatter(x=frames, y=frame_errors(traj.positions, pos, cells), mode="lines+markers",
                                 name=method, line=dict(dash=BASELINE_DASH.get(method, "dot"), width=1.5), marker=dict(size=4)))
    _shade(fig, pred.hidden)
    return _layout(fig, 300, xaxis_title="frame", yaxis_title="error (CSV units)")


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


def strip_image(pred: kinviz.Prediction, start: int, stop: int) -> np.ndarray:
    """(H, W, 3) uint8: rows ground truth, masked input, prediction, error over frames start..stop;
    hidden frames outlined in amber, frame numbers on top."""
    kinds = [("truth", "ground truth"), ("input", "masked input"), ("pred", "prediction"), ("error", "error")]
    videos = [pred.video(kind, start, stop) for kind, _ in kinds]
    n, S = videos[0].shape[:2]
    label_w, top = 96, 18
    out = np.full((top + len(kinds) * (S + GAP), label_w + n * (S + GAP), 3), 255, np.uint8)
    hidden = pred.hidden[start:stop]
    for r, video in enumerate(videos):
        for i in range(n):
            tile = _border(video[i], HIDDEN_RGB) if hidden[i] else video[i]
            y, x = top + r * (S + GAP), label_w + i * (S + GAP)
            out[y : y + S, x : x + S] = tile
    img = Image.fromarray(out)
    draw = ImageDraw.Draw(img)
    font = _font(12)
    for r, (_, label) in enumerate(kinds):
        draw.text((4, top + r * (S + GAP) + S // 2 - 7), label, fill=(40, 40, 40), font=font)
    for i in range(n):
        draw.text((label_w + i * (S + GAP) + 2, 2), str(start + i), fill=(180, 120, 0) if hidden[i] else (90, 90, 90), font=font)
    return np.asarray(img)


def step_strip(frame_indices: np.ndarray, frames: np.ndarray, limit: int = 16) -> np.ndarray:
    """(H, W, 3) uint8: the frames being decoded (first ``limit`` distinct frames), frame numbers below."""
    order = np.unique(frame_indices, return_index=True)[1][:limit]
    tiles = _upscale(frames[order], 2)
    n, S = tiles.shape[:2]
    out = np.full((S + 18, n * (S + GAP), 3), 255, np.uint8)
    for i in range(n):
        out[:S, i * (S + GAP) : i * (S + GAP) + S] = _border(tiles[i], HIDDEN_RGB)
    img = Image.fromarray(out)
    draw = ImageDraw.Draw(img)
    for i, j in enumerate(order):
        draw.text((i * (S + GAP) + 2, S + 2), f"frame {frame_indices[j]}", fill=(90, 90, 90), font=_font(11))
    return np.asarray(img)


def _gif(frames: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=1000 // FPS, loop=0)
    return buf.getvalue()


def playback_gif(pred: kinviz.Prediction, start: int, stop: int, scale: int = 3) -> bytes:
    """Animated GIF of ground truth beside the prediction for frames start..stop (hidden frames outlined)."""
    truth = _upscale(pred.video("truth", start, stop), scale)
    guess = _upscale(pred.video("pred", start, stop), scale)
    n, S = truth.shape[:2]
    top = 20
    font = _font(13)
    images = []
    for i in range(n):
        hidden = pred.hidden[start + i]
        canvas = np.full((S + top, 2 * S + 3 * GAP, 3), 255, np.uint8)
        canvas[top:, GAP : GAP + S] = truth[i]
        canvas[top:, 2 * GAP + S : 2 * GAP + 2 * S] = _border(guess[i], HIDDEN_RGB, 3) if hidden else guess[i]
        img = Image.fromarray(canvas)
        draw = ImageDraw.Draw(img)
        draw.text((GAP + 2, 3), "ground truth", fill=(40, 40, 40), font=font)
        draw.text((2 * GAP + S + 2, 3), f"prediction · frame {start + i}" + (" (hidden)" if hidden else ""),
                  fill=(180, 120, 0) if hidden else (40, 40, 40), font=font)
        images.append(img)
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
            for a, b in runs(finite[:, k]):
                pts = [tuple(p) for p in px[a : b + 1]]
                if len(pts) > 1:
                    draw.line(pts, fill=colour(k), width=2)
                else:
                    draw.point(pts, fill=colour(k))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
