"""The self-check: probes on seen cells shaped like the real gaps, nothing hidden read, the best method chosen."""

from __future__ import annotations

import numpy as np
import pytest

import kinviz
from kinviz.inference import selfcheck
from kinviz.inference.predict import kalman_fill, linear_fill


def body(T: int = 600, K: int = 5, seed: int = 0, rigid: bool = True) -> np.ndarray:
    """(T, K, 2) a marker cluster that turns and wanders (rigid) or K objects moving on their own."""
    rng = np.random.default_rng(seed)
    if rigid:
        shape = rng.normal(0, 20, (K, 2))
        angle = np.cumsum(rng.normal(0, 0.05, T))  # a body that turns and wanders at random: no motion model
        # carries it across a gap, the parts seen with the lost one do
        rot = np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1), np.stack([np.sin(angle), np.cos(angle)], -1)], -2)
        centre = np.cumsum(rng.normal(0, 2, (T, 2)), axis=0)
        pos = centre[:, None] + np.einsum("tij,kj->tki", rot, shape)
    else:
        pos = np.cumsum(rng.normal(0, 2, (T, K, 2)), axis=0)
    return pos + rng.normal(0, 0.3, pos.shape)


def test_gaps_are_sorted_by_kind():
    seen = np.ones((100, 3), bool)
    seen[10:20, 0] = False  # one part lost, others seen: occlude
    seen[40:50] = False  # every part lost: whole
    seen[90:, 1] = False  # the part's last frames: an occlusion at the end
    gaps = {(g.part, g.start, g.stop): g for g in selfcheck.gaps_of(seen, ~seen)}
    assert gaps[(0, 10, 20)].kind == "occlude"
    assert gaps[(0, 40, 50)].kind == "whole" and gaps[(2, 40, 50)].kind == "whole"
    assert gaps[(1, 90, 100)].kind == "occlude_end" and gaps[(1, 90, 100)].forward


@pytest.mark.parametrize("seed", range(4))
def test_probes_lie_on_seen_cells_and_are_shaped_like_the_gaps(seed):
    rng = np.random.default_rng(seed)
    seen = rng.random((800, 4)) > 0.02
    seen[300:340, 2] = False
    gaps = selfcheck.gaps_of(seen, ~seen)
    probes = selfcheck.draw_probes(seen, gaps, np.random.default_rng(seed))
    assert probes and len(probes) <= selfcheck.MAX_PROBES
    lengths = {g.length for g in gaps}
    for p in probes:
        assert seen[p.start: p.stop, p.part].all(), "a probe hides only cells that were seen"
        assert round(p.length * p.scale) in lengths and p.kind in {g.kind for g in gaps}
    inner = [p for p in probes if not p.at_end]
    for a in inner:  # inner probes never border each other: one pass fills them all
        for b in inner:
            if a is not b:
                assert a.stop + 1 < b.start or b.stop + 1 < a.start


def test_values_under_the_real_gaps_never_reach_the_self_check():
    pos = body()
    todo = np.zeros(pos.shape[:2], bool)
    todo[200:240, 1] = True
    todo[400:420] = True
    seen_inputs = []

    def spy(name, fill):
        def f(times, known, want=None):
            seen_inputs.append((name, known.copy()))
            return fill(times, known, want)
        return f

    runs = []
    for fake in (0.0, 1e6):
        seen_inputs.clear()
        known = np.where(todo[..., None], fake, pos)  # the real gaps hold anything
        known = np.where(todo[..., None], np.nan, known)  # ... and the check is given them hidden, as predict does
        check, _ = selfcheck.run({"kalman": spy("kalman", kalman_fill), "linear": spy("linear", linear_fill)},
                                 np.arange(len(pos)) / 30, known, todo)
        runs.append((check, [k for _, k in seen_inputs]))
    (a, ka), (b, kb) = runs
    assert a.choice == b.choice and a.expected == b.expected
    for x, y in zip(ka, kb):
        np.testing.assert_array_equal(x, y)
        assert not np.isfinite(x[todo]).any() if x.shape == pos.shape else True


def test_the_check_prefers_what_wins_on_the_file_and_expects_its_error():
    pos = body(rigid=True)
    todo = np.zeros(pos.shape[:2], bool)
    todo[300:330, 0] = True
    known = np.where(todo[..., None], np.nan, pos)
    from kinviz.classical import regression

    methods = {"kalman": kalman_fill, "linear": linear_fill, "regression": lambda t, k, want=None: regression.fill(k)}
    check, gaps = selfcheck.run(methods, np.arange(len(pos)) / 30, known, todo)
    key = gaps[0].key
    assert check.choice[key] == "regression", check.table()
    assert np.isfinite(check.expected[key]) and check.expected[key] > 0


