"""The playback of the Predict page and the home page: the recording beside kinviz's fill, frame by frame, drawn
by the browser on a canvas from the positions. No Streamlit.

Why not a GIF, as before: making the GIF of a 7,200-frame file's hidden stretch (121 frames, two tiles each)
took the server 0.8-1.2 s of every Run, after the fill and in Python, while Streamlit's sending thread waited for
the interpreter to send the plots already made (docs/LOAD.md, stop 39). Here the server sends the positions in
pixels (tens of KB) and the seen paths as one PNG, drawn once; the browser draws two tiles a frame, as
``media.Tiles`` draws them (white ground, grey paths, a disc per part in its colour; on the fill's side the band
as an ellipse and the recording as a black ring where a cell was filled). A click pauses it. The downloadable GIF
(``media.prediction_gif``) is still a picture made on the server.
"""

from __future__ import annotations

import base64
import html
import json

import numpy as np

import kinviz
from kinviz_app import media, style

SIZE = 240  # pixels per side of a tile (CSS pixels; drawn at the screen's resolution)
TOP = 26  # pixels above the tiles for their labels
GREY_EDGE = "#d2d6dc"
RADIUS = 0.055  # a part's disc, as a fraction of the tile (``media.Tiles``)


def _points(values: np.ndarray) -> list:
    """(n, K, 2) pixels -> per frame, per part [x, y] rounded to 0.1 px, or None where not finite (JSON has no
    NaN)."""
    finite = np.isfinite(values).all(axis=-1)
    return [[[round(float(x), 1), round(float(y), 1)] if ok else None for (x, y), ok in zip(row, oks)]
            for row, oks in zip(values, finite)]


def frames(pred: kinviz.Prediction, start: int, stop: int, size: int = SIZE) -> dict:
    """What the browser needs to play frames start..stop: per frame the recording's and the fill's positions in
    a tile's pixels (None where there is none), the band's half-axes where a cell was filled, which frames were
    hidden; the parts' colours; the seen paths as a PNG (data URL) at twice the tile's size."""
    framing = media.view_framing(pred, start, stop, size)
    tiles = media.Tiles(pred, framing)  # its geometry: the seen paths, the band
    traj, span = pred.trajectory, slice(start, stop)
    radius = RADIUS * size
    truth, fill = framing.to_pixels(traj.positions[span]), framing.to_pixels(pred.positions[span])  # (n, K, 2)
    filled = pred.filled[span]
    band = np.full(fill.shape, np.nan)
    sd = tiles.sd
    if sd is not None:  # ± BAND_SD s.d., at least a disc, at most a third of the tile (``media.Tiles``)
        band = np.clip(style.BAND_SD * sd[span] * framing.scale, radius, size / 3)
    band[~filled] = np.nan
    return {
        "size": size, "top": TOP, "gap": media.GAP, "fps": media.FPS, "radius": round(radius, 2),
        "frames": list(range(start, stop)), "hidden": pred.hidden[span].astype(bool).tolist(),
        "colours": [media.colour(k) for k in range(traj.n_objects)],
        "truth": _points(truth), "fill": _points(fill), "filled": filled.astype(bool).tolist(), "band": _points(band),
        "edge": {"hidden": "#{:02x}{:02x}{:02x}".format(*style.HIDDEN_RGB), "seen": GREY_EDGE},
        "backdrop": "data:image/png;base64," + base64.b64encode(media.png(np.asarray(tiles.backdrop()))).decode(),
    }


_SCRIPT = """
(() => {
  const S = %(spec)s, c = document.getElementById(%(id)s);
  if (!c) return;
  const W = 2 * S.size + 3 * S.gap, H = S.size + S.top + S.gap, dpr = window.devicePixelRatio || 1;
  c.width = W * dpr; c.height = H * dpr;
  const g = c.getContext("2d"), paths = new Image();
  g.scale(dpr, dpr);
  let i = 0, paused = false;
  const disc = (p, r, fill, stroke, width) => {
    g.beginPath(); g.ellipse(p[0], p[1], r, r, 0, 0, 2 * Math.PI);
    if (fill) { g.fillStyle = fill; g.fill(); }
    if (stroke) { g.strokeStyle = stroke; g.lineWidth = width; g.stroke(); }
  };
  const tile = (x, f, side) => {
    g.save(); g.translate(x, S.top);
    g.beginPath(); g.rect(0, 0, S.size, S.size); g.clip();
    g.fillStyle = "#fff"; g.fillRect(0, 0, S.size, S.size);
    if (paths.complete) g.drawImage(paths, 0, 0, S.size, S.size);
    S.colours.forEach((colour, k) => {
      const where = S[side][f][k];
      if (side === "fill" && S.filled[f][k]) {
        const b = S.band[f][k], t = S.truth[f][k];
        if (b && where) {
          g.beginPath(); g.ellipse(where[0], where[1], b[0], b[1], 0, 0, 2 * Math.PI);
          g.fillStyle = colour + "30"; g.fill(); g.strokeStyle = colour + "90"; g.lineWidth = 1; g.stroke();
        }
        if (t) disc(t, S.radius, null, "#1b1f24", 2);
      }
      if (where) disc(where, S.radius, colour, "#fff", 1);
    });
    g.restore();
    const hidden = S.hidden[f], w = hidden ? 5 : 1;
    g.strokeStyle = hidden ? S.edge.hidden : S.edge.seen; g.lineWidth = w;
    g.strokeRect(x + w / 2, S.top + w / 2, S.size - w, S.size - w);
  };
  const draw = () => {
    if (!c.isConnected) { clearInterval(timer); return; }
    const f = i %% S.frames.length, hidden = S.hidden[f];
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    g.font = "15px sans-serif"; g.textBaseline = "middle";
    g.fillStyle = "#282828"; g.fillText("ground truth", S.gap + 2, S.top / 2);
    g.fillStyle = hidden ? "#aa6e00" : "#282828";
    g.fillText("prediction · frame " + S.frames[f] + (hidden ? " · hidden" : ""), 2 * S.gap + S.size + 2, S.top / 2);
    tile(S.gap, f, "truth"); tile(2 * S.gap + S.size, f, "fill");
    c.dataset.frame = S.frames[f]; c.dataset.tick = i;  // the frame shown, and how many it has played
  };
  const timer = setInterval(() => { if (!paused) { i += 1; draw(); } }, 1000 / S.fps);
  paths.onload = draw;
  paths.src = S.backdrop;
  c.addEventListener("click", () => { paused = !paused; c.title = paused ? "paused: click to play" : "click to pause"; });
  draw();
})();
"""


def html_of(spec: dict, key: str) -> str:
    """The canvas and the script that plays ``spec`` (``frames``) in it, for ``st.html``: as wide as its column,
    a click pauses and plays. ``key`` names the canvas (one per page)."""
    canvas_id = f"kinviz-playback-{key}"
    script = _SCRIPT % {"spec": json.dumps(spec, separators=(",", ":")), "id": json.dumps(canvas_id)}
    label = html.escape(f"Playback of frames {spec['frames'][0]} to {spec['frames'][-1]}")
    return (f'<canvas id="{canvas_id}" role="img" aria-label="{label}" title="click to pause" '
            f'style="width:100%;height:auto;display:block;cursor:pointer"></canvas><script>{script}</script>')
