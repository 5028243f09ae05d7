"""The video model's fill: hidden frames of a trajectory of any length drawn by the masked video model.

How a CSV of 4 to 20,000 frames meets a model that sees 16-frame clips of three objects:

1. Objects are cut into groups of three (one colour channel each). Within a group, a frame is
   *model-hidden* when the user hid it or any of the group's objects is missing there.
2. Each run of consecutive model-hidden frames (a gap) is covered by a window of up to 16 frames,
   with a temporal stride ``s`` chosen so that the window spans the gap plus about four observed
   frames on each side (``s = 1`` for gaps up to 8 frames; long gaps are seen at a coarser frame
   rate, in a window centred on them). Gaps at the ends take their context from one side. Inner
   gaps shorter than ``Decoding.min_inner_gap`` frames get no window: the smoother fills them
   alone (``smoother_only``), where the model measured no gain (``windows.plan_windows``).
3. Each window is drawn in the model's view of its gap (``view.Camera.for_gap``). For a gap with
   observed frames on both sides, every object's camera follows the straight line the linear
   baseline would draw across the gap, zoomed so the observed frames' deviation from that line
   fills the central half of the frame: the model draws the *deviation* from linear interpolation.
   For a gap at either end (a forecast), the 'hybrid' view stands each object's camera still with
   the observed extent filling the central half of the frame, so the model sees where bounded motion
   turns back, unless the visible motion hardly bends (``view.bend`` at most ``Decoding.straight``,
   the gate): then a tracking camera rides a line fitted to the last ``fit`` visible frames, so
   walkers keep walking. (Checkpoints trained before the still view use the tracking camera for every gap.) The window
   is rendered and tokenised; its hidden frames' tokens start as [MASK] and MaskGIT decoding fills
   them: windows around inner gaps with fewer samples than windows at either end
   (``Decoding.samples_for``), in mini-batches (``Predictor.draw``).
4. Positions are read back from the decoded frames (``Predictor.assemble``) and fused with the
   Kalman smoother's (``kinviz.classical.kalman``), one rule for every cell (``fuse``): the smoother gives a
   mean and variance, the model's samples a mean and a spread; the answer is their
   inverse-variance weighted mean, the model's variance calibrated on a tuning split, one
   calibration for inner gaps and one for gaps at either end (``Decoding.calibration``). Where the model's blob cannot be read with
   confidence (it left the frame, or came out faint) the smoother stands in, flagged in
   ``fallback``. A gap frame between two grid frames (stride > 1) gets the smoother's path plus
   the model's correction interpolated between the grid frames, so a fill is as smooth as the
   smoother's wherever the model says nothing.

Observed cells are returned exactly as given; nothing about hidden cells is read, so changing the
values under hidden frames cannot change the prediction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..classical import covisible, kalman
from ..classical.pooling import pool
from ..core.errors import MaskError
from ..core.masks import cell_mask, check_seen
from ..core.trajectory import Trajectory
from ..videomodel.checkpoint import Decoding, Model, default_path, load_checkpoint, resolve_device
from ..videomodel.groups import plan_groups
from ..videomodel.maskgit import maskgit_decode
from ..videomodel.render import MAX_GROUP, readout, render, to_uint8
from ..videomodel.transformer import TASK_IDS, task_of
from ..videomodel.view import Camera, is_inner
from ..videomodel.windows import Window, plan_windows
from .fusion import at_ends, between_grid, fuse
from .prediction import Prediction

MAX_WINDOWS = 1024  # windows one request may decode (about 2 minutes on 2 CPU cores): bounded work per request
BATCH_ROWS = 64  # window-samples per forward pass: bounded memory however many windows a request has
# on_step(step, total, frame indices (n,), frames (n, S, S, 3) uint8, estimate (T, K, 2)): a stage of the decoding,
# called as it happens (inside the model's lock: keep it cheap). ``estimate`` holds the positions read back from
# those frames (one sample, before fusion), in the trajectory's units, NaN where this preview has no reading.
StepCallback = Callable[[int, int, np.ndarray, np.ndarray, np.ndarray], None]
PREVIEW_STAGES = 4  # MaskGIT steps an ``on_step`` preview sees, evenly spaced, the last included


@dataclass
class Draw:
    """Every window of one prediction sampled, before the positions are read back (``Predictor.draw``)."""

    trajectory: Trajectory
    hidden: np.ndarray  # (T,) bool: frames the user hid
    observed: np.ndarray  # (T, K) bool: cells the model may read
    ask: np.ndarray  # (T, K) bool: unseen cells the model is asked for (not those the co-visible fit answers)
    smooth: np.ndarray  # (T, K, 2) the Kalman smoother's fill (observed cells as given)
    smooth_var: np.ndarray  # (T, K, 2) its variance per cell (0 where observed)
    covisible: np.ndarray  # (T, K, 2) the co-visible parts' fit (``covisible.fill``), NaN where it has no answer
    covisible_var: np.ndarray  # (T, K, 2) its variance before calibration (``Decoding.covisible_scale``)
    cells: np.ndarray  # (T, K) bool the cells the user hid
    windows: list[Window]
    decoded: list[np.ndarray]  # per window: (samples, n, S, S, 3) float
    cameras: list[Camera]  # per window: the view it was drawn in
    seed: int
    steps: int
    notes: list[str] = field(default_factory=list)  # where the smoother could not be fitted
    smoother_fit: object | None = None  # the smoother's fitted noise levels (``kalman.Smoothed``), to reuse
    reads: dict = field(default_factory=dict, repr=False)  # window index -> ``_read_samples``, read once

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Window i's samples read back (positions, confidence), computed once per draw."""
        if i not in self.reads:
            self.reads[i] = _read_samples(self.decoded[i], self.cameras[i], len(self.windows[i].group))
        return self.reads[i]


