"""The self-check: every fill method measured on the user's own file, before it fills the real gaps.

No method wins everywhere (a regression on co-visible parts wins real occlusion, the video model
bounded forecasts, the smoother short dropouts), so each file is measured on itself:

1. The real gaps (runs of cells to fill, per part) are sorted into *groups* by kind and length:
   ``occlude`` (one part lost while others are seen) or ``whole`` (every part lost in those frames),
   each inner or at an end (``_end``: no seen frame of the part before the gap, or none after: a
   forecast or backcast), in length bins of 1-2, 3-8, 9-16, 17-32, 33-64 and 65+ frames.
2. For each group, *probes*: stretches of the same kind and similar length (a real gap's length,
   drawn at random; halved until it fits where no seen stretch is that long, its errors then scaled
   by the lengths' ratio), placed on cells that were seen, on the same part when it has room. They are
   hidden and filled by every method; the fill is scored against what was seen there. Inner
   probes are filled together in one pass over the whole file (spaced so they never border each
   other); an end probe in a cut of the file that ends (or starts) with it.
3. Per group, the method with the lowest mean probe error fills the group's real gaps; with fewer
   than ``MIN_PROBES`` probes the group borrows its kind's choice over all lengths (with none, its kind's
   ``DEFAULT`` or the smoother fills it, with no expected error). A kind with a
   ``DEFAULT`` (inner occlusion: the co-visible regression) keeps it unless another method was closer
   on the same probes by more than ``SWITCH_SE`` paired s.e.
4. The chosen method's mean probe error is the *expected error* of those gaps, in the file's units.
   Its variance is rescaled so that the fill +- 2 s.d. holds 95 % of the probes' coordinates (the
   band). The band was rescaled by the median over probes of squared error / predicted variance until
   stop 37: a median is blind to the tails, so +-2 s.d. held 81 % of held-out generated forecasts'
   coordinates and 84 % of the second simulator's; with the quantile 95 % and 94 % (real occlusions 97 ->
   98 %, real interpolation 98 -> 97 %: there the band was already wide enough), and the forecasts'
   error fell a little through the bounds, which read the band (``bounds``): 11.13 -> 10.73 % and
   12.35 -> 12.14 %.

   Tried for the expected error and not kept: a promise per gap, the geometric mean of the probes'
   errors per s.d. predicted there times the s.d. predicted along the real gap (so it grows with the
   gap's length and with how poorly the partners predict its part). Within 1.5x of the measured error
   on the benchmark's real occlusions, real interpolation and both simulators' forecasts, the same
   fills: 36 of 76 with it, 36 of 76 with the mean (real occlusions alone 11 and 9 of 21). The simpler
   stays. Leaving each probe out and predicting it from its group's others, 43-48 % land within 1.5x:
   one stretch's error varies that much about what the file's others show.

Only seen cells are ever hidden and scored, and the methods read only seen cells: the values under
the real gaps never reach the self-check (``tests/test_selfcheck.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..core.masks import mask_runs

# (times (T,), known (T, K, 2) NaN where unseen, want (T, K) bool or None) -> (mean, variance), each (T, K, 2), NaN
# where no answer: ``want`` names the cells whose answer is needed (None: every unseen cell), and a method may
# leave the others NaN (the models then decode only around those cells; the regression fits only those parts)
Fill = Callable[[np.ndarray, np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray]]

KINDS = ("occlude", "whole", "occlude_end", "whole_end")
BINS = (1, 3, 9, 17, 33, 65)  # lower edges of the gap-length bins, in frames
MAX_PROBES = 48  # stretches hidden per file: bounds the self-check's time whatever the file's length
PER_GROUP = 6  # probes wanted per group of real gaps
MIN_PROBES = 2  # fewer probes than this and a group borrows its kind's choice
END_CONTEXT = 600  # frames of context an end probe's cut keeps before (or after) the probe
FALLBACK = "kalman"  # where a method has no answer, this one's fill stands in (it always answers)
SHORTEST_PROBE = 9  # frames: a long gap is probed no shorter than this (``_place``)
COSTLY = ("video", "motion")  # the models: each end probe costs them a decoding, so they get fewer of them
COSTLY_END_PROBES = 2  # end probes per group the models fill (a 250-frame forecast: about 10 s of video model)
# An inner gap of one part while others are seen goes to the co-visible regression unless another method beat it
# on the probes by more than SWITCH_SE paired s.e.: with 2-16 probes the closest method is often closest by chance.
# Measured (ADE % of the scene, the self-check's picks against each method's own error on the stretch), on 10
# stretches of the real-train training split (seed 1) and the 21 of bench real-occlude: the plain "closest" rule
# 0.39 and 0.80 against the regression's 0.42 and 0.62; one s.e. 0.39 (3 switches, all right) and 0.69 (7, one
# right); two s.e. 0.42 and 0.62 (one switch, wrong, +0.004 ± 0.004). Two: on real occlusion the file's probes
# rarely show a better fill than the regression beyond their noise, and a switch on noise cost more than the wins.
DEFAULT = {"occlude": "regression"}
SWITCH_SE = 2.0
BAND_Z, BAND_COVER = 2.0, 0.95  # the band (the fill +- 2 s.d.) is rescaled to hold 95 % of the probes' coordinates


@dataclass(frozen=True)
class Gap:
    part: int
    start: int  # first frame
    stop: int  # one past the last frame
    kind: str  # one of KINDS
    forward: bool = True  # for an end gap: True when it is a forecast (nothing seen after it)
    scale: float = 1.0  # for a probe shorter than the gap it stands for: the gap's length over its own

    @property
    def length(self) -> int:
        return self.stop - self.start

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, length_bin(round(self.length * self.scale))

    @property
    def at_end(self) -> bool:
        return self.kind.endswith("_end")

    @property
    def whole(self) -> bool:
        return self.kind.startswith("whole")


@dataclass
class Check:
    """What the self-check measured on one file and what it chose."""

    errors: dict[str, np.ndarray]  # method -> (P,) mean error over each probe's cells (file units)
    zscores: dict[str, list[np.ndarray]]  # method -> per probe, |error| / predicted s.d. of each coordinate
    probes: list[Gap]
    choice: dict[tuple[str, int], str]  # group key -> method
    expected: dict[tuple[str, int], float]  # group key -> the chosen method's mean probe error
    band: dict[tuple[str, int], float]  # group key -> the chosen method's variance scale
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def table(self) -> list[dict]:
        """One row per method: mean probe error over all probes, and on how many probes it was best."""
        names = list(self.errors)
        stack = np.stack([self.errors[m] for m in names]) if names and self.probes else np.zeros((len(names), 0))
        best = np.argmin(np.where(np.isfinite(stack), stack, np.inf), axis=0) if stack.size else np.array([], int)
        return [{"method": m, "probes": int(np.isfinite(stack[i]).sum()), "error": float(np.nanmean(stack[i]))
                 if np.isfinite(stack[i]).any() else float("nan"), "best_on": int((best == i).sum())}
                for i, m in enumerate(names)]


def length_bin(n: int) -> int:
    """The lower edge of the bin of a gap of ``n`` frames."""
    return max(b for b in BINS if n >= b)


def gaps_of(seen: np.ndarray, todo: np.ndarray) -> list[Gap]:  # seen, todo (T, K) bool
    """Every run of cells to fill, per part seen at least once, with its kind."""
    T, K = seen.shape
    others = seen.sum(axis=1, keepdims=True) - seen  # (T, K) other parts seen in each frame
    out = []
    for k in np.flatnonzero(seen.any(axis=0)):
        first, last = np.flatnonzero(seen[:, k])[[0, -1]]
        for a, b in mask_runs(todo[:, k]):
            kind = "occlude" if (others[a: b + 1, k] > 0).mean() >= 0.5 else "whole"
            end = bool(b < first or a > last)
            out.append(Gap(int(k), int(a), int(b) + 1, kind + "_end" * end, bool(not end or a > last)))
    return out


def draw_probes(seen: np.ndarray, gaps: list[Gap], rng: np.random.Generator, *, max_probes: int = MAX_PROBES) -> list[Gap]:
    """Stretches of seen cells shaped like the real gaps: per group, up to ``PER_GROUP`` probes of its kind,
    each of one of its gaps' lengths, on that gap's part when it has room, else on any part that has."""
    T, K = seen.shape
    groups: dict[tuple[str, int], list[Gap]] = {}
    for g in gaps:
        groups.setdefault(g.key, []).append(g)
    # Groups that hold more real cells get their probes first; every group gets at least one try.
    order = sorted(groups, key=lambda key: -sum(g.length for g in groups[key]))
    wanted = {key: PER_GROUP for key in order}
    budget = max_probes
    if len(order) * PER_GROUP > max_probes:
        wanted = {key: max(1, max_probes * sum(g.length for g in groups[key]) //
                           max(1, sum(g.length for g in gaps))) for key in order}
    busy = np.zeros((T, K), bool)  # cells a probe (or its margin) took, so inner probes never touch
    probes = []
    for key in order:
        for _ in range(wanted[key]):
            if budget <= 0:
                break
            real = groups[key][rng.integers(len(groups[key]))]
            probe = _place(seen, busy, real, rng)
            if probe is not None:
                probes.append(probe)
                budget -= 1
                if not probe.at_end:
                    lo, hi = max(0, probe.start - probe.length - 2), min(T, probe.stop + probe.length + 2)
                    busy[lo:hi, :] = True  # probes of every part keep apart: one pass fills them all
    return probes


def _place(seen, busy, real: Gap, rng) -> Gap | None:
    """A probe like ``real`` on seen cells, or None when the file has no room for one. A gap longer than any
    seen stretch (the middle third of a file) is probed at half its length, a quarter..., down to
    ``SHORTEST_PROBE`` frames; its errors are then scaled by the lengths' ratio (errors grow about in
    proportion to the gap's length), so the choice is made on the longest stretches the file has."""
    for L in (real.length, *[real.length // 2**i for i in range(1, 8) if real.length // 2**i >= SHORTEST_PROBE]):
        probe = _place_length(seen, busy, real, L, rng)
        if probe is not None:
            return probe
    return None


def _place_length(seen, busy, real: Gap, L: int, rng) -> Gap | None:
    T, K = seen.shape
    parts = [real.part] + [k for k in rng.permutation(K) if k != real.part]
    for k in parts[:4]:
        free = ~busy.any(axis=1) if not real.at_end else np.ones(T, bool)
        if real.whole:  # every part seen there, so hiding all of them is a whole-frame gap
            ok = seen.all(axis=1) & free
        else:  # the part seen with another part beside it
            ok = seen[:, k] & free & (seen.sum(axis=1) - seen[:, k] > 0)
        # room: L seen frames, plus one seen frame on each side for an inner probe (so it is inner)
        need = L + (0 if real.at_end else 2)
        if T < need + (8 if real.at_end else 0):
            continue
        run = np.convolve(ok.astype(int), np.ones(need, int), "valid") == need  # (T - need + 1,)
        if real.at_end:  # an end probe needs seen context on its far side from the gap
            starts = np.arange(len(run))
            run &= (starts >= 8) if real.forward else (starts + need <= T - 8)
        starts = np.flatnonzero(run)
        if not len(starts):
            continue
        s = int(starts[rng.integers(len(starts))]) + (0 if real.at_end else 1)
        return Gap(int(k), s, s + L, real.kind, real.forward, real.length / L)
    return None


def probe_cells(probe: Gap, seen: np.ndarray) -> np.ndarray:  # (T, K) bool
    cells = np.zeros_like(seen)
    if probe.whole:
        cells[probe.start: probe.stop] = seen[probe.start: probe.stop]
    else:
        cells[probe.start: probe.stop, probe.part] = True
    return cells


def answer(mean, var, base, base_var, known, cells):  # (T, K, 2) x4, known (T, K, 2) NaN where unseen, cells (T, K)
    """A method's answer on ``cells``, its holes filled: (mean, var, answered (T, K) bool), each a copy.

    Where the method leaves some cells of a gap unanswered between (or beside) cells it answered (the
    co-visible regression on a frame whose seen partners it has no fit for), its correction to the
    fallback (``base``) is interpolated in time across them, from its answers and from 0 at the gap's seen
    edges; its variance likewise. Only a gap it answered nowhere is the fallback's. The smoother standing in
    for one frame drew a spike there: on a 5,700 x 14 DeepLabCut file (ethome, a nose hidden 61 frames) two
    such frames were 78 and 122 px off where the regression's neighbours were about 10. Over 12 stretches of
    that file (a part hidden 10-60 frames; 3 with such holes) the fill's error 0.412 -> 0.407 % of the scene
    (paired -0.005 +- 0.003); the benchmark's real stretches have none (every row the same)."""
    mean, var = mean.copy(), np.where(np.isfinite(var), var, base_var)
    got = np.isfinite(mean).all(-1)
    answered = got & cells
    for k in np.flatnonzero((cells & ~got).any(axis=0)):
        for a, b in mask_runs(cells[:, k]):
            ok = got[a: b + 1, k]
            if ok.all() or not ok.any():
                continue
            x = np.flatnonzero(ok) + a
            corr, v = mean[x, k] - base[x, k], var[x, k]
            if a > 0 and np.isfinite(known[a - 1, k]).all():  # a seen edge: the fill meets it
                x, corr, v = np.r_[a - 1, x], np.r_[np.zeros((1, 2)), corr], np.r_[np.zeros((1, 2)), v]
            if b + 1 < len(known) and np.isfinite(known[b + 1, k]).all():
                x, corr, v = np.r_[x, b + 1], np.r_[corr, np.zeros((1, 2))], np.r_[v, np.zeros((1, 2))]
            holes = np.flatnonzero(~ok) + a
            for axis in range(2):
                mean[holes, k, axis] = base[holes, k, axis] + np.interp(holes, x, corr[:, axis])
                var[holes, k, axis] = np.interp(holes, x, v[:, axis])
            answered[a: b + 1, k] = True
    keep = answered[..., None]
    return np.where(keep, mean, base), np.where(keep, var, base_var), answered


def measure(methods: dict[str, Fill], times: np.ndarray, known: np.ndarray, probes: list[Gap]):
    """Each method's fill of every probe: errors (method -> (P,) mean error) and z-scores (method -> per probe,
    each coordinate's |error| over its predicted s.d.)."""
    seen = np.isfinite(known).all(-1)
    P = len(probes)
    errors = {m: np.full(P, np.nan) for m in methods}
    zscores: dict[str, list[np.ndarray]] = {m: [np.zeros(0)] * P for m in methods}

    def score(i, fills, cells, truth):
        base, base_var = fills[FALLBACK]
        for m, (mean, var) in fills.items():
            mean, var, _ = answer(mean, var, base, base_var, truth, cells)
            err = np.linalg.norm(mean[cells] - truth[cells], axis=-1) * probes[i].scale
            errors[m][i] = err.mean()
            sd = np.sqrt(np.maximum(var[cells], 0.0))
            ok = sd > 0  # a method that claims no doubt (or gives none) teaches the band nothing
            zscores[m][i] = np.abs(mean[cells] - truth[cells])[ok] / sd[ok]

    def fill_probes(todo, times, blind, cells):  # every method's fill of ``blind``; the models see only ``cells`` as gaps
        fills = {m: f(times, blind, cells if m != FALLBACK else None) for m, f in todo.items() if m not in COSTLY}
        if any(m in COSTLY for m in todo):
            # The file's own gaps elsewhere get the fallback's fill as if seen, so that a model decodes only around
            # the probes: a file with most cells lost (a beam empty for most of the recording) made each model draw
            # all of them once per pass, for nothing scored (autogaita, 1,195 x 15: 53 s of 183 s).
            lost = ~np.isfinite(blind).all(-1) & ~cells
            given = np.where(lost[..., None], fills[FALLBACK][0], blind)
            fills |= {m: f(times, given, cells) for m, f in todo.items() if m in COSTLY}
        return {m: fills[m] for m in todo}

    inner = [i for i, p in enumerate(probes) if not p.at_end]
    if inner:  # one pass over the whole file fills every inner probe
        hide = np.zeros_like(seen)
        for i in inner:
            hide |= probe_cells(probes[i], seen)
        blind = np.where(hide[..., None], np.nan, known)
        fills = fill_probes(methods, times, blind, hide)
        for i in inner:
            score(i, fills, probe_cells(probes[i], seen), known)
    decoded: dict[tuple[str, int], int] = {}  # end probes the models have filled, per group
    for i in (i for i, p in enumerate(probes) if p.at_end):
        p = probes[i]
        decoded[p.key] = decoded.get(p.key, 0) + 1
        todo = {m: f for m, f in methods.items() if m not in COSTLY or decoded[p.key] <= COSTLY_END_PROBES}  # a cut of the file that ends (starts) with the probe: a forecast (backcast) of it
        lo, hi = (max(0, p.start - END_CONTEXT), p.stop) if p.forward else (p.start, min(len(times), p.stop + END_CONTEXT))
        cut, cells = known[lo:hi], probe_cells(p, seen)[lo:hi]
        blind = np.where(cells[..., None], np.nan, cut)
        if not np.isfinite(blind[:, p.part]).all(-1).any():
            continue
        fills = fill_probes(todo, times[lo:hi], blind, cells)
        score(i, fills, cells, cut)
    return errors, zscores


def choose(errors: dict[str, np.ndarray], zscores: dict[str, list[np.ndarray]], probes: list[Gap], keys):
    """Per group key: the method with the lowest mean probe error, that error and the method's variance scale."""
    names = list(errors)
    choice, expected, band = {}, {}, {}

    def pick(idx):
        # A model may have filled only some of the probes (``COSTLY_END_PROBES``): its mean is put on the scale
        # of all of them through the fallback's errors on the same probes, so easy probes do not flatter it.
        base = errors[FALLBACK][idx]
        means = []
        for m in names:
            got = np.isfinite(errors[m][idx])
            means.append(np.inf if not got.any() else float(np.mean(errors[m][idx][got]) * np.mean(base) /
                                                            max(np.mean(base[got]), 1e-300)))
        best = int(np.argmin(means))  # ties go to the method listed first (the simpler)
        default = DEFAULT.get(probes[idx[0]].kind)
        if default in names and names[best] != default and np.isfinite(errors[default][idx]).all():
            both = np.isfinite(errors[names[best]][idx])  # the probes both filled: a paired difference
            diff = errors[names[best]][idx][both] - errors[default][idx][both]
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.inf
            if not diff.mean() < -SWITCH_SE * se:  # not closer beyond SWITCH_SE s.e.: the default stands
                best = names.index(default)
        z = np.concatenate([zscores[names[best]][i] for i in idx])  # empty where it gave no variance: nothing to learn
        return names[best], means[best], float((np.quantile(z, BAND_COVER) / BAND_Z) ** 2) if len(z) else 1.0

    measured = lambda idx: [i for i in idx if np.isfinite(errors[FALLBACK][i])]  # noqa: E731
    for key in keys:
        idx = measured([i for i, p in enumerate(probes) if p.key == key])
        if len(idx) < MIN_PROBES:
            idx = measured([i for i, p in enumerate(probes) if p.kind == key[0]])
        if len(idx) < MIN_PROBES:  # nothing like this gap could be measured on the file: its kind's default
            default = DEFAULT.get(key[0])  # (the co-visible regression for an occlusion), else the smoother
            choice[key], expected[key], band[key] = default if default in names else FALLBACK, float("nan"), 1.0
            continue
        choice[key], expected[key], band[key] = pick(idx)
    return choice, expected, band


def run(methods: dict[str, Fill], times: np.ndarray, known: np.ndarray, todo: np.ndarray, *, seed: int = 0,
        max_probes: int = MAX_PROBES) -> tuple[Check, list[Gap]]:
    """The self-check of one file: known (T, K, 2) NaN where unseen, todo (T, K) the cells to fill.

    ``methods`` must include ``FALLBACK``; the first listed wins ties. Returns the check and the real gaps."""
    import time

    assert FALLBACK in methods, f"the self-check needs the {FALLBACK} fill to stand in for missing answers"
    t0 = time.perf_counter()
    seen = np.isfinite(known).all(-1)
    gaps = gaps_of(seen, todo & ~seen)
    rng = np.random.default_rng(np.random.SeedSequence([seed, known.shape[0], known.shape[1]]))
    probes = draw_probes(seen, gaps, rng, max_probes=max_probes)
    empty = {m: np.zeros(0) for m in methods}
    errors, zscores = measure(methods, times, known, probes) if probes else (empty, {m: [] for m in methods})
    choice, expected, band = choose(errors, zscores, probes, sorted({g.key for g in gaps}))
    return Check(errors, zscores, probes, choice, expected, band, time.perf_counter() - t0), gaps