def test_predict_fills_each_gap_with_the_chosen_method_and_keeps_what_was_seen(untrained_predictor):
    pos = body(T=300, K=4)
    traj = kinviz.from_arrays(np.arange(300) / 30, pos, ["a", "b", "c", "d"])
    mask = np.zeros((300, 4), bool)
    mask[100:130, 2] = True
    pred = untrained_predictor.predict(traj, mask, methods=("kalman", "linear", "regression"), compare=True)
    np.testing.assert_array_equal(pred.positions[~mask], pos[~mask])
    assert sum(pred.composition().values()) == mask.sum()
    names = pred.method_of()
    assert set(names[mask]) <= {"kalman", "linear", "regression"} and (names[~mask] == "").all()
    assert np.isfinite(pred.expected[mask]).all() and np.isfinite(pred.spread[mask]).all()
    chosen = names[100, 2]
    np.testing.assert_allclose(pred.positions[mask], pred.fills[chosen][mask])


def test_the_fill_is_the_same_with_the_other_fills_drawn_or_not(untrained_predictor, monkeypatch):
    # Without ``compare`` (the command line) each model decodes only the gaps it was chosen for; every window's
    # samples depend only on where it lies, so the answer is the same as with every fill drawn.
    original = selfcheck.run

    def run(*args, **kw):  # the video model chosen for one kind of gap, the smoother for the others
        check, gaps = original(*args, **kw)
        check.choice = {key: "video" if key == ("whole", 17) else "kalman" for key in check.choice}
        return check, gaps

    monkeypatch.setattr(selfcheck, "run", run)
    pos = body(T=300, K=4)
    traj = kinviz.from_arrays(np.arange(300) / 30, pos, ["a", "b", "c", "d"])
    mask = np.zeros((300, 4), bool)
    mask[100:130] = mask[200:260] = True  # whole frames: the co-visible fit cannot answer, the model is asked
    mask[280:, 1] = True
    drawn = untrained_predictor.predict(traj, mask, methods=("kalman", "video"), compare=True)
    alone = untrained_predictor.predict(traj, mask, methods=("kalman", "video"), compare=False)
    assert drawn.composition() == {"kalman": 260, "video": 120}
    np.testing.assert_array_equal(drawn.positions, alone.positions)
    np.testing.assert_array_equal(drawn.source, alone.source)
    # without ``compare`` the video model decoded its gap alone: its drawing is shorter
    assert len(alone.model_frames) < len(drawn.model_frames)


def test_a_long_file_is_filled_in_pieces_that_keep_what_was_seen(untrained_predictor, monkeypatch):
    from kinviz.inference import predict as predict_module

    monkeypatch.setattr(predict_module, "PIECE", 200)  # the piecewise path at a size a test affords
    monkeypatch.setattr(predict_module, "OVERLAP", 20)
    pos = body(T=700, K=3)
    rng = np.random.default_rng(1)
    missing = rng.random((700, 3)) < 0.05
    missing[300:420, 1] = True  # a long loss that crosses a piece's edge
    traj = kinviz.from_arrays(np.arange(700) / 30, np.where(missing[..., None], np.nan, pos), ["a", "b", "c"])
    pred = untrained_predictor.predict(traj, None, methods=("kalman", "linear", "regression"))
    assert np.isfinite(pred.positions).all()
    np.testing.assert_array_equal(pred.positions[~missing], pos[~missing])
    assert sum(pred.composition().values()) == missing.sum()
    assert any("pieces" in note for note in pred.notes)
    err = np.linalg.norm(pred.positions[300:420, 1] - pos[300:420, 1], axis=-1).mean()
    assert err < np.linalg.norm(pos[300:420, 1] - pos[299, 1], axis=-1).mean()  # better than holding still


def test_a_gap_longer_than_any_seen_stretch_is_probed_shorter_and_scaled():
    pos = body(T=300, K=3)
    todo = np.zeros((300, 3), bool)
    todo[100:200] = True  # the middle third: no seen stretch of 102 frames is left
    known = np.where(todo[..., None], np.nan, pos)
    check, gaps = selfcheck.run({"kalman": kalman_fill, "linear": linear_fill}, np.arange(300) / 30, known, todo)
    assert check.probes and all(p.scale > 1 and p.length >= selfcheck.SHORTEST_PROBE for p in check.probes)
    assert all(np.isfinite(check.expected[g.key]) for g in gaps)


