"""The fill kinviz returns: every method measured on the file itself, the best per kind of gap.

``Predictor.predict`` runs the candidate fills on the cells to fill: the Kalman smoother, linear
interpolation, the regression on the parts seen with a lost part (learned from the whole file), the
video model fused with the classical prior (``videofill``) and, when its checkpoint is there, the
motion model on coordinates (``kinviz.motion``). The self-check (``selfcheck``) hides stretches of
the file that were seen, shaped like its real gaps, fills them with every candidate, and picks per
kind and length of gap the candidate that came closest; its mean error there is the fill's expected
error, and its variance is rescaled to the errors seen there (the band). ``check=False`` returns the
video model's fill alone, as before the self-check.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..classical import kalman, regression
from ..classical.baselines import fill_baseline
from ..core.masks import cell_mask, check_seen, short_gaps
from ..core.trajectory import Trajectory
from . import bounds, selfcheck
from .prediction import Prediction
from .videofill import StepCallback, VideoFiller

PIECE = 20_000  # frames filled at once: longer files are filled in overlapping pieces, so work and memory stay bounded
OVERLAP = 1_000  # frames each piece reads beyond the stretch it answers for, on either side
MOTION_PATH = Path(__file__).resolve().parents[2] / "checkpoints" / "kinviz-motion.safetensors"
METHOD_ORDER = ("kalman", "linear", "regression", "hold", "video", "motion")  # candidates; ties go to the earlier
WHOLE_FILLS = ("kalman", "linear", "hold")  # candidates that fill every cell, whichever they are asked for


class Predictor(VideoFiller):
    """The models and the classical fills, ready to fill trajectories. Thread-safe for concurrent ``predict``."""

    motion = None  # a ``kinviz.motion.MotionModel`` when one is loaded (``load``)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto", *, motion: str | Path | None | bool = None):
        """The bundled video checkpoint by default ($KINVIZ_CHECKPOINT overrides), with the bundled motion model
        when its checkpoint is there (``motion=False``: none; a path: that one). CUDA when available with 'auto'."""
        predictor = super().load(path, device)
        motion_path = MOTION_PATH if motion in (None, True) else motion
        if motion is not False and motion_path and Path(motion_path).exists():
            from ..motion import MotionModel

            predictor.motion = MotionModel.load(motion_path)
        return predictor

    def predict(
        self,
        trajectory: Trajectory,
        mask: np.ndarray | None = None,  # (T,) or (T, K) bool, True = hidden
        *,
        seed: int = 0,
        steps: int | None = None,
        on_step: StepCallback | None = None,
        oracle: bool = False,
        check: bool = True,
        methods: tuple[str, ...] | None = None,  # candidates to weigh (default: all of ``METHOD_ORDER`` available)
        compare: bool = False,  # every candidate's fill of the hidden cells too (``Prediction.fills``): tables, plots
    ) -> Prediction:
        """Fill hidden cells and missing cells, each gap by the method the self-check found best on this file.

        Observed cells come back exactly as given; nothing under a hidden cell is read. Same seed, same output,
        with ``compare`` or without: it only adds every candidate's own fill of the hidden cells (or of every
        filled cell, with nothing hidden) to ``Prediction.fills``, for the app's plots and the scores of
        ``evaluate``; without it the models decode only the gaps they fill (48 x 2, middle third hidden: 0.02 s
        against 0.39 s with every fill drawn). ``oracle=True`` is the benchmark's floor for the video model
        (see ``fill_video``), without a self-check. A file longer than ``PIECE`` frames is filled in
        overlapping pieces, each self-checked on its own."""
        if trajectory.n_frames > PIECE and not oracle:
            return self._in_pieces(trajectory, mask, seed=seed, steps=steps, check=check, methods=methods,
                                   compare=compare)
        if oracle or not check:
            pred = self.fill_video(trajectory, mask, seed=seed, steps=steps, on_step=on_step, oracle=oracle)
        else:
            pred = self.weigh(trajectory, mask, seed=seed, steps=steps, on_step=on_step, methods=methods,
                              compare=compare)
        if oracle or not pred.filled.any():
            return pred
        # Whatever filled it, the answer stays within a plausible envelope, and says where it was held or moved.
        seen = ~pred.filled
        b = bounds.bound(np.where(seen[..., None], pred.trajectory.positions, np.nan), pred.positions, pred.spread)
        return replace(pred, positions=b.positions, spread=b.spread, held=b.held, clipped=b.clipped,
                       notes=pred.notes + b.notes())

    def candidates(self, names: list[str], *, seed: int = 0, steps: int | None = None,
                   only: tuple[str, ...] | None = None, smooth=None, known=None) -> dict[str, selfcheck.Fill]:
        """The candidate fills, as ``selfcheck.Fill`` functions of (times, known, want), in ``METHOD_ORDER``;
        ``smooth`` the smoother's answer on ``known`` (times, positions): every run keeps its noise levels."""
        memo: dict[bytes, tuple] = {}  # the smoother runs once per variant of the file, for itself and the video model
        key_of = lambda times, known: hashlib.blake2b(times.tobytes() + known.tobytes(), digest_size=16).digest()  # noqa: E731
        fit = smooth[2] if smooth is not None else None

        def smoothed(times, known):
            key = key_of(times, known)
            if key not in memo:
                memo.clear()  # the variants come one after another: keep the last only
                memo[key] = kalman.fill(times, known, reuse=fit)
            return memo[key]

        if smooth is not None and known is not None:  # the file itself: its run is done already
            memo[key_of(*known)] = smooth

        def video(times, known, want=None):
            traj = Trajectory(times, known, names, None)
            pred = self.fill_video(traj, None, seed=seed, steps=steps, smoother=smoothed, want=want)
            return pred.positions, pred.spread**2

        def smoother(times, known, want=None):
            return smoothed(times, known)[:2]

        def regress(times, known, want=None):
            return regression.fill(known, parts=None if want is None else np.flatnonzero(want.any(axis=0)))

        def motion(times, known, want=None):
            # Short inner gaps are the smoother's (the video model measured no gain there either, and the
            # motion model would decode a window around each): the motion model answers the rest, NaN there.
            seen = np.isfinite(known).all(-1)
            short = short_gaps(seen, self.decoding.min_inner_gap)
            if not (~seen & ~short & (True if want is None else want)).any():
                return np.full_like(known, np.nan), np.full_like(known, np.nan)
            given = np.where(short[..., None], smoothed(times, known)[0], known)
            mean, var = self.motion.fill(times, given, seed=seed, want=want)
            return np.where(short[..., None], np.nan, mean), np.where(short[..., None], np.nan, var)

        fills = {"kalman": smoother, "linear": linear_fill, "hold": hold_fill, "regression": regress, "video": video}
        if self.motion is not None:
            fills["motion"] = motion
        return {m: fills[m] for m in METHOD_ORDER if m in fills and (only is None or m in only or m == "kalman")}

    def weigh(self, trajectory: Trajectory, mask: np.ndarray | None = None, *, seed: int = 0, steps: int | None = None,
              on_step: StepCallback | None = None, methods: tuple[str, ...] | None = None,
              compare: bool = False) -> Prediction:
        """The self-check over the candidates, and the fill it chooses (see the module docstring).

        Each model decodes only the windows of the gaps it was chosen for (with ``compare``, those of the
        hidden cells too): a window's samples depend only on where it lies, so the answer is the same
        either way, and a model that fills no gap costs nothing."""
        traj = trajectory
        T, K = traj.n_frames, traj.n_objects
        cells = np.zeros((T, K), bool) if mask is None else cell_mask(mask, T, K)
        seen = ~traj.missing & ~cells
        check_seen(traj.missing, seen, traj.names)
        if seen.all() or not seen.any(axis=0).any():  # nothing to fill, or nothing to fill from
            return self.fill_video(traj, mask, seed=seed, steps=steps, on_step=on_step)
        known = np.where(seen[..., None], traj.positions, np.nan)
        never = ~seen & traj.missing.all(axis=0)  # parts never seen: no gap of theirs is weighed
        todo = ~seen & ~never
        smooth = kalman.fill(traj.times, known)
        fillers = self.candidates(traj.names, seed=seed, steps=steps, only=methods, smooth=smooth,
                                  known=(traj.times, known))
        check, gaps = selfcheck.run(fillers, traj.times, known, todo, seed=seed)
        # The cells each method must answer: the gaps it was chosen for, and with ``compare`` the ones shown.
        need = {m: np.zeros((T, K), bool) for m in fillers}
        for g in gaps:
            m = check.choice.get(g.key, selfcheck.FALLBACK)
            need[m][g.start: g.stop, g.part] = True
        if compare:
            shown = cells if cells.any() else todo
            need = {m: n | shown for m, n in need.items()}
        video = self.fill_video(traj, mask, seed=seed, steps=steps, on_step=on_step, smoother=lambda *_: smooth,
                                want=need.get("video", np.zeros((T, K), bool)) | never)
        fills = {m: f(traj.times, known, need[m] if m != selfcheck.FALLBACK else None)
                 for m, f in fillers.items() if m != "video"}
        fills["video"] = (video.positions, video.spread**2)  # its fill of the gaps it answers, the prior elsewhere
        fills = {m: fills[m] for m in METHOD_ORDER if m in fills}
        base, base_var = fills[selfcheck.FALLBACK]
        names = tuple(fills)
        # Each method's answer on the gaps it was chosen for, its holes bridged (where it answers none of a gap,
        # the smoother's), as the self-check scored it on the probes.
        answers = {m: selfcheck.answer(*fills[m], base, base_var, known, n) for m, n in need.items() if n.any()}
        positions = video.positions.copy()
        var = video.spread**2
        source = np.where(seen, -1, names.index("video")).astype(np.int8)
        expected = np.full(seen.shape, np.nan)
        for g in gaps:
            key = g.key
            m = check.choice.get(key, selfcheck.FALLBACK)
            rows, k = slice(g.start, g.stop), g.part
            mean, v, ok = answers[m]
            positions[rows, k] = mean[rows, k]
            var[rows, k] = v[rows, k] * check.band.get(key, 1.0)
            source[rows, k] = np.where(ok[rows, k], names.index(m), names.index(selfcheck.FALLBACK))
            expected[rows, k] = check.expected.get(key, np.nan)
        weight = np.where(source == names.index("video"), video.weight if video.weight is not None else 0.0, 0.0)
        weight = np.where(source == names.index("motion"), 1.0, weight) if "motion" in names else weight
        # Without ``compare`` a fill made only where it was chosen is not kept: a table would read its blanks as
        # the smoother's. The smoother, linear and the hold fill every cell whatever they are asked.
        kept = {m: np.where(seen[..., None], traj.positions, f[0]) for m, f in fills.items()
                if compare or m in WHOLE_FILLS}
        return replace(video, positions=np.where(seen[..., None], traj.positions, positions),
                       spread=np.where(seen[..., None], 0.0, np.sqrt(np.maximum(var, 0.0))), weight=weight,
                       source=source, sources=names, expected=expected, check=check,
                       fills=(video.fills if compare else {}) | kept)

    def _in_pieces(self, traj: Trajectory, mask, **kw) -> Prediction:
        """``predict`` over pieces of ``PIECE`` frames that overlap by ``OVERLAP`` on each side; each piece answers
        for its middle, so every filled cell saw at least ``OVERLAP`` frames of context where the file has them."""
        T, K = traj.n_frames, traj.n_objects
        cells = np.zeros((T, K), bool) if mask is None else cell_mask(mask, T, K)
        step = PIECE - 2 * OVERLAP
        out = None
        for start in range(0, T, step):
            lo, hi = max(0, start - OVERLAP), min(T, start + step + OVERLAP)
            piece = Trajectory(traj.times[lo:hi], traj.positions[lo:hi], traj.names, None, source_name=traj.source_name)
            if not np.isfinite(piece.positions).all(-1).any():
                continue  # nothing seen in this piece: the hold below answers for it
            pred = self.predict(piece, cells[lo:hi], **kw)
            a, b = start - lo, min(start + step, T) - lo  # the stretch this piece answers for
            if out is None:
                out = _blank(pred, traj, cells)
            _paste(out, pred, slice(start, start + b - a), slice(a, b))
        # Cells no piece could answer (a part unseen across a whole piece): its nearest seen position.
        held, _ = hold_fill(traj.times, np.where(~traj.missing[..., None] & ~cells[..., None], traj.positions, np.nan))
        bad = ~np.isfinite(out.positions).all(-1) & np.isfinite(held).all(-1)
        out.positions[bad] = held[bad]
        out.notes = sorted(set(out.notes)) + [f"filled in {-(-T // step)} pieces of {PIECE:,} frames (each self-checked "
                                              f"on its own, with {OVERLAP:,} frames of context on either side)"]
        return out


