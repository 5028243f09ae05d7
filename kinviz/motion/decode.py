"""MaskGIT decoding of the motion model, and `MotionModel`, the entry point that fills a file's gaps.

    model = MotionModel.load()  # checkpoints/kinviz-motion.safetensors + .json
    mean, var = model.fill(times, known, samples=8, seed=0)  # known (T, K, 2), NaN where unseen

Only windows around unseen cells are decoded: each run of a part's unseen frames gets a 64-frame
window that holds the part and its nearest co-visible partners (`data.partners`), normalised by the
cells seen in it. Chang et al. 2022, "MaskGIT: Masked Generative Image Transformer".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.errors import KinvizError
from . import checkpoint, data
from .tokenizer import Tokenizer, part_anchor
from .transformer import MotionTransformer, chunk_hidden, mask_ratio

STEPS = 8  # MaskGIT reaches its quality in 8-12 steps (Chang et al. 2022, fig. 7)
CHOICE_TEMPERATURE = 4.5  # MaskGIT's default noise on the confidences that pick which tokens to keep
MARGIN = 4  # frames of context a window keeps at its sides when it takes in a further run


@torch.no_grad()
def maskgit_sample(
    model: MotionTransformer,
    tokens: torch.Tensor,  # (B, P, N) long, -1 at hidden chunks
    rel: torch.Tensor,  # (B, P, T, 2) visible coordinates relative to the anchors, 0 elsewhere
    anchor: torch.Tensor,  # (B, P, 1, 2)
    visible: torch.Tensor,  # (B, P, T) bool
    present: torch.Tensor,  # (B, P) bool
    *,
    samples: int,
    steps: int = STEPS,
    temperature: float = 1.0,
    generator: torch.Generator | list[torch.Generator],
) -> torch.Tensor:  # -> (B, S, P, N) long: every token decoded
    """Iterative decoding: each step samples every [MASK]ed token and keeps the most confident, the
    number still masked following the cosine schedule. The first step's logits are shared by the samples.
    ``generator``: one for the batch, or one per window (B), so that a window's samples do not depend on
    the other windows decoded beside it."""
    B = tokens.shape[0]
    hidden = tokens < 0
    n_hidden = hidden.flatten(1).sum(1).repeat_interleave(samples)  # (B*S,)
    first = model(tokens, rel, anchor, visible, present).repeat_interleave(samples, 0)
    tokens, rel, anchor, visible, present = (x.repeat_interleave(samples, 0)
                                             for x in (tokens, rel, anchor, visible, present))
    for step in range(steps):
        logits = first if step == 0 else model(tokens, rel, anchor, visible, present)
        still = tokens < 0
        if not still.any():
            break
        # Sample every digit of every token; a code's confidence is the sum of its digits' log-probabilities.
        digits, confidence = [], torch.zeros(tokens.shape)
        for lp in model.log_probs(logits):
            probs = torch.softmax(lp / max(temperature, 1e-6), -1)
            d = _draw(lambda p, g: torch.multinomial(p.reshape(-1, p.shape[-1]), 1, generator=g), probs, B, generator)
            d = d.reshape(tokens.shape)
            digits.append(d)
            confidence += lp.gather(-1, d[..., None])[..., 0]
        proposal = model.index(torch.stack(digits, -1))
        # Keep the most confident proposals; the cosine schedule sets how many stay masked.
        progress = (step + 1) / steps
        n_masked = torch.floor(mask_ratio(torch.tensor(progress)) * n_hidden).long()
        u = _draw(lambda t, g: torch.rand(t.shape, generator=g), tokens, B, generator).clamp(1e-9, 1 - 1e-9)
        noisy = confidence + CHOICE_TEMPERATURE * (1 - progress) * -torch.log(-torch.log(u))
        noisy = torch.where(still, noisy, torch.full_like(noisy, float("inf")))
        rank = noisy.flatten(1).argsort(1).argsort(1).reshape(tokens.shape)
        stay = still & (rank < n_masked[:, None, None])
        tokens = torch.where(still & ~stay, proposal, tokens)
    return tokens.reshape(B, samples, *tokens.shape[1:])


def _draw(sample, x: torch.Tensor, B: int, generator) -> torch.Tensor:
    """``sample(x, generator)`` over the whole batch, or window by window when there is a generator per
    window (x's first axis holds B windows' samples, one window after another), joined on that axis."""
    if isinstance(generator, torch.Generator):
        return sample(x, generator)
    return torch.cat([sample(part, g) for part, g in zip(x.chunk(B), generator)])


def meet_seen(decoded: np.ndarray, xy: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Shift each sample's path to meet the seen frames: decoded (S, T, 2), xy (T, 2), visible (T,).

    The tokens resolve a 4-frame chunk to a few hundredths of the window's radius, about a linear
    interpolation's whole error on a short gap; so the residual at the seen frames (seen - decoded)
    is interpolated across the unseen ones and added (held at a window's ends), as a smoother's path
    plus a correction. The model keeps the shape of the motion; the seen frames fix where it is.
    """
    if not visible.any():
        return decoded
    t = np.arange(decoded.shape[1])
    out = decoded.copy()
    for s in range(decoded.shape[0]):
        for c in range(2):
            residual = xy[visible, c] - decoded[s, visible, c]
            out[s, :, c] += np.interp(t, t[visible], residual)
    return out


