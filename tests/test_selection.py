"""Checkpoint choice on splits the training pool was not drawn from: no split can be traded for another."""

import numpy as np
import pytest
import torch

import kinviz
from kinviz.training import selection, train as train_module
from kinviz.training.train import RunConfig, train


def test_a_checkpoint_that_gains_on_the_generator_and_loses_on_the_second_simulator_is_not_chosen():
    choice = selection.Choice()
    assert choice.consider(0, {"generated": 2.0, "othersim": 4.0})  # the reference: the starting model
    assert not choice.consider(1, {"generated": 1.0, "othersim": 4.4})  # half the generator's loss, 10 % worse elsewhere
    assert choice.consider(2, {"generated": 1.9, "othersim": 3.9})  # a little better on both
    assert not choice.consider(3, {"generated": 1.9, "othersim": 3.95})
    assert choice.best["step"] == 2 and choice.best["score"] == pytest.approx(3.9 / 4.0)  # the worse ratio
    again = selection.Choice.from_dict(choice.to_dict())
    assert again.reference == choice.reference and again.best == choice.best
    assert not again.consider(4, {"generated": 0.5, "othersim": 4.0})


def test_the_choices_splits_are_seeded_clips_of_the_second_simulator():
    a = selection.validation_clips(7, real=False)
    b = selection.validation_clips(7, real=False)
    assert list(a) == ["othersim"] and len(a["othersim"]) > 20
    assert all(np.array_equal(x.positions, y.positions, equal_nan=True) and np.array_equal(x.hidden, y.hidden)
               for x, y in zip(a["othersim"], b["othersim"]))
    assert all(c.hidden.any() and not c.hidden.all() and np.isfinite(c.positions).all(-1).all(0).any() for c in a["othersim"])


def test_chosen_path_sits_beside_the_output(tmp_path):
    assert selection.chosen_path(tmp_path / "m.safetensors") == tmp_path / "m.chosen.safetensors"


def test_a_fine_tune_that_trades_the_second_simulator_for_the_generator_ships_the_model_it_started_from(
        tiny_checkpoint, tmp_path, monkeypatch):
    """At every save the generator's loss falls and the second simulator's rises, so the
    starting model (step 0) stays the choice and the run's output holds its weights."""
    calls = []

    def scripted(model, pool, device, mask_id, seed=0, batch=64):  # splits come in order: generated, othersim
        k, split = divmod(len(calls), 2)
        calls.append(split)
        return {"val_loss": 1.0 - 0.1 * k if split == 0 else 1.0 + 0.1 * k, "val_token_acc": 0.5}

    monkeypatch.setattr(train_module, "evaluate_pool", scripted)
    out = tmp_path / "ft.safetensors"
    run = RunConfig(out=out, clips=40, tokenizer_steps=4, steps=6, batch=4, save_every=3, tiny=True, init=tiny_checkpoint,
                    tune_per_family=0)
    train(run)
    meta = kinviz.read_meta(out)
    assert meta["training"]["transformer_steps_done"] == 6 and meta["training"]["chosen_step"] == 0
    sel = meta["training"]["selection"]
    assert sel["best"]["step"] == 0 and set(sel["reference"]) == {"generated", "othersim"}
    assert [c.get("val_loss_othersim") for c in meta["training"]["curve"]] == pytest.approx([1.1, 1.2])
    start = kinviz.load_checkpoint(tiny_checkpoint).transformer.state_dict()
    shipped = kinviz.load_checkpoint(out).transformer.state_dict()
    assert all(torch.equal(start[k], shipped[k]) for k in start)
    assert meta["data"]["selection_clips"]["othersim"] > 0


def test_a_run_that_improves_everywhere_ships_its_last_step(tmp_path):
    out = tmp_path / "s.safetensors"
    train(RunConfig(out=out, clips=40, tokenizer_steps=4, steps=6, batch=4, save_every=3, tiny=True, tune_per_family=0))
    meta = kinviz.read_meta(out)
    sel = meta["training"]["selection"]
    assert sel["reference"] and sel["best"]["step"] in (3, 6) and selection.chosen_path(out).exists()
    assert "val_loss_othersim" in meta["training"]["curve"][-1]