class VideoFiller:
    """The video model, ready to fill trajectories (``fill_video``). Thread-safe for concurrent calls."""

    def __init__(self, model: Model, device: str):
        self.model = model
        self.device = device
        self.max_frames = model.transformer.cfg.max_frames
        self.decoding: Decoding = model.decoding  # replace() it to decode with other settings
        self._lock = threading.Lock()  # torch modules are shared; one decode at a time per predictor

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto"):
        """The bundled checkpoint by default ($KINVIZ_CHECKPOINT overrides); CUDA when available with device='auto'."""
        dev = resolve_device(device)
        return cls(load_checkpoint(path or default_path(), device=dev), dev)

    @property
    def view(self) -> str:
        """How the checkpoint was trained to see a gap (``view.Camera.for_gap``)."""
        return self.model.meta.get("view", "tracking")

    @property
    def meta(self) -> dict:
        return self.model.meta

    @torch.inference_mode()
    def fill_video(
        self,
        trajectory: Trajectory,
        mask: np.ndarray | None = None,  # (T,) bool, True = hidden
        *,
        seed: int = 0,
        steps: int | None = None,
        on_step: StepCallback | None = None,
        oracle: bool = False,
        reuse_fit: object | None = None,  # a ``kalman.Smoothed`` fit of this file's parts to keep (self-check)
        smoother: Callable | None = None,  # (times, known) -> ``kalman.fill``'s answer, to share one run (self-check)
        want: np.ndarray | None = None,  # (T, K) bool: decode only the windows that fill one of these cells
    ) -> Prediction:
        """Fill hidden frames and missing cells with the video model fused with the classical prior (no
        self-check: ``Predictor.predict`` weighs this fill against the others). Same seed, same output.

        ``oracle=True`` is the benchmark's floor, not a prediction: hidden frames get the tokens of
        their true frames (read from the trajectory), so only the tokenizer and readout err.
        """
        draw = self.draw(trajectory, mask, seed=seed, steps=steps, on_step=on_step, oracle=oracle, reuse_fit=reuse_fit,
                         smoother=smoother, want=want)
        pred = self.assemble(draw)
        pred.smoother_fit = draw.smoother_fit
        # The model's own answer beside the fused one: its samples' mean wherever it was asked and could be
        # read back (the classical prior elsewhere), so tables can show the model alone (``video_alone``).
        pred.fills["video_alone"] = self.assemble(draw, weight=1.0).positions if draw.windows else pred.classical
        return pred

    @torch.inference_mode()
    def draw(
        self,
        trajectory: Trajectory,
        mask: np.ndarray | None = None,
        *,
        seed: int = 0,
        steps: int | None = None,
        on_step: StepCallback | None = None,
        oracle: bool = False,
        view: str | None = None,  # another view than the checkpoint's (tuning compares them)
        straight: float | None = None,  # another gate threshold than the checkpoint's
        fit: int | None = None,  # another forecast line fit than the checkpoint's
        reuse_fit: object | None = None,  # the smoother's noise levels fitted before on this file (``kalman.fill``)
        smoother: Callable | None = None,  # (times, known) -> ``kalman.fill``'s answer, instead of running it here
        want: np.ndarray | None = None,  # (T, K) bool: decode only the windows that fill one of these cells
    ) -> "Draw":
        """The decoding half of ``predict``: plan the windows, render, tokenise and sample them (with ``want``, only
        those that fill one of its cells: seeded by where they lie, they come out as in the whole fill)."""
        traj = trajectory
        T, K = traj.n_frames, traj.n_objects
        cells = np.zeros((T, K), bool) if mask is None else cell_mask(mask, T, K)
        hidden = cells.any(axis=1)  # frames with a hidden cell
        steps = steps or self.decoding.steps
        observed = ~traj.missing & ~cells  # (T, K)
        check_seen(traj.missing, observed, traj.names)
        known = np.where(observed[..., None], traj.positions, np.nan)  # the only values the model may read
        fit = self.decoding.fit if fit is None else fit
        # Cells the co-visible parts' fit answers are its (pooled with the smoother): there the model
        # measured no gain over it (``tune``'s occlude grid), so it is asked only for the rest.
        cov, cov_var = covisible.fill(known)
        ask = ~observed & ~np.isfinite(cov).all(axis=-1)  # (T, K)

        windows = []
        for drawn, answers in plan_groups(known, observed, ask):
            model_hidden = ask[:, answers].any(axis=1)
            if model_hidden.all():
                continue  # no frame shows the parts it fills: the smoother stands in
            for w in plan_windows(model_hidden, drawn, self.max_frames, self.decoding.min_inner_gap):
                lost = ~observed[np.ix_(w.frames, drawn)]  # (n, C) the drawn parts' unseen cells
                if not lost.any(axis=1).all():  # frames with a partner unseen are hidden too, as in training
                    w.hidden = lost.any(axis=1)
                if w.hidden.all():  # no frame of the clip shows its parts (long all-missing stretches): no view
                    continue  # to draw it in, so the classical fill stands for these cells
                w.answers, w.partial = answers, lost.any(axis=1) & ~lost.all(axis=1)
                if want is None or want[np.ix_(w.targets, w.fills)].any():
                    windows.append(w)
        if len(windows) > MAX_WINDOWS:
            raise MaskError(f"this would need {len(windows):,} model windows (16-frame clips around the gaps, per group of "
                            f"three objects), more than the {MAX_WINDOWS:,} one request may use: hide fewer frames or "
                            "split the file")
        if smoother is not None:
            smooth, smooth_var, smoother = smoother(traj.times, known)
        else:
            smooth, smooth_var, smoother = kalman.fill(traj.times, known, reuse=reuse_fit)
        notes = [f"{traj.names[s // 2]} {'xy'[s % 2]}: {why}" for s, why in enumerate(smoother.reason) if why]
        decoded, cameras = [], []
        if windows:
            truth = np.where(traj.missing[..., None], np.nan, traj.positions) if oracle else None
            decoded, cameras = self._decode(known, windows, seed, steps, on_step, truth, view or self.view,
                                            self.decoding.straight if straight is None else straight, fit)
        return Draw(traj, hidden, observed, ask, smooth, smooth_var, cov, cov_var, cells, windows, decoded,
                    cameras, seed, steps, notes, smoother_fit=smoother)

    def assemble(self, draw: "Draw", decoding: Decoding | None = None, *, weight: float | None = None) -> Prediction:
        """The read-back half of ``predict``: the sampled fills read back and fused with the smoother
        (``fuse``) under ``decoding`` (the predictor's by default). ``weight`` fixes the model's share
        instead (0: the smoother alone, 1: the model alone; the benchmark's ablation)."""
        dec = decoding or self.decoding
        traj, observed = draw.trajectory, draw.observed
        T, K = traj.n_frames, traj.n_objects
        correction = np.zeros((T, K, 2))  # fused minus the classical prior, on the cells the model answered
        # The model's prior: the smoother pooled with the co-visible parts' fit, the best classical posterior.
        prior, prior_var = pool(draw.smooth, draw.smooth_var, draw.covisible, dec.covisible_scale * draw.covisible_var)
        spread = np.sqrt(prior_var)
        share = np.zeros((T, K))
        confidence = np.where(observed, 1.0, 0.0)
        from_model = np.zeros((T, K), bool)
        asked = np.zeros((T, K), bool)
        model_frames: dict[int, list] = {}
        for i, (w, drawn, camera) in enumerate(zip(draw.windows, draw.decoded, draw.cameras)):
            pos, conf = draw.read(i)  # (S, n, C, 2), (S, n, C)
            frames = drawn.mean(axis=0)  # what the app shows: the mean of the sampled fills
            targets = np.isin(w.frames, w.targets) & w.hidden
            calibration = dec.calibration(is_inner(~w.hidden, w.run))
            for c, k in enumerate(w.group):
                if k not in w.fills:
                    continue  # a partner drawn for context: another window fills its cells
                rows = np.flatnonzero(targets & draw.ask[w.frames, k])
                if not len(rows):
                    continue
                t = w.frames[rows]
                px = 1.0 / camera.scale[c]  # world units per pixel of this object's view
                fused, var, wt, ok = fuse(pos[:, rows, c], conf[:, rows, c], prior[t, k], prior_var[t, k],
                                          px, calibration, weight)
                correction[t[ok], k] = fused[ok] - prior[t[ok], k]
                spread[t[ok], k] = np.sqrt(var[ok])
                share[t[ok], k] = wt[ok]
                confidence[t, k] = conf[:, rows, c].mean(axis=0)
                from_model[t[ok], k] = True
            for j in np.flatnonzero(targets):
                views = [camera.cell(j, c) for c in range(len(w.group))]
                model_frames.setdefault(int(w.frames[j]), []).append((w.group, views, frames[j]))
        if draw.windows:
            between_grid(correction, share, from_model, observed, draw.windows)
        filled = ~observed
        positions = np.where(observed[..., None], traj.positions, prior + correction)
        # The band: the fused spread times a factor that ``tune`` chose for 95 % coverage, per kind of gap.
        spread = spread * np.sqrt(np.where(at_ends(observed), dec.band_scale_end, dec.band_scale))[..., None]
        for w in draw.windows:  # the cells each window answers for, its skipped frames included (``between_grid``)
            asked[np.ix_(w.targets, w.fills)] |= draw.ask[np.ix_(w.targets, w.fills)]
        fallback = filled & asked & ~from_model
        return Prediction(traj, draw.hidden, positions, filled, confidence, fallback, draw.seed, draw.steps,
                          np.where(observed[..., None], 0.0, spread), share, draw.notes, draw.smooth, model_frames,
                          filled & ~asked, prior, draw.cells)

    def samples_for(self, inner: bool = True) -> int:
        """Sampled fills averaged per window, the checkpoint's for the kind of gap (whatever the other gaps)."""
        return self.decoding.samples_for(inner)

    def _decode(self, known, windows: list[Window], seed: int, steps: int, on_step, truth=None,
                view: str = "tracking", straight: float = 0.0, fit: int = 2):
        """Decode the windows, those around inner gaps and those at either end each with their own
        number of samples (``Decoding.samples_for``), in mini-batches of at most
        ``BATCH_ROWS`` window-samples, each sample of each window with its own generator (``window_generator``). The preview
        (``on_step``) shows the first mini-batch at ``PREVIEW_STAGES`` of its steps, live, as it decodes.

        Returns frames (samples, n, S, S, 3) float per window, and each window's camera.
        """
        decoded, cameras = [None] * len(windows), [None] * len(windows)
        kinds = [is_inner(~w.hidden, w.run) for w in windows]
        for inner in (True, False):
            which = [i for i, k in enumerate(kinds) if k == inner]
            if not which:
                continue
            samples = 1 if truth is not None else self.samples_for(inner)
            per = max(1, BATCH_ROWS // samples)
            for i in range(0, len(which), per):
                batch = which[i: i + per]
                d, c = self._decode_batch(known, [windows[j] for j in batch], seed, steps, on_step, truth,
                                          samples, view, straight, fit)
                on_step = None  # the preview follows the first mini-batch only
                for j, dj, cj in zip(batch, d, c):
                    decoded[j], cameras[j] = dj, cj
        return decoded, cameras

    def _decode_batch(self, known, windows: list[Window], seed: int, steps: int, on_step, truth, samples: int,
                      view: str, straight: float, fit: int):
        """Render and tokenise every window once, then decode it ``samples`` times in one batch."""
        tok, tr = self.model.tokenizer, self.model.transformer
        n_max = max(len(w.frames) for w in windows)
        W = len(windows)
        size = tok.cfg.size
        video = np.zeros((W, n_max, size, size, 3), np.uint8)
        seen = np.zeros((W, n_max, size, size, 3), np.uint8)  # partial frames: the parts seen there, drawn
        hidden = np.zeros((W, n_max), bool)
        partial = np.zeros((W, n_max), bool)
        pad = np.ones((W, n_max), bool)
        cameras = []
        for b, w in enumerate(windows):
            pos = np.full((len(w.frames), MAX_GROUP, 2), np.nan)
            pos[:, : len(w.group)] = known[w.frames][:, w.group]
            camera = Camera.for_gap(pos, ~w.hidden, w.run, view, size, straight=straight, fit=fit,
                                    shared=bool(w.partial is not None and w.partial.any()))
            cameras.append(camera)
            if w.partial is not None and w.partial.any():
                partial[b, : len(w.frames)] = w.partial
                seen[b, np.flatnonzero(w.partial)] = render(pos[w.partial], camera.frames(w.partial))
            if truth is None:
                video[b, : len(w.frames)] = render(pos, camera, hidden=w.hidden)
            else:  # oracle: the true frames, drawn by the camera the observed frames chose
                true_pos = np.full_like(pos, np.nan)
                true_pos[:, : len(w.group)] = truth[w.frames][:, w.group]
                video[b, : len(w.frames)] = render(true_pos, camera)
            hidden[b, : len(w.frames)] = w.hidden
            pad[b, : len(w.frames)] = False
        dev = self.device
        x = torch.from_numpy(video).to(dev).float().div_(255).permute(0, 1, 4, 2, 3).flatten(0, 1)
        task = torch.tensor([TASK_IDS[task_of(w.hidden)] for w in windows], device=dev)
        part_t = torch.from_numpy(partial).to(dev)
        hid_t, pad_t = torch.from_numpy(hidden).to(dev), torch.from_numpy(pad).to(dev)
        dec = self.decoding

        def frames_of(digits):  # (s*W, n, h, w, D) -> (s*W, n, S, S, 3) float numpy, hidden frames only decoded
            rows = len(digits) // W
            out = np.zeros((len(digits), n_max, size, size, 3), np.float32)
            if hidden.any():
                out[np.tile(hidden, (rows, 1))] = (
                    tok.decode(digits[hid_t.repeat(rows, 1)]).permute(0, 2, 3, 1).float().cpu().numpy())
            return out

        idx = np.array([int(w.frames[i]) for b, w in enumerate(windows) for i in range(len(w.frames)) if hidden[b, i]])

        def callback(step, total, digits):  # the first sample at a few steps, shown as it is drawn
            if (step + 1) % max(1, total // PREVIEW_STAGES) == 0 or step + 1 == total:
                drawn = frames_of(digits[:W])  # (W, n, S, S, 3)
                on_step(step, total, idx, to_uint8(drawn[hidden]), _estimate(drawn, windows, cameras, known.shape))

        with self._lock:
            digits = tok.encode(x)
            digits = digits.reshape(W, n_max, *digits.shape[1:])
            cond = None
            if partial.any() and tr.cfg.cond:  # the partial frames' own tokens, beside the [MASK]ed ones
                cond = torch.full_like(digits, tr.mask_id)
                shown = torch.from_numpy(seen[partial]).to(dev).float().div_(255).permute(0, 3, 1, 2)
                cond[part_t] = tok.encode(shown)
            if truth is None:
                # Sample j of window i comes back at row i + j * W: same tokens, other noise from the generator.
                digits = maskgit_decode(
                    tr, digits, hid_t[:, :, None, None].expand(*digits.shape[:4]), task, frame_pad=pad_t, cond=cond,
                    steps=steps, generator=[window_generator(seed, w, j) for j in range(samples) for w in windows],
                    temperature=dec.temperature,
                    choice_temperature=dec.choice_temperature, samples=samples,
                    on_step=callback if on_step is not None else None,
                )
            frames = frames_of(digits).reshape(-1, W, n_max, size, size, 3)
        return [frames[:, b, : len(w.frames)] for b, w in enumerate(windows)], cameras


def window_generator(seed: int, window: Window, sample: int) -> torch.Generator:
    """The generator of one sample of one window, from the seed and where the window lies (its parts,
    first and last frame, length): hiding other frames elsewhere never changes this window's fill."""
    f = window.frames
    key = [int(seed), int(f[0]), int(f[-1]), len(f), sample, *map(int, window.group)]
    return torch.Generator().manual_seed(int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] >> 1))


def _estimate(drawn: np.ndarray, windows: list[Window], cameras: list[Camera], shape: tuple) -> np.ndarray:
    """(W, n, S, S, 3) one drawing per window -> (T, K, 2) the positions it puts on the cells each window
    fills (its gap's hidden frames), NaN elsewhere: the preview's estimate, read as ``assemble`` reads."""
    out = np.full(shape, np.nan)
    for b, (w, camera) in enumerate(zip(windows, cameras)):
        rows = w.hidden & np.isin(w.frames, w.targets)
        if rows.any():
            pos = readout(drawn[b, : len(w.frames)][rows], camera.frames(rows), len(w.group))[0]  # (m, C, 2)
            for c, k in enumerate(w.group):
                if k in w.fills:
                    out[w.frames[rows], k] = pos[:, c]
    return out


def _read_samples(drawn: np.ndarray, camera: Camera, n_objects: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, n, H, W, 3) sampled fills -> positions (S, n, K, 2), confidence (S, n, K), per sample."""
    reads = [readout(frames, camera, n_objects) for frames in drawn]
    return np.stack([r[0] for r in reads]), np.stack([r[1] for r in reads])
