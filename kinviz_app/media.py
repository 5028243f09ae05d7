"""Pictures of a run for people: the frame strip, the downloadable GIF, the examples' thumbnails. No Streamlit.
(The playback, on the Predict page and the home page, is drawn by the browser from ``Tiles``' geometry:
``kinviz_app.playback``.)

Frames are drawn as pictures, not as the model's blobs: white ground, the parts' seen paths in grey, each
part a disc in its own colour (kinviz's display palette, as the model draws them), cropped to where the
parts are; every part is drawn. Hidden frames are framed in amber.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import kinviz
from kinviz import PALETTE  # the videos' object colours, so frames match the model's own
from kinviz_app import scene, style
from kinviz_app.style import HIDDEN_RGB

GAP = 4  # pixels between tiles
FPS = 8  # frames a second of the playback and the GIF
TILE = 128  # pixels per side of a frame in the strip
VIDEO_SIZE = 360  # pixels per side of the downloadable video's frames


def font(size: int = 12):
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




def border(tile: np.ndarray, rgb, width: int = 2) -> np.ndarray:
    tile = tile.copy()
    tile[:width], tile[-width:], tile[:, :width], tile[:, -width:] = rgb, rgb, rgb, rgb
    return tile


def view_framing(pred: kinviz.Prediction, start: int, stop: int, size: int) -> kinviz.Framing:
    """A view of frames start..stop cropped to where the objects are (truth and prediction), at least
    ``MIN_SPAN`` of the scene wide so that a still object is not blown up."""
    pts = np.concatenate([pred.trajectory.positions[start:stop].reshape(-1, 2), pred.positions[start:stop].reshape(-1, 2)])
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(float((hi - lo).max()), scene.MIN_SPAN * scene.scene_size(pred.trajectory))
    centre = (lo + hi) / 2
    return kinviz.Framing(float(centre[0]), float(centre[1]), 0.78 * size / span, size)


class Tiles:
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
        self.trail = trail(pred)
        self.sd = scene.spread(pred)
        self._backdrops: dict[tuple, Image.Image] = {}

    def backdrop(self, fill: tuple = (255, 255, 255)) -> Image.Image:
        """The seen paths on a ground of ``fill``, at ``ss`` times the tile's size: drawn once per ground."""
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
        img = self.backdrop((255, 250, 235) if hidden and kind == "input" else (255, 255, 255)).copy()
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
            draw.text((big.size / 2, big.size / 2), "?", fill=(180, 120, 0), font=font(28 * ss), anchor="mm")
        return img.reduce(ss)


def trail(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K, 2) the positions the model was given (observed and not hidden), NaN elsewhere."""
    seen = ~pred.trajectory.missing & ~pred.hidden[:, None]
    return np.where(seen[..., None], pred.trajectory.positions, np.nan)


def strip_image(pred: kinviz.Prediction, start: int, stop: int, tile: int = TILE) -> np.ndarray:
    """(H, W, 3) uint8: rows ground truth, what the model is given, the prediction over frames
    start..stop, cropped to where the objects are; hidden frames framed in amber, frame numbers on top."""
    kinds = [("truth", "ground truth"), ("input", "model is given"), ("pred", "prediction")]
    tiles = Tiles(pred, view_framing(pred, start, stop, tile))
    n = stop - start
    label_w, top = 120, 24
    out = Image.new("RGB", (label_w + n * (tile + GAP), top + len(kinds) * (tile + GAP)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    label_font = font(15)
    for r, (kind, label) in enumerate(kinds):
        y = top + r * (tile + GAP)
        draw.text((4, y + tile // 2), label, fill=(40, 40, 40), font=label_font, anchor="lm")
        for i in range(n):
            t = start + i
            x = label_w + i * (tile + GAP)
            img = np.asarray(tiles(t, kind))
            edge = HIDDEN_RGB if pred.hidden[t] else (210, 214, 220)
            out.paste(Image.fromarray(border(img, edge, 4 if pred.hidden[t] else 1)), (x, y))
    for i in range(n):
        t = start + i
        draw.text((label_w + i * (tile + GAP) + tile // 2, top // 2), f"frame {t}" + (" · hidden" if pred.hidden[t] else ""),
                  fill=(170, 110, 0) if pred.hidden[t] else (90, 90, 90), font=font(13), anchor="mm")
    return np.asarray(out)


def gif(frames: list[Image.Image]) -> bytes:
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


def prediction_gif(pred: kinviz.Prediction, start: int, stop: int, size: int = VIDEO_SIZE) -> bytes:
    """Animated GIF of the prediction alone over frames start..stop, in the scene with every part (the
    truth as a black ring where the file has one), cropped to where the parts are; hidden frames framed
    in amber, the frame number on top."""
    tiles = Tiles(pred, view_framing(pred, start, stop, size))
    top = 26
    label_font = font(15)
    images = []
    for t in range(start, stop):
        hidden = bool(pred.hidden[t])
        canvas = Image.new("RGB", (size + 2 * GAP, size + top + GAP), (255, 255, 255))
        tile = border(np.asarray(tiles(t, "pred")), HIDDEN_RGB if hidden else (210, 214, 220), 5 if hidden else 1)
        canvas.paste(Image.fromarray(tile), (GAP, top))
        ImageDraw.Draw(canvas).text((GAP + 2, top // 2), f"prediction · frame {t}" + (" · hidden" if hidden else ""),
                                    fill=(170, 110, 0) if hidden else (40, 40, 40), font=label_font, anchor="lm")
        images.append(canvas)
    return gif(images)


def png(image: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> PNG bytes, made once and shown as they are (Streamlit encodes an array anew each time)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


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