@dataclass
class Window:
    """One planned window: frames [start, start + T_WIN) around part `part`; it answers `frames` of it."""

    part: int
    start: int
    frames: np.ndarray  # (n,) file frame indices this window answers for `part`


def plan_windows(seen: np.ndarray) -> list[Window]:  # seen (T, K) bool
    """Windows that cover every unseen frame of every part that has a seen frame, each run once.

    A run of unseen frames gets a window centred on it (runs longer than the window are tiled); later
    runs that fall inside the window, `MARGIN` frames from its sides, are answered by it too.
    """
    T, K = seen.shape
    win, last_start = data.T_WIN, max(0, T - data.T_WIN)
    plan = []
    for k in np.flatnonzero(seen.any(0)):
        todo = np.flatnonzero(~seen[:, k])
        i = 0
        while i < len(todo):
            a = todo[i]
            j = i  # the run: todo[i..j]
            while j + 1 < len(todo) and todo[j + 1] == todo[j] + 1:
                j += 1
            length = todo[j] - a + 1
            start = a + length // 2 - win // 2 if length <= win - 2 * MARGIN else a - MARGIN
            start = int(min(max(start, 0), last_start))
            hi = T if start >= last_start else start + win - MARGIN  # answer unseen frames before hi
            n = int(np.searchsorted(todo, hi)) - i
            assert n >= 1, "a window must answer the run it was placed for"
            plan.append(Window(int(k), start, todo[i : i + n]))
            i += n
    return plan


def window_generator(seed: int, w: Window) -> torch.Generator:
    """The generator of one window's samples, from the seed and where the window lies."""
    key = [int(seed), int(w.part), int(w.start), int(w.frames[0]), int(w.frames[-1]), len(w.frames)]
    return torch.Generator().manual_seed(int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] >> 1))


