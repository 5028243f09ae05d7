"""The docs are written from measured figures: they must say what the checkpoint's record says."""

import re
from pathlib import Path

import kinviz
from kinviz.evaluation.card import headline, model_card

ROOT = Path(__file__).resolve().parents[1]


def test_the_model_card_is_the_checkpoints_record():
    predictor = kinviz.Predictor.load(kinviz.DEFAULT_PATH, device="cpu")
    expected = model_card(kinviz.read_meta(kinviz.DEFAULT_PATH), predictor.model.n_params())
    assert (ROOT / "docs" / "MODEL_CARD.md").read_text() == expected, "re-run: python -m kinviz bench --record"


def test_the_benchmarks_held_out_means_are_the_records():
    metrics = kinviz.read_meta(kinviz.DEFAULT_PATH)["metrics"]
    text = (ROOT / "docs" / "BENCHMARK.md").read_text()
    for task, m in metrics.items():
        row = re.search(rf"\| \*\*all\*\* \| {task} \| \d+ \| ([\d.]+) \(", text)  # the held-out table comes first
        assert row, f"no held-out 'all' row for {task}"
        assert float(row.group(1)) == round(m["methods"]["magvit"]["ade_pct"], 2)


def test_the_readme_headline_is_the_records():
    metrics = kinviz.read_meta(kinviz.DEFAULT_PATH)["metrics"]
    readme = (ROOT / "README.md").read_text()
    for line in headline(metrics)[2:]:
        assert line in readme, f"README's headline table is stale: {line}"
