"""Training clips: simulated trajectories cut to the model's clip length, masked, rendered, tokenised.

A clip is what the predictor shows the model at inference (see ``predict``): up to 16 frames of at
most three objects, some frames hidden, framed from the observed frames only. Training draws the
same thing from the generator (and from the bundled examples with their augmentations), so the
model never sees a framing that used hidden positions. Each clip is drawn in the model's view of one
of its gaps (``view.Camera.for_gap``), the one the predictor would be filling: a tracking camera
for an inner gap, a still one for a gap at either end. With a ``gate`` (``train --gate LO HI``),
an end gap whose visible motion hardly bends keeps the tracking camera, the threshold drawn per
clip log-uniform in [LO, HI], so the model learns both views across the middle ground and the
decoding's own threshold (``straight``) can be tuned after training (``kinviz.training.tune``). Likewise with
``fits`` (``train --fits``), the tracking camera of an end gap rides a constant-velocity line fitted
to a number of visible frames drawn per clip (``view.reference_line``), so the decoding's ``fit``
can be tuned too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import bodies
from . import generate
from ..videomodel.groups import partners
from ..core.masks import mask_runs
from ..videomodel.render import MAX_GROUP, MODEL_SIZE, render
from ..videomodel.transformer import TASK_IDS, task_of
from ..videomodel.view import Camera

VIEW = "hybrid"  # the view training draws clips in (``view.Camera.for_gap``); stored in the checkpoint


@dataclass
class Clip:
    positions: np.ndarray  # (n, 3, 2) world units, NaN = object absent (unused channel)
    hidden: np.ndarray  # (n,) bool
    task: str
    run: tuple[int, int]  # the gap (inclusive frames) whose view the clip is drawn in
    straight: float = 0.0  # the view's gate threshold for this clip (``view.bend``)
    fit: int = 2  # visible frames an end gap's tracking line is fitted to (``view.reference_line``)
    parts: np.ndarray | None = None  # (n, 3) bool hidden cells per channel where only some parts are hidden

    @property
    def partial(self) -> np.ndarray:  # (n,) bool
        """Frames where some of the clip's parts are hidden and others seen (``Clip.parts``)."""
        if self.parts is None:
            return np.zeros(len(self.hidden), bool)
        used = np.isfinite(self.positions).all(-1).any(0)  # (3,) channels that hold a part
        return self.parts[:, used].any(1) & ~self.parts[:, used].all(1)


def make_clip(positions: np.ndarray, hidden: np.ndarray, rng: np.random.Generator, gate=None, fits=(2,),
              parts: np.ndarray | None = None) -> Clip:
    """positions (n, K<=3, 2), hidden (n,) or parts (n, K) hidden cells: the clip, in the view of one of its gaps.

    gate: None (gaps at either end are drawn by the still camera) or (lo, hi), the range of the
    per-clip straightness threshold below which they keep the tracking camera. fits: the frame
    counts the tracking line of an end gap may be fitted to, one drawn per clip."""
    if parts is not None:
        hidden = parts.any(1)
    runs = mask_runs(hidden)
    run = runs[int(rng.integers(len(runs)))]
    straight = float(np.exp(rng.uniform(*np.log(gate)))) if gate else 0.0
    fit = int(rng.choice(fits)) if len(fits) > 1 else int(fits[0])  # one value draws nothing: same pool as before
    channels = rng.permutation(MAX_GROUP)[: positions.shape[1]]  # objects on random colour channels
    pos = np.full((len(hidden), MAX_GROUP, 2), np.nan)
    pos[:, channels] = positions
    cells = None
    if parts is not None:
        cells = np.zeros((len(hidden), MAX_GROUP), bool)
        cells[:, channels] = parts
    return Clip(pos, hidden, task_of(hidden), run, straight, fit, cells)




