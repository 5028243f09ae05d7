"""The docs are written from measured figures: they must say what the checkpoint's record says.

The README's tables, docs/BENCHMARK.md, docs/MODEL_CARD.md and the Overview page's headline all come
from ``meta["benchmark"]`` and ``meta["metrics"]`` by code; a figure typed by hand, or left from an
older run, fails here. Re-record with ``python tools/record.py runs/bench*.json``.
"""

import re
from pathlib import Path

import pytest

import kinviz
from kinviz.evaluation import tables
from kinviz.evaluation.quality import verdict
from tools.card import model_card
from tools.record import APP_SPLITS, blocks

ROOT = Path(__file__).resolve().parents[1]
AGAIN = "re-run: python tools/record.py runs/bench*.json"


@pytest.fixture(scope="module")
def meta() -> dict:
    return kinviz.read_meta(kinviz.DEFAULT_PATH)


def section(text: str, title: str) -> str:
    """A README section's text, from its heading to the next of its level."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start: end if end >= 0 else len(text)]


def test_the_model_card_is_the_checkpoints_record(meta):
    predictor = kinviz.Predictor.load(kinviz.DEFAULT_PATH, device="cpu", motion=False)
    assert (ROOT / "docs" / "MODEL_CARD.md").read_text() == model_card(meta, predictor.model.n_params()), AGAIN


def test_the_benchmark_doc_carries_the_records_tables(meta):
    splits = meta["benchmark"]["splits"]
    text = (ROOT / "docs" / "BENCHMARK.md").read_text()
    for table in (tables.headline_table(splits), tables.paired_table(splits), tables.checks_table(splits)):
        assert table in text, AGAIN
    assert blocks(splits, meta)["machine"] in text


def test_the_readme_tables_are_the_records(meta):
    readme = (ROOT / "README.md").read_text()
    for name, body in blocks(meta["benchmark"]["splits"], meta).items():
        assert f"<!-- record:{name} -->\n{body}\n<!-- /record:{name} -->" in readme, f"README's {name} is stale: {AGAIN}"


@pytest.mark.parametrize("title", ["How good is it", "Limits"])
def test_no_figure_in_the_readmes_claims_is_typed_by_hand(title):
    """Outside the record's blocks, the section's words carry no measured figure (and so no stale one)."""
    text = section((ROOT / "README.md").read_text(), title)
    prose = re.sub(r"<!-- record:(\w+) -->.*?<!-- /record:\1 -->", "", text, flags=re.S)
    assert not re.findall(r"\d+\.\d+|\d+ ?%", prose), "a figure in the prose: put it in a recorded table"


def test_the_app_headline_is_the_records(meta):
    """The Overview reads ``meta["metrics"]``: the same summaries as the benchmark's held-out splits."""
    splits = meta["benchmark"]["splits"]
    for task, entry in meta["metrics"].items():
        name = next(n for n in APP_SPLITS if task in splits.get(n, {}))
        assert {k: v for k, v in entry.items() if k != "split"} == {k: v for k, v in splits[name][task].items() if k != "split"}


def test_the_overview_says_the_records_figures_and_claims_no_gap_within_one_se(meta):
    from kinviz_app import results, words

    for head in results.headlines(meta):
        entry = meta["metrics"][head["task"]]
        assert head["model"] == entry["methods"]["kinviz"]["ade_pct"]
        sentence = words.headline_words(head)
        assert f"{head['model']:.1f} %" in sentence and f"{head['best_value']:.1f} %" in sentence
        p = next((p for p in entry["paired"] if p["method"] == "kinviz" and p["against"] == head["best"]), None)
        if p is not None and ("smaller" in sentence or "is better here" in sentence):
            assert verdict(p) in ("closer", "further"), f"{head['task']}: a claim within one s.e.: {sentence}"
