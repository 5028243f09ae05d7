"""Choosing the checkpoint a training run ships, on validation splits it was not drawn from (issue 29).

Training's own validation clips come from the generator that made its training pool, so a fine-tune
that learns the generator's motion better while forgetting other motion would look better there.
The run therefore also validates on clips of the second simulator (``othersim.validation_split``,
families and physics written apart from ``generate``) and, where the shared folder is there, of the
motion model's real validation files (``kinviz.motion.data.VAL_FILES``). Each save scores every
split by its token loss relative to the first evaluation (the starting model of a fine-tune) and
the checkpoint's score is the *worst* of these ratios: a step that gains on one split and loses on
another is no better than its loss, so no split can be traded for another. The best-scoring
checkpoint is kept beside the run's latest (``chosen_path``) and becomes the run's output at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import othersim
from .data import Clip, clips_from_trajectory

OTHERSIM_PER_FAMILY = 4  # the validation split's trajectories per family: 28, 48 frames each
CLIPS_PER_TRAJECTORY = 2  # 16-frame windows drawn from each (56 clips: a few seconds per evaluation)
REAL_CLIPS_PER_FILE = 24  # windows per real validation file, where the shared folder is there


def othersim_clips(rng: np.random.Generator, *, per_family: int = OTHERSIM_PER_FAMILY, gate=None, fits=(2,)) -> list[Clip]:
    """Training-style clips (windows with hidden frames) of the second simulator's validation split."""
    return [c for _, traj in othersim.validation_split(per_family)
            for c in clips_from_trajectory(traj.positions, rng, count=CLIPS_PER_TRAJECTORY, gate=gate, fits=fits)]


def real_clips(rng: np.random.Generator, *, gate=None, fits=(2,)) -> list[Clip]:
    """Clips of the motion model's real validation files; none where the shared folder is absent."""
    from ..motion import data as motion_data

    if not all((motion_data.REAL_TRAIN / f).exists() for f in motion_data.VAL_FILES):
        return []
    return [c for track in motion_data.load_split("val")
            for c in clips_from_trajectory(track.positions, rng, count=REAL_CLIPS_PER_FILE, gate=gate, fits=fits)]


def validation_clips(seed: int, *, gate=None, fits=(2,), real: bool = True,
                     per_family: int = OTHERSIM_PER_FAMILY) -> dict[str, list[Clip]]:
    """The checkpoint choice's splits beyond the generator's own: {split name: clips}, empty splits left out
    (``per_family``: the second simulator's trajectories per family; tiny runs take 1)."""
    rng = np.random.default_rng(seed)
    out = {"othersim": othersim_clips(rng, per_family=per_family, gate=gate, fits=fits)}
    if real:
        out["real"] = real_clips(rng, gate=gate, fits=fits)
    return {k: v for k, v in out.items() if v}


def chosen_path(out: Path) -> Path:
    """Where a run keeps its best-scoring checkpoint: ``NAME.chosen.safetensors`` beside ``NAME.safetensors``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.chosen{out.suffix}")


@dataclass
class Choice:
    """The best checkpoint so far by the worst relative validation loss over splits (see the module's text)."""

    reference: dict[str, float] = field(default_factory=dict)  # split -> loss at the first evaluation
    best: dict | None = None  # {"step", "score", "losses"}

    def score(self, losses: dict[str, float]) -> float:
        """max over splits of loss / reference loss (1: as the first evaluation; lower is better)."""
        assert set(losses) >= set(self.reference), f"splits {sorted(self.reference)} needed, got {sorted(losses)}"
        return max(losses[k] / max(self.reference[k], 1e-12) for k in self.reference)

    def consider(self, step: int, losses: dict[str, float]) -> bool:
        """Score the checkpoint of ``step``; True when it is the best so far (it should be kept)."""
        if not self.reference:
            self.reference = {k: float(v) for k, v in losses.items()}
        s = self.score(losses)
        if self.best is None or s < self.best["score"]:
            self.best = {"step": int(step), "score": round(s, 6), "losses": {k: round(float(v), 6) for k, v in losses.items()}}
            return True
        return False

    def to_dict(self) -> dict:
        return {"rule": "min over checkpoints of max over splits of val_loss / val_loss at the first evaluation",
                "reference": self.reference, "best": self.best}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Choice":
        d = d or {}
        return cls(dict(d.get("reference") or {}), d.get("best"))