def sample_hidden(rng: np.random.Generator, n: int) -> np.ndarray:
    """A training mask over n frames, mixing the tasks users run; at least two frames stay visible."""
    hidden = np.zeros(n, bool)
    kind = rng.choice(["interpolate", "forecast", "random", "spans"], p=[0.35, 0.3, 0.15, 0.2])
    if kind == "interpolate":
        length = rng.integers(1, n - 1)
        start = rng.integers(1, n - length)
        hidden[start : start + length] = True
    elif kind == "forecast":
        hidden[n - rng.integers(1, n - 1) :] = True
    elif kind == "random":
        hidden[:] = rng.random(n) < rng.uniform(0.1, 0.7)
    else:
        for _ in range(rng.integers(1, 4)):
            length = rng.integers(1, max(2, n // 3))
            start = rng.integers(0, n - length + 1)
            hidden[start : start + length] = True
    visible = np.flatnonzero(~hidden)
    if len(visible) < 2:
        keep = rng.choice(n, size=2, replace=False)
        hidden[keep] = False
    if not hidden.any():
        hidden[rng.integers(n)] = True
    return hidden


def sample_parts(rng: np.random.Generator, n: int, K: int) -> np.ndarray:  # (n, K) bool
    """Per-part gaps over n frames: part 0 lost for a stretch (inside the clip or at either end)
    while the others are seen, sometimes with short dropouts of their own; at least two frames show
    every part."""
    cells = np.zeros((n, K), bool)
    length = int(rng.integers(1, n - 1))
    where = rng.random()
    start = n - length if where < 0.15 else 0 if where < 0.25 else int(rng.integers(1, n - length))
    cells[start : start + length, 0] = True
    for k in range(1, K):
        if rng.random() < 0.2:
            short = int(rng.integers(1, max(2, n // 4)))
            first = int(rng.integers(0, n - short + 1))
            cells[first : first + short, k] = True
    whole = np.flatnonzero(~cells.any(1))
    if len(whole) < 2:
        cells[rng.choice(n, size=2, replace=False)] = False
    return cells


def sample_clip(rng: np.random.Generator, *, max_frames: int = 16, families=generate.PHYSICS_FAMILIES, gate=None,
                fits=(2,), noisy: float = 0.2, bodies_share: float = 0.0, parts_share: float = 0.25) -> Clip:
    """One simulated clip: random family and parameters, augmentation, tracker noise in a share
    ``noisy`` of clips, a mask.

    A share ``bodies_share`` of clips shows a body (``bodies``): a part chosen at random and its two
    partners (``groups.partners``), most often with that part lost while the partners are seen
    (``sample_parts``). Clips of several independent objects get such per-part gaps in a share
    ``parts_share``, so the model also learns when co-visible objects tell nothing."""
    n = max_frames if rng.random() < 0.75 else int(rng.integers(4, max_frames + 1))
    body = rng.random() < bodies_share
    if body:
        family = bodies.BODY_FAMILIES[int(rng.integers(len(bodies.BODY_FAMILIES)))]
        s = bodies.simulate_body(family, rng, n_frames=n)
    else:
        s = generate.random_sample(rng, n_frames=n, families=tuple(families))
    pos = s.positions
    if rng.random() < 0.5:
        pos = generate.augment(pos, rng)
    if rng.random() < noisy:
        pos = generate.add_tracker_noise(pos, rng, level=rng.uniform(*generate.TRACKER_NOISE))
    k = int(rng.integers(pos.shape[1]))
    group = [k] + partners(pos, np.ones(pos.shape[:2], bool), k)
    pos = pos[:, group[:MAX_GROUP]]
    if pos.shape[1] > 1 and rng.random() < (0.75 if body else parts_share):
        return make_clip(pos, None, rng, gate, fits, parts=sample_parts(rng, n, pos.shape[1]))
    return make_clip(pos, sample_hidden(rng, n), rng, gate, fits)


def clips_from_trajectory(positions: np.ndarray, rng: np.random.Generator, *, count: int, max_frames: int = 16, gate=None,
                          fits=(2,)) -> list[Clip]:
    """Random windows (stride 1-3) of a long trajectory (T, K, 2), objects in groups of three, gaps skipped."""
    T, K, _ = positions.shape
    clips = []
    for _ in range(count):
        stride = int(rng.integers(1, 4))
        n = min(max_frames, (T - 1) // stride + 1)
        if n < 4:
            stride, n = 1, min(max_frames, T)
        start = int(rng.integers(0, T - (n - 1) * stride))
        window = positions[start : start + (n - 1) * stride + 1 : stride]
        group = rng.permutation(K)[:MAX_GROUP]
        window = window[:, group]
        if not np.isfinite(window).all():
            continue  # examples with dropouts: only complete windows are ground truth
        clips.append(make_clip(window, sample_hidden(rng, n), rng, gate, fits))
    return clips


def clip_camera(clip: Clip, size: int = MODEL_SIZE) -> Camera:
    """The model's view of the clip's gap; one zoom for all parts when some are seen while others are hidden."""
    return Camera.for_gap(clip.positions, ~clip.hidden, clip.run, VIEW, size, straight=clip.straight, fit=clip.fit,
                          shared=bool(clip.partial.any()))


def render_clip(clip: Clip, size: int = MODEL_SIZE) -> np.ndarray:
    """Ground-truth frames (n, H, W, 3) uint8 in the model's view of the clip's gap."""
    return render(clip.positions, clip_camera(clip, size))


def render_partial(clip: Clip, size: int = MODEL_SIZE) -> np.ndarray:
    """The frames as the model is shown them (n, H, W, 3) uint8: hidden parts left out, every part seen drawn."""
    pos = clip.positions if clip.parts is None else np.where(clip.parts[..., None], np.nan, clip.positions)
    return render(pos, clip_camera(clip, size))


@dataclass
class TokenPool:
    """Tokenised clips, padded to max_frames: what the transformer trains on."""

    digits: torch.Tensor  # (N, T, h, w, D) int64
    hidden: torch.Tensor  # (N, T) bool
    pad: torch.Tensor  # (N, T) bool
    task: torch.Tensor  # (N,) int64
    cond: torch.Tensor  # (N, T, h, w, D) uint8: partial frames' digits, ``levels`` (none) elsewhere

    def __len__(self) -> int:
        return len(self.task)


def stack_frames(clips: list[Clip], max_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clips -> frames (N, T, H, W, 3) uint8 zero-padded, hidden (N, T), pad (N, T)."""
    N = len(clips)
    frames = np.zeros((N, max_frames, MODEL_SIZE, MODEL_SIZE, 3), np.uint8)
    hidden = np.zeros((N, max_frames), bool)
    pad = np.ones((N, max_frames), bool)
    for i, c in enumerate(clips):
        n = len(c.hidden)
        frames[i, :n] = render_clip(c)
        hidden[i, :n] = c.hidden
        pad[i, :n] = False
    return frames, hidden, pad


@torch.no_grad()
def tokenize_clips(tokenizer, clips: list[Clip], *, max_frames: int = 16, batch: int = 256) -> TokenPool:
    """Render and encode clips with a trained tokenizer."""
    tokenizer.eval()
    out = []
    for i in range(0, len(clips), batch):
        frames, hidden, pad = stack_frames(clips[i : i + batch], max_frames)
        x = torch.from_numpy(frames).float().div_(255).permute(0, 1, 4, 2, 3).flatten(0, 1)  # (B*T, 3, H, W)
        d = tokenizer.encode(x)
        d = d.reshape(len(frames), max_frames, *d.shape[1:])
        task = torch.tensor([TASK_IDS[c.task] for c in clips[i : i + batch]])
        cond = torch.full(d.shape, max(tokenizer.cfg.levels), dtype=torch.uint8)
        for j, c in enumerate(clips[i : i + batch]):
            partial = c.partial
            if partial.any():
                seen = torch.from_numpy(render_partial(c)[partial]).float().div_(255).permute(0, 3, 1, 2)
                cond[j, np.flatnonzero(partial)] = tokenizer.encode(seen).to(torch.uint8)
        out.append((d, torch.from_numpy(hidden), torch.from_numpy(pad), task, cond))
    return TokenPool(*(torch.cat(parts) for parts in zip(*out)))
