"""Videos for people: a prediction drawn in colour, in one framing for the whole clip.

The model sees 32-pixel frames in a view that moves with each gap (``videomodel.view.Camera``). People see one
still, larger framing of the whole trajectory (``display_framing``: the observed cells fill its
central half), each object in a colour of its own (``PALETTE``: the model's red, green and blue
first). In the 'pred' video the frames the model drew are warped from its view onto that framing,
so it shows what the model drew, not a re-render of the positions read back from it.
"""

from __future__ import annotations

import numpy as np

from ..videomodel.render import Framing, object_groups, render_float, to_uint8, warp
from .prediction import Prediction

DISPLAY_SIZE = 64  # pixels per side of the videos people see
KINDS = ("truth", "input", "pred", "error")
PALETTE = np.array(  # display colours: the model's own R, G, B first, then more for groups beyond three
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0.6, 0], [0.8, 0, 1], [0, 0.9, 0.9], [1, 1, 0], [1, 0.4, 0.7],
     [0.5, 0.8, 0.2], [0.6, 0.4, 0.2], [0.4, 0.6, 1], [0.9, 0.9, 0.9], [1, 0.2, 0.2], [0.2, 0.5, 0.2],
     [0.5, 0.5, 1], [0.7, 0.7, 0.3]], np.float32)


def display_framing(prediction: Prediction) -> Framing:
    """The one framing of every video of a prediction, from its observed cells."""
    traj = prediction.trajectory
    observed = ~traj.missing & ~prediction.hidden[:, None]
    return Framing.from_observed(traj.positions, observed, DISPLAY_SIZE)


def video(prediction: Prediction, kind: str, start: int = 0, stop: int | None = None) -> np.ndarray:
    """(n, S, S, 3) uint8 frames start..stop of one video of a prediction, all in one framing.

    kind: 'truth' (the CSV's values, hidden frames included where known), 'input' (what the
    model saw: hidden frames blank), 'pred' (observed frames as given, hidden frames as the model
    drew them), 'error' (|pred - truth|).
    """
    assert kind in KINDS, f"unknown video kind {kind!r}; expected one of {KINDS}"
    if kind == "error":
        a, b = video(prediction, "pred", start, stop), video(prediction, "truth", start, stop)
        return np.abs(a.astype(np.int16) - b.astype(np.int16)).astype(np.uint8)
    framing = display_framing(prediction)
    sl = slice(start, stop)
    truth = prediction.trajectory.positions[sl]
    if kind == "truth":
        return colorize(object_maps(truth, framing))
    if kind == "input":
        return colorize(object_maps(np.where(prediction.hidden[sl, None, None], np.nan, truth), framing))

    # 'pred': every filled cell the model answered shows the model's own frame, warped onto the framing.
    maps = object_maps(prediction.positions[sl], framing)
    for i, t in enumerate(range(*sl.indices(len(prediction.hidden)))):
        for group, views, frame in prediction.model_frames.get(t, []):
            for c, k in enumerate(group):
                if prediction.filled[t, k] and not prediction.fallback[t, k]:
                    maps[i, k] = warp(frame[None, ..., c : c + 1].repeat(3, -1), views[c], framing)[0, ..., 0]
    return colorize(maps)


def object_maps(positions: np.ndarray, framing: Framing) -> np.ndarray:
    """(T, K, 2) -> (T, K, S, S) float intensity map per object (any number of objects)."""
    T, K, _ = positions.shape
    out = np.zeros((T, K, framing.size, framing.size), np.float32)
    for group in object_groups(K):
        frames = render_float(positions[:, group], framing)
        for c, k in enumerate(group):
            out[:, k] = frames[..., c]
    return out


def colorize(maps: np.ndarray) -> np.ndarray:
    """(T, K, S, S) per-object intensities -> (T, S, S, 3) uint8 with one palette colour each."""
    colours = PALETTE[np.arange(maps.shape[1]) % len(PALETTE)]
    return to_uint8(np.einsum("tkhw,kc->thwc", maps, colours))