class MotionModel:
    """The coordinate-token motion model: tokenizer + transformer + MaskGIT decoding (MAGVIT's recipe)."""

    def __init__(self, tokenizer: Tokenizer, transformer: MotionTransformer, meta: dict | None = None):
        self.tokenizer, self.transformer, self.meta = tokenizer.eval(), transformer.eval(), meta or {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> "MotionModel":
        """Load `path` (a stem, or its .safetensors/.json); default `checkpoints/kinviz-motion`."""
        return cls(*checkpoint.load(path))

    def fill(self, times, known, *, samples: int = 8, seed: int = 0, steps: int = STEPS,
             temperature: float = 1.0, batch: int = 16, parts=None, want: np.ndarray | None = None,
             ) -> tuple[np.ndarray, np.ndarray]:
        """Fill every unseen cell of `known` with the mean and variance of `samples` MaskGIT samples.

        times: (T,) frame times; the model works in frames, so they only fix T.
        known: (T, K, 2) float, NaN where unseen (a cell with one NaN coordinate is unseen); the
        values of unseen cells are never read.
        Returns (mean, var), each (T, K, 2) float64 in the file's units: observed cells as given with
        variance 0; every unseen cell of a part with any seen frame answered; NaN for parts never seen.
        parts: answer only these parts' unseen cells (the others' stay NaN); default all.
        want: (T, K) bool, decode only the windows that answer one of these cells (the rest stay NaN).
        Seeded: the same input and seed give the same output; each window draws from a generator of its
        own, seeded by where it lies, so a window's answer does not depend on which others are decoded.
        """
        known = np.asarray(known, dtype=np.float64)
        times = np.asarray(times)
        if known.ndim != 3 or known.shape[-1] != 2:
            raise KinvizError(f"known must be (frames, parts, 2) coordinates, not shape {known.shape}")
        if times.shape != known.shape[:1]:
            raise KinvizError(f"times has {times.shape} entries but known has {known.shape[0]} frames; "
                              "give one time per frame")
        if samples < 1:
            raise KinvizError(f"samples must be 1 or more, not {samples}")
        seen = np.isfinite(known).all(-1)  # (T, K)
        clean = np.where(seen[..., None], known, np.nan)  # what is hidden is dropped here, never read after
        mean = np.where(seen[..., None], clean, np.nan)
        var = np.where(seen[..., None], 0.0, np.full(known.shape, np.nan))
        plan = plan_windows(seen)
        if parts is not None:
            wanted = set(int(k) for k in parts)
            plan = [w for w in plan if w.part in wanted]
        if want is not None:
            plan = [w for w in plan if want[w.frames, w.part].any()]
        answered = np.zeros_like(seen)
        for i in range(0, len(plan), batch):
            chunk = plan[i : i + batch]
            inputs = [self._window(clean, seen, w) for w in chunk]
            usable = [(w, x) for w, x in zip(chunk, inputs) if x is not None]
            if not usable:
                continue
            xy_s = self._sample([x for _, x in usable], samples=samples, steps=steps, temperature=temperature,
                                generator=[window_generator(seed, w) for w, _ in usable])
            for (w, x), xy in zip(usable, xy_s):  # xy (S, T_WIN, 2): slot 0 in the file's units
                rows = w.frames - w.start
                mean[w.frames, w.part] = xy[:, rows].mean(0)
                var[w.frames, w.part] = xy[:, rows].var(0)
                answered[w.frames, w.part] = True
        # A window with no seen cell at all: the part's nearest seen positions, with its spread as variance.
        for k in np.flatnonzero(seen.any(0)):
            if parts is not None and k not in wanted:
                continue
            lost = ~seen[:, k] & ~answered[:, k] & (True if want is None else want[:, k])
            if lost.any():
                t = np.arange(len(seen))
                for c in range(2):
                    mean[lost, k, c] = np.interp(t[lost], t[seen[:, k]], clean[seen[:, k], k, c])
                    var[lost, k, c] = clean[seen[:, k], k, c].var()
        return mean, var

    def _window(self, clean: np.ndarray, seen: np.ndarray, w: Window):
        """The normalised inputs of one window, or None when none of its cells is seen."""
        T = len(seen)
        rows = np.arange(w.start, min(w.start + data.T_WIN, T))
        pos, vis = clean[rows], seen[rows]
        slots = data.partners(np.where(vis[..., None], pos, np.nan), vis, w.part, data.P)
        pos, vis = pos[:, slots], vis[:, slots]
        if not vis.any():
            return None
        xy, centre, scale = data.normalise(pos, vis)
        pad = data.T_WIN - len(rows)  # a file shorter than a window: the rest is unseen
        xy = np.concatenate([xy, np.zeros((pad, *xy.shape[1:]))])
        vis = np.concatenate([vis, np.zeros((pad, vis.shape[1]), bool)])
        n = len(slots)
        out_xy, out_v = np.zeros((data.P, data.T_WIN, 2)), np.zeros((data.P, data.T_WIN), bool)
        present = np.zeros(data.P, bool)
        out_xy[:n], out_v[:n], present[:n] = xy.transpose(1, 0, 2), vis.T, True
        return out_xy, out_v, present, centre, scale

    def _sample(self, inputs: list, *, samples: int, steps: int, temperature: float, generator: torch.Generator):
        """Decode windows: list of (S, T_WIN, 2) slot-0 coordinates in the file's units."""
        xy = torch.as_tensor(np.stack([x[0] for x in inputs]), dtype=torch.float32)
        visible = torch.as_tensor(np.stack([x[1] for x in inputs]))
        present = torch.as_tensor(np.stack([x[2] for x in inputs]))
        anchor = part_anchor(xy, visible)
        rel = (xy - anchor) * visible[..., None]
        modes = (self.tokenizer.training, self.transformer.training)
        self.tokenizer.eval()
        self.transformer.eval()
        try:
            with torch.no_grad():
                codes = self.tokenizer.encode(rel)[1]
                hidden = chunk_hidden(visible, self.transformer.config.chunk) & present[..., None]
                tokens = torch.where(hidden, torch.full_like(codes, -1), codes)
                out = maskgit_sample(self.transformer, tokens, rel, anchor, visible, present, samples=samples,
                                     steps=steps, temperature=temperature, generator=generator)  # (B, S, P, N)
                B, S = out.shape[:2]
                dec = self.tokenizer.decode(out[:, :, :1].reshape(B * S, 1, -1)).reshape(B, S, data.T_WIN, 2)
                dec = dec + anchor[:, None, 0]
        finally:
            self.tokenizer.train(modes[0])
            self.transformer.train(modes[1])
        dec = dec.double().numpy()
        return [meet_seen(d, x[0][0], x[1][0]) * x[4] + x[3] for d, x in zip(dec, inputs)]
