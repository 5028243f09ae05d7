"""What is hidden never reaches the model: a property of the code, whatever the weights.

A tiny, randomly initialised model (``untrained_predictor``) stands in for a trained one: the
property must hold for any weights, including ones that read every input closely. ``record`` wraps the model's three
entry points and keeps a copy of everything they are given: the frames given to the tokenizer, the
tokens, masks and task given to MaskGIT decoding and to each forward pass of the transformer, and
the camera each window is drawn in. Changing the values under hidden frames (and the half of a cell
a tracker lost one coordinate of) must change none of it, nor the prediction.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import kinviz
import kinviz.inference.videofill as predict_module
from kinviz.inference.predict import Predictor


@contextmanager
def record(predictor: Predictor):
    """Yield a list that fills with ``(entry point, inputs)`` for every call into the model."""
    calls: list[tuple[str, list]] = []
    tok, tr = predictor.model.tokenizer, predictor.model.transformer
    encode, decode = tok.encode, predict_module.maskgit_decode
    copy = lambda xs: [x.detach().clone() if isinstance(x, torch.Tensor) else x for x in xs]  # noqa: E731

    def encode_spy(frames):  # (B, 3, H, W) in [0, 1]
        calls.append(("tokenizer.encode", copy([frames])))
        return encode(frames)

    def decode_spy(model, digits, unknown, task, **kw):
        calls.append(("maskgit_decode", copy([digits, unknown, task, kw.get("frame_pad"), kw.get("cond"), kw.get("steps"), kw.get("samples")])))
        return decode(model, digits, unknown, task, **kw)

    def forward_spy(module, args, kwargs):  # digits with [MASK], task, frame_pad
        calls.append(("transformer.forward", copy([*args, *kwargs.values()])))

    tok.encode, predict_module.maskgit_decode = encode_spy, decode_spy
    hook = tr.register_forward_pre_hook(forward_spy, with_kwargs=True)
    try:
        yield calls
    finally:
        hook.remove()
        del tok.encode  # the instance attribute: the class's method shows through again
        predict_module.maskgit_decode = decode


def seen_by_the_model(predictor: Predictor, traj: kinviz.Trajectory, mask: np.ndarray):
    """Every input the model was given while filling ``traj``, the cameras, and the prediction."""
    with record(predictor) as calls:
        draw = predictor.draw(traj, mask, seed=0)
    pred = predictor.assemble(draw)
    return {f"call {i} to {name}": inputs for i, (name, inputs) in enumerate(calls)} | {
        "windows": [(w.group, w.frames, w.hidden, w.run) for w in draw.windows],
        "cameras": [(c.origin, c.scale) for c in draw.cameras],
        "prediction": (pred.positions, pred.spread, pred.weight, pred.confidence, pred.fallback),
    }


def assert_same(a, b, where: str = "") -> None:
    """Exactly equal, recursively through dicts, lists and tuples of arrays and tensors (NaN equals NaN)."""
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: the model was called otherwise: {list(a)} then {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}, {key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {len(a)} entries, then {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (torch.Tensor, np.ndarray)):
        a, b = (x.cpu().numpy() if isinstance(x, torch.Tensor) else x for x in (a, b))
        assert a.shape == b.shape, f"{where}: shape {a.shape}, then {b.shape}"
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b)
        assert not differ.any(), (f"{where}: other values at {differ.sum()} of {differ.size} places, "
                                  f"first {np.argwhere(differ)[0].tolist()}")
    else:
        assert a == b, f"{where}: {a!r} then {b!r}"


class Case:
    """A trajectory, the frames hidden from the model, and the same trajectory with every hidden value changed."""

    def __init__(self, traj: kinviz.Trajectory, mask: np.ndarray, changed: kinviz.Trajectory):
        self.traj, self.mask, self.changed = traj, mask, changed  # mask (T,) bool, or (T, K) per part

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        T, K = self.traj.n_frames, self.traj.n_objects
        hidden = kinviz.format_mask(self.mask, self.traj.names)
        return f"Case(T={T}, K={K}, hidden={hidden!r}, missing cells={int(self.traj.missing.sum())})"


def make_case(n_frames: int, n_objects: int, gaps: list[tuple[int, int]], missing: float, seed: int,
              parts: list[tuple[int, int, int]] = ()) -> Case:
    """Random smooth paths, ``gaps`` (inclusive frame ranges) hidden, ``parts`` ((part, first, last):
    one part hidden while the others stay seen), a share ``missing`` of cells lost by the tracker (a
    third of them with one coordinate left), and a copy with every hidden value redrawn."""
    rng = np.random.default_rng(seed)
    T, K = n_frames, n_objects
    times = np.cumsum(rng.uniform(0.5, 1.5, T))  # uneven time stamps
    velocity = rng.normal(size=(1, K, 2)) + 0.3 * np.cumsum(rng.normal(size=(T, K, 2)), axis=0)
    positions = rng.normal(scale=50, size=(1, K, 2)) + np.cumsum(velocity, axis=0)
    lost = rng.random((T, K)) < missing
    half = lost & (rng.random((T, K)) < 1 / 3)
    positions[lost & ~half] = np.nan
    positions[half, 1] = np.nan  # x left, y lost: the cell is missing, its x hidden from the model
    mask = np.zeros((T, K), bool)
    for a, b in gaps:
        mask[a : b + 1] = True
    for k, a, b in parts:
        mask[a : b + 1, k] = True

    # Everything the model must not read, redrawn: huge values, tiny ones, NaN, under hidden frames;
    # the x of a half-lost cell.
    changed = positions.copy()
    choices = np.stack([rng.normal(scale=1e4, size=changed.shape), rng.normal(scale=1e-3, size=changed.shape),
                        np.full(changed.shape, np.nan)])
    pick = rng.integers(3, size=changed.shape)
    redrawn = np.take_along_axis(choices, pick[None], 0)[0]
    changed[mask] = redrawn[mask]
    kept_x = half & ~mask
    changed[kept_x, 0] = redrawn[kept_x, 0]
    traj = kinviz.from_arrays(times, positions)
    frames = mask.any(axis=1)
    mask = mask if parts else frames  # a frame mask where whole frames are hidden, as a person gives it
    return Case(traj, mask, kinviz.from_arrays(times, changed))


KINDS = ("inner", "forecast", "backcast", "strided", "scattered", "both ends", "per part")


@st.composite
def cases(draw) -> Case:
    """Every kind of gap the predictor plans windows for, 1 to 7 objects (three groups), missing cells."""
    kind = draw(st.sampled_from(KINDS))
    K = draw(st.integers(1, 7))
    T = draw(st.integers(34, 44) if kind == "strided" else st.integers(5, 22))
    if kind == "inner":
        a = draw(st.integers(1, T - 2))
        gaps = [(a, draw(st.integers(a, min(a + 7, T - 2))))]
    elif kind == "forecast":
        gaps = [(T - draw(st.integers(1, T - 2)), T - 1)]
    elif kind == "backcast":
        gaps = [(0, draw(st.integers(0, T - 3)))]
    elif kind == "strided":  # longer than a 16-frame window at stride 1 holds with its context
        length = draw(st.integers(12, T - 4))
        a = draw(st.integers(1, T - 1 - length))
        gaps = [(a, a + length - 1)]
    elif kind == "both ends":
        gaps = [(0, draw(st.integers(0, T // 3))), (T - 1 - draw(st.integers(0, T // 3)), T - 1)]
    elif kind == "per part":  # one or two parts lost while the others are seen: the co-visible windows
        parts = []
        for k in draw(st.lists(st.integers(0, K - 1), min_size=1, max_size=2, unique=True)):
            a = draw(st.integers(0, T - 2))
            parts.append((k, a, draw(st.integers(a, T - 2))))
        return make_case(T, K, [], draw(st.sampled_from([0.0, 0.1])), draw(st.integers(0, 2**32 - 1)), parts)
    else:
        hidden = draw(st.lists(st.booleans(), min_size=T, max_size=T))
        gaps = [(t, t) for t, h in enumerate(hidden) if h]
    missing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]))
    return make_case(T, K, gaps, missing, draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=10, deadline=None, derandomize=True)  # derandomised: the same examples on every run
@given(case=cases())
@example(case=make_case(20, 2, [(6, 10)], 0.0, 1))  # inner gap
@example(case=make_case(30, 5, [], 0.0, 6, [(1, 8, 20)]))  # one part of five lost inside the clip: a co-visible window
@example(case=make_case(24, 4, [], 0.1, 7, [(0, 15, 23), (3, 2, 6)]))  # one part lost at the end, another inside
@example(case=make_case(20, 3, [(14, 19)], 0.0, 2))  # forecast
@example(case=make_case(20, 1, [(0, 5)], 0.0, 3))  # backcast
@example(case=make_case(44, 4, [(6, 35)], 0.0, 4))  # strided: a 30-frame gap seen at stride 3
@example(case=make_case(30, 7, [(0, 2), (8, 9), (12, 12), (15, 17), (27, 29)], 0.2, 5))  # many gaps, 3 groups, lost cells
def test_changing_hidden_values_changes_nothing_the_model_is_given(untrained_predictor, case):
    first = seen_by_the_model(untrained_predictor, case.traj, case.mask)
    second = seen_by_the_model(untrained_predictor, case.changed, case.mask)
    assert bool(first["windows"]) == any("tokenizer.encode" in key for key in first), "windows are tokenised"
    assert_same(first, second, "with hidden values changed")


def test_the_record_sees_visible_values(untrained_predictor):
    """The other half of the property: a visible value moved reaches the model, from its first entry point on."""
    case = make_case(20, 2, [(6, 10)], 0.0, 1)
    moved = case.traj.positions.copy()
    moved[3, 0] += 5.0
    first = seen_by_the_model(untrained_predictor, case.traj, case.mask)
    second = seen_by_the_model(untrained_predictor, kinviz.from_arrays(case.traj.times, moved), case.mask)
    with pytest.raises(AssertionError, match="with a visible value moved, call 0 to tokenizer.encode"):
        assert_same(first, second, "with a visible value moved")
