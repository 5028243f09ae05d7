"""The coordinate motion model (kinviz.motion) with a tiny untrained config: shapes, round trips, properties."""

import numpy as np
import pytest
import torch

from kinviz.motion import MotionModel, MotionTransformer, Tokenizer, TokenizerConfig, TransformerConfig
from kinviz.motion import checkpoint, data
from kinviz.motion.decode import plan_windows
from kinviz.motion.transformer import training_loss

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model() -> MotionModel:
    torch.manual_seed(0)
    tok = Tokenizer(TokenizerConfig(width=8, levels=[4, 3]))
    net = MotionTransformer(TransformerConfig(levels=(4, 3), width=16, layers=1, heads=2))
    return MotionModel(tok, net)


def walk(T: int, K: int, seed: int = 0) -> np.ndarray:  # (T, K, 2) random-walk parts
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(T, K, 2)), 0) + rng.normal(scale=20, size=(1, K, 2))


def test_tokenizer_round_trip_shapes(model):
    xy = torch.randn(3, data.P, data.T_WIN, 2)
    recon, idx = model.tokenizer(xy)
    assert recon.shape == xy.shape and idx.shape == (3, data.P, data.T_WIN // 4)
    assert idx.dtype == torch.long and 0 <= idx.min() and idx.max() < 12
    # codes -> digits -> codes, and decoding the indices gives the reconstruction
    assert torch.equal(model.transformer.index(model.transformer.digits(idx)), idx)
    assert torch.allclose(model.tokenizer.decode(idx), recon, atol=1e-5)


def test_training_loss_is_finite_and_backpropagates(model):
    xy = torch.randn(2, data.P, data.T_WIN, 2)
    visible = torch.ones(2, data.P, data.T_WIN, dtype=torch.bool)
    visible[:, 0, 20:40] = False
    codes = model.tokenizer.encode(xy)[1]
    loss = training_loss(model.transformer, codes, xy, torch.zeros(2, data.P, 1, 2), visible, ~visible,
                         torch.ones(2, data.P, dtype=torch.bool), generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and model.transformer.head.weight.grad is not None


@pytest.mark.parametrize("T,K", [(10, 1), (10, 3), (200, 3), (200, 12), (10, 12), (200, 1)])
def test_fill_shapes_and_observed_cells(model, T, K):
    truth = walk(T, K)
    known = truth.copy()
    known[T // 3 : T // 3 + max(2, T // 5), 0] = np.nan  # a gap in part 0
    known[-2:, K - 1] = np.nan  # an end gap
    if K > 2:
        known[:, 1] = np.nan  # a part never seen
    mean, var = model.fill(np.arange(T), known, samples=3, seed=1)
    seen = np.isfinite(known).all(-1)
    assert mean.shape == var.shape == (T, K, 2)
    assert np.array_equal(mean[seen], known[seen]) and (var[seen] == 0).all()
    answered = ~seen & seen.any(0)
    assert np.isfinite(mean[answered]).all() and (var[answered] >= 0).all()
    if K > 2:
        assert np.isnan(mean[:, 1]).all() and np.isnan(var[:, 1]).all()


def test_values_under_unseen_cells_never_reach_the_output(model):
    known = walk(150, 5, seed=2)
    known[40:70, 2] = np.nan
    known[90:95, 0, 0] = np.nan  # half-NaN cells are unseen: their other coordinate must not be read
    other = known.copy()
    other[90:95, 0, 1] = 1e6
    known[90:95, 0, 1] = -3.0
    a = model.fill(np.arange(150), known, samples=2, seed=3)
    b = model.fill(np.arange(150), other, samples=2, seed=3)
    for x, y in zip(a, b):
        assert np.array_equal(x, y, equal_nan=True)


def test_seeded_reproducibility_and_modes_restored(model):
    known = walk(120, 4, seed=4)
    known[30:60, 1] = np.nan
    model.transformer.train()
    a = model.fill(np.arange(120), known, samples=4, seed=7)
    assert model.transformer.training, "fill must restore the train/eval mode it found"
    model.transformer.eval()
    b = model.fill(np.arange(120), known, samples=4, seed=7)
    c = model.fill(np.arange(120), known, samples=4, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_a_window_answers_the_same_whichever_others_are_decoded(model):
    known = walk(400, 4, seed=9)
    known[50:80, 0] = known[200:230, 2] = known[300:320, 1] = np.nan
    full = model.fill(np.arange(400), known, samples=3, seed=2, batch=2)
    want = np.zeros((400, 4), bool)
    want[200:230, 2] = True
    some = model.fill(np.arange(400), known, samples=3, seed=2, batch=2, want=want)
    for x, y in zip(full, some):
        np.testing.assert_array_equal(x[want], y[want])
    assert np.isnan(some[0][50:80, 0]).all() and np.isnan(some[0][300:320, 1]).all()  # not decoded


def test_windows_answer_each_unseen_cell_once():
    rng = np.random.default_rng(5)
    seen = rng.random((500, 4)) > 0.1
    seen[100:300, 2] = False  # longer than a window
    seen[:, 3] = False  # never seen: not planned
    plan = plan_windows(seen)
    count = np.zeros(seen.shape, int)
    for w in plan:
        assert 0 <= w.start <= 500 - data.T_WIN
        assert (w.frames >= w.start).all() and (w.frames < w.start + data.T_WIN).all()
        count[w.frames, w.part] += 1
    expected = (~seen & seen.any(0)).astype(int)
    assert np.array_equal(count, expected)


def test_checkpoint_round_trip(model, tmp_path):
    checkpoint.save(tmp_path / "m", model.tokenizer, model.transformer, {"steps": 3})
    again = MotionModel.load(tmp_path / "m")
    assert again.meta["steps"] == 3 and again.meta["transformer"]["width"] == 16
    known = walk(80, 3, seed=6)
    known[20:40, 0] = np.nan
    for x, y in zip(model.fill(np.arange(80), known, samples=2), again.fill(np.arange(80), known, samples=2)):
        assert np.array_equal(x, y, equal_nan=True)


def test_partners_prefer_co_visible_near_parts():
    pos = np.zeros((10, 4, 2))
    pos[:, 1] = [5, 0]
    pos[:, 2] = [1, 0]
    pos[:, 3] = [2, 0]
    seen = np.ones((10, 4), bool)
    seen[:, 3] = False  # never seen with part 0: comes last
    assert list(data.partners(pos, seen, 0, 4)) == [0, 2, 1, 3]