@pytest.mark.parametrize("video_errors, chosen", [
    ([0.9, 1.3, 0.8, 1.2], "regression"),  # closer on average (1.05 against 1.1), not beyond two paired s.e.
    ([0.7, 1.3, 0.9, 1.1], "regression"),  # closer by 0.1 on average, by 1.2 paired s.e.: not beyond two
    ([0.5, 0.6, 0.4, 0.5], "video"),  # closer on every probe: the evidence moves the choice
])
def test_an_occlusion_keeps_the_regression_unless_another_method_is_closer_beyond_two_se(video_errors, chosen):
    probes = [selfcheck.Gap(0, 10 * i, 10 * i + 5, "occlude") for i in range(4)]
    errors = {"kalman": np.array([2.0, 2.0, 2.0, 2.0]), "regression": np.array([1.0, 1.2, 1.0, 1.2]),
              "video": np.array(video_errors)}
    z = {m: [np.ones(10)] * 4 for m in errors}
    key = probes[0].key
    choice, expected, _ = selfcheck.choose(errors, z, probes, [key])
    assert choice[key] == chosen and expected[key] == pytest.approx(errors[chosen].mean())
    # Gaps of every part lost have no default: the closest method fills them.
    whole = [selfcheck.Gap(0, 10 * i, 10 * i + 5, "whole") for i in range(4)]
    assert selfcheck.choose(errors, z, whole, [whole[0].key])[0][whole[0].key] == "video"


def test_a_method_with_no_variance_on_its_probes_keeps_its_band_unscaled():
    probes = [selfcheck.Gap(0, 10 * i, 10 * i + 5, "whole") for i in range(3)]
    errors = {"kalman": np.array([2.0, 2.0, 2.0]), "linear": np.array([1.0, 1.0, 1.0])}
    z = {"kalman": [np.ones(5)] * 3, "linear": [np.zeros(0)] * 3}
    choice, expected, band = selfcheck.choose(errors, z, probes, [probes[0].key])
    key = probes[0].key
    assert choice[key] == "linear" and band[key] == 1.0 and expected[key] == 1.0


def test_the_band_is_rescaled_to_hold_95_percent_of_the_probes_coordinates():
    probes = [selfcheck.Gap(0, 10 * i, 10 * i + 5, "whole") for i in range(2)]
    z = np.abs(np.random.default_rng(0).standard_normal(4000)) * 3.0  # errors three times the predicted s.d.
    errors = {"kalman": np.array([2.0, 8.0])}
    _, expected, band = selfcheck.choose(errors, {"kalman": [z[:2000], z[2000:]]}, probes, [probes[0].key])
    key = probes[0].key
    assert band[key] == pytest.approx(9.0, rel=0.1)  # the s.d. times 3: 95 % of the truth inside +-2 s.d. again
    assert np.mean(z <= 2 * np.sqrt(band[key])) == pytest.approx(0.95, abs=0.005)
    assert expected[key] == pytest.approx(5.0)


def test_an_occlusion_with_no_room_for_probes_goes_to_the_regression_and_a_whole_gap_to_the_smoother():
    errors = {m: np.zeros(0) for m in ("kalman", "regression", "video")}
    keys = [("occlude", 3), ("whole", 3)]
    choice, expected, band = selfcheck.choose(errors, {m: [] for m in errors}, [], keys)
    assert choice == {("occlude", 3): "regression", ("whole", 3): "kalman"}
    assert all(np.isnan(v) for v in expected.values()) and set(band.values()) == {1.0}


def test_a_methods_holes_inside_a_gap_get_its_correction_interpolated_not_the_fallbacks_jump():
    T = 12
    known = np.zeros((T, 2, 2))
    cells = np.zeros((T, 2), bool)
    cells[2:10, 0] = True  # part 0: a gap of 8 frames, seen on both sides
    cells[:, 1] = False
    known[cells] = np.nan
    base = np.zeros((T, 2, 2))  # the fallback: 0 everywhere
    base_var = np.full((T, 2, 2), 100.0)
    mean = np.full((T, 2, 2), 10.0)  # the method: 10 above the fallback...
    var = np.ones((T, 2, 2))
    mean[5, 0] = np.nan  # ...but no answer on frame 5 (a partner set it has no fit for)
    got, got_var, answered = selfcheck.answer(mean, var, base, base_var, known, cells)
    assert answered[2:10, 0].all() and not answered[:, 1].any()
    assert got[5, 0] == pytest.approx([10.0, 10.0]) and got_var[5, 0] == pytest.approx([1.0, 1.0])  # not 0 (the jump)
    mean[2:4, 0] = np.nan  # holes at the gap's start: from 0 at the seen edge (frame 1) to the first answer
    got, _, _ = selfcheck.answer(mean, var, base, base_var, known, cells)
    assert got[2, 0, 0] == pytest.approx(10 / 3) and got[3, 0, 0] == pytest.approx(20 / 3)
    mean[2:10, 0] = np.nan  # no answer anywhere in the gap: the fallback's, and not counted as the method's
    got, got_var, answered = selfcheck.answer(mean, var, base, base_var, known, cells)
    assert not answered[2:10, 0].any() and (got[2:10, 0] == 0).all() and (got_var[2:10, 0] == 100).all()
