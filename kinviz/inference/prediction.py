"""What a fill returns: ``Prediction``, the filled trajectory with its band, which method filled each
cell, the self-check's expected error, and every candidate fill beside it (for the app and the scores)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.trajectory import Trajectory
from ..io.csv import write_csv

# The cells of the video model's method that no model drew (``weight`` 0: gaps it does not draw, or its drawing
# could not be read) are its classical prior's alone, the smoother pooled with the co-visible parts' fit: they
# are named so in the composition, the downloads' ``filled_by`` and the benchmark's shares, not the model's.
PRIOR = "prior"


@dataclass
class Prediction:
    """A filled trajectory and everything needed to show and score it (``display.video`` draws it).

    positions (T, K, 2) finite everywhere, observed cells exactly as given; filled (T, K) the cells
    that were predicted (hidden or missing); confidence (T, K) in [0, 1] (1 for observed cells);
    fallback (T, K) cells the model was asked for but whose read-back was unusable, where the smoother
    stands in; smoother_only (T, K) cells the video model was not asked for (inner gaps shorter than
    ``Decoding.min_inner_gap``, a group with no frame that shows all of it, or, after the self-check, a gap
    another method fills and no plot shows: ``Predictor.predict``'s ``compare``), the prior's alone there;
    spread (T, K, 2) the standard deviation of each filled value (CSV units, 0 where observed): the
    fused variance of the model's samples and the smoother's posterior; weight (T, K) the model's
    share of each filled value (0: the smoother's alone, 1: the model's alone); notes say where the
    smoother could not be fitted (too few points) and linear interpolation stood in for it.

    After the self-check (``Predictor.predict``): ``source`` (T, K) the index in ``sources`` of the
    method that filled each cell (-1 where observed); ``expected`` (T, K) the self-check's expected
    error of each filled cell (file units, NaN where nothing like its gap could be measured);
    ``fills`` every candidate method's fill of the same cells, (T, K, 2) each, for showing and
    scoring them beside the answer; ``check`` what the self-check measured (``selfcheck.Check``).
    """

    trajectory: Trajectory
    hidden: np.ndarray  # (T,) bool: frames the user hid
    positions: np.ndarray  # (T, K, 2)
    filled: np.ndarray  # (T, K) bool
    confidence: np.ndarray  # (T, K)
    fallback: np.ndarray  # (T, K) bool
    seed: int
    steps: int
    spread: np.ndarray | None = None  # (T, K, 2)
    weight: np.ndarray | None = None  # (T, K)
    notes: list[str] = field(default_factory=list)  # where the smoother could not be fitted, and why
    smoother: np.ndarray | None = None  # (T, K, 2) the Kalman smoother's fill alone (the ``kalman`` baseline)
    model_frames: dict = field(default_factory=dict, repr=False)  # frame -> [(group, [Framing per channel], frame (S, S, 3) float)]
    smoother_only: np.ndarray | None = None  # (T, K) bool filled cells no window asked the model for (short inner gaps)
    classical: np.ndarray | None = None  # (T, K, 2) the best classical fill: the smoother pooled with the co-visible parts' fit
    hidden_cells: np.ndarray | None = None  # (T, K) bool: the cells the user hid (``hidden`` is their frames)
    source: np.ndarray | None = None  # (T, K) int8: index into ``sources``, -1 where observed
    sources: tuple[str, ...] = ()
    expected: np.ndarray | None = None  # (T, K) float: expected error per filled cell (file units)
    fills: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # method -> (T, K, 2)
    check: object | None = field(default=None, repr=False)  # the self-check (``selfcheck.Check``)
    smoother_fit: object | None = field(default=None, repr=False)  # the smoother's fit (``kalman.Smoothed``)
    held: np.ndarray | None = None  # (T, K) bool cells past the forecast horizon, a decaying hold (``bounds``)
    clipped: np.ndarray | None = None  # (T, K) bool cells moved to the plausible envelope's edge (``bounds``)

    def composition(self) -> dict[str, int]:
        """Filled cells per method that filled them, in ``sources`` order, ``PRIOR`` after the video model (only
        methods that filled any)."""
        names = self.method_of()
        order = [m for s in (self.sources or ("video",)) for m in ((s, PRIOR) if s == "video" else (s,))]
        return {m: int(n) for m in order if (n := (names == m).sum())}

    def method_of(self) -> np.ndarray:  # (T, K) str, '' where observed
        """The name of the method that filled each cell: a candidate of ``sources``, or ``PRIOR``."""
        if self.source is None:
            names = np.where(self.filled, "video", "")
        else:
            names = np.where(self.source >= 0, np.array(self.sources + ("",))[self.source], "")
        if self.weight is not None:
            names = np.where((names == "video") & (self.weight == 0), PRIOR, names)
        return names

    @property
    def frame_confidence(self) -> np.ndarray:
        """(T,) the least confident object per frame."""
        return self.confidence.min(axis=1)

    def to_csv(self) -> str:
        """The filled trajectory in the input's own layout, with the ``predicted`` column and ``filled_by``
        columns naming the method that filled each cell (``method_of``)."""
        return write_csv(self.trajectory, self.positions, self.filled, self.method_of())