def kalman_fill(times, known, want=None):
    """The Kalman smoother as a self-check candidate: (times (T,), known (T, K, 2) NaN unseen) -> (mean, var)."""
    mean, var, _ = kalman.fill(times, known)
    return mean, var


def _blank(pred: Prediction, traj: Trajectory, cells: np.ndarray) -> Prediction:
    """A Prediction for the whole of ``traj`` shaped like ``pred`` (one piece's), every array empty."""
    T = traj.n_frames

    def grow(x):
        if isinstance(x, np.ndarray) and x.ndim >= 1 and x.shape[0] == pred.trajectory.n_frames:
            fill = np.nan if x.dtype.kind == "f" else (-1 if x.dtype.kind == "i" else False)
            return np.full((T, *x.shape[1:]), fill, x.dtype)
        return x

    out = replace(pred, trajectory=traj, **{f: grow(getattr(pred, f)) for f in pred.__dataclass_fields__
                                            if f != "trajectory"})
    out.fills = {m: grow(v) for m, v in pred.fills.items()}
    out.model_frames, out.notes, out.hidden_cells = {}, [], cells
    out.positions[:] = np.where(np.isnan(traj.positions), np.nan, traj.positions)
    return out


def _paste(out: Prediction, pred: Prediction, into: slice, take: slice) -> None:
    """Copy ``pred``'s rows ``take`` into ``out``'s rows ``into``, field by field."""
    n = pred.trajectory.n_frames
    for f in out.__dataclass_fields__:
        x, y = getattr(out, f), getattr(pred, f)
        if f not in ("trajectory", "hidden_cells") and isinstance(y, np.ndarray) and y.ndim >= 1 and y.shape[0] == n:
            x[into] = y[take]
    for m, v in pred.fills.items():
        if m in out.fills:
            out.fills[m][into] = v[take]
    shift = into.start - take.start
    out.model_frames |= {t + shift: v for t, v in pred.model_frames.items() if take.start <= t < take.stop}
    out.notes += pred.notes
    out.check = out.check or pred.check


def hold_fill(times, known, want=None):
    """Each unseen cell at the part's last seen position (its first, before it was seen): a long forecast of
    bounded motion is often best left where it was last seen, and the self-check says when."""
    seen = np.isfinite(known).all(-1)  # (T, K)
    T = len(seen)
    last = np.maximum.accumulate(np.where(seen, np.arange(T)[:, None], -1), axis=0)
    first = np.argmax(seen, axis=0)  # (K,)
    idx = np.where(last >= 0, last, first[None])
    out = np.take_along_axis(known, idx[..., None], axis=0)
    out[:, ~seen.any(axis=0)] = np.nan
    return np.where(seen[..., None], known, out), np.full_like(known, np.nan)


def linear_fill(times, known, want=None):
    """Piecewise linear through each part's seen points, as a self-check candidate: -> (mean, NaN variance)."""
    seen = np.isfinite(known).all(-1)
    out = np.full_like(known, np.nan)
    parts = seen.any(axis=0)
    if parts.any():
        out[:, parts] = fill_baseline("linear", times, known[:, parts], ~seen[:, parts])
    return out, np.full_like(known, np.nan)
