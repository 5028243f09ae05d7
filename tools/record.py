"""Record a benchmark: the checkpoint's JSON record, docs/BENCHMARK.md, docs/MODEL_CARD.md and the README's tables.

    python -m kinviz bench --out runs/bench.json            # measures and prints (kinviz.evaluation.bench)
    python tools/record.py runs/bench.json [more.json ...]   # writes the repository from what was measured

Several JSON files (parts measured side by side with ``bench --sections``) are merged: their rows are
pooled per section, then summarised (``bench.summarise``). Every file is written whole or not at all
(``write_atomic``). The library measures; this script of the checkout writes the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere in the checkout
    sys.path.insert(0, str(ROOT))

from kinviz.evaluation import bench, tables  # noqa: E402
from kinviz.io.atomic import write_atomic  # noqa: E402

DOCS = ROOT / "docs"
README = ROOT / "README.md"
APP_SPLITS = ("held-out generated", "held-out bodies")  # the Overview's headline (meta["metrics"]): tasks it can draw again
SPLIT_WORDS = {"held-out generated": "held-out generated, 48 frames", "held-out bodies": "held-out simulated bodies"}


def merge(paths: list[Path]) -> dict:
    """One benchmark from several JSON files: rows pooled per section; machine, models and notes from all."""
    out: dict = {"notes": []}
    for path in paths:
        part = json.loads(Path(path).read_text())
        for key, value in part.items():
            if key in bench.SPLIT_NAMES:
                out.setdefault(key, []).extend(value)
            elif key == "notes":
                out["notes"] += value
            elif key == "machine" and key in out and out[key] != value:  # the same machine, other torch threads:
                out[key] = same_machine(out[key], value, path)  # the quality rows do not depend on them
            elif key in ("machine", "device", "models", "speed", "folder", "ablation"):
                assert out.setdefault(key, value) == value or key in ("speed", "folder"), \
                    f"{path}: measured with other {key} than the files before it: {value} vs {out[key]}"
    return out


def same_machine(before: str, now: str, path) -> str:
    """Two runs' machine strings that differ only in their torch thread counts, as one ("1 or 2 torch threads")."""
    threads = re.compile(r"(\d+(?: or \d+)*) torch threads")
    assert threads.sub("", before) == threads.sub("", now), f"{path}: measured on another machine: {now} vs {before}"
    counts = sorted({int(n) for m in threads.findall(before) + threads.findall(now) for n in m.split(" or ")})
    return threads.sub(" or ".join(map(str, counts)) + " torch threads", before)


def blocks(splits: dict, meta: dict) -> dict[str, str]:
    """The tables the README and BENCHMARK.md carry, by marker name, all from the record."""
    bm = meta["benchmark"]
    motion = bm["models"].get("motion")
    models = (f"video model `{bm['models']['video']['path']}` (sha256 {bm['models']['video']['sha256']})"
              + (f"; motion model `{motion['path']}` (sha256 {motion['sha256']}, {motion['steps']} training steps)"
                 if motion else "; no motion model"))
    return {"headline": tables.headline_table(splits), "checks": tables.checks_table(splits),
            "machine": f"Measured on {bm['machine']} ({bm['note']}); {models}.",
            "commands": "```\n" + "\n".join(bm["commands"]) + "\n```\n\n" + "\n".join(f"- {n}" for n in bm.get("notes", []))}


def replace_blocks(text: str, found: dict[str, str]) -> str:
    """Put each block between its markers ``<!-- record:NAME -->`` and ``<!-- /record:NAME -->``."""
    for name, body in found.items():
        pattern = re.compile(rf"(<!-- record:{name} -->\n).*?(\n<!-- /record:{name} -->)", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


def benchmark_md(run: dict, splits: dict, meta: dict) -> str:
    """docs/BENCHMARK.md: the record's tables, then the per-group tables of the rows behind them."""
    found = blocks(splits, meta)
    parts = ["# Benchmark", "", "Written by `python tools/record.py` from the checkpoint's record and the rows in "
             "`runs/`; do not edit by hand.", "", found["machine"], "",
             "Commands: " + "; ".join(f"`{c}`" for c in meta["benchmark"]["commands"]) + ".", ""]
    parts += [f"- {n}" for n in meta["benchmark"].get("notes", [])] + [""]
    parts += ["## Headline (mean ± s.e.; paired against the best classical baseline)", "", found["headline"], "",
              tables.paired_table(splits), "", found["checks"], ""]
    parts += ["## Per group", ""]
    for section, title in bench.TITLES.items():
        if run.get(section):
            parts += [tables.quality_table(run[section], title), ""]
    pooled = {name: [r for s, n in bench.SPLIT_NAMES.items() if n == name for r in run.get(s, [])] for name in splits}
    parts += [tables.calibration_table(pooled), ""] + [tables.extras_table(rows, name) + "\n" for name, rows in pooled.items()]
    if meta.get("decoding_ablation"):  # measured by ``bench --ablate`` on the video model alone, kept in the record
        from kinviz.evaluation.ablate import ABLATE_PER_FAMILY

        parts += [tables.ablation_table(meta["decoding_ablation"], ABLATE_PER_FAMILY), ""]
    if run.get("speed"):
        parts += [tables.speed_table(run["speed"]), ""]
    if run.get("folder"):
        parts += [tables.folder_table(run["folder"]), ""]
    parts += [tables.training_table(meta)]
    return "\n".join(parts) + "\n"


def record_run(paths: list[Path], *, checkpoint: Path | None = None, commands: list[str] | None = None,
               notes: list[str] | None = None, note: str = "") -> dict:
    """Summarise the runs in ``paths``, store them in the checkpoint's record, write the docs and the README's tables."""
    from kinviz.inference.predict import Predictor
    from kinviz.videomodel.checkpoint import default_path, json_path, write_json

    from tools.card import model_card

    run = merge(paths)
    splits, _ = bench.summarise(run)
    assert splits, f"no quality rows in {', '.join(map(str, paths))}"
    path = Path(checkpoint or default_path())
    meta = json.loads(json_path(path).read_text())
    meta["metrics"] = {task: s | {"split": SPLIT_WORDS[name]} for name in APP_SPLITS for task, s in splits.get(name, {}).items()}
    meta.pop("real_metrics", None)
    meta["benchmark"] = {"machine": run["machine"], "note": note or "the machine shared with other jobs while measuring",
                         "models": run["models"], "splits": splits, "commands": commands or [],
                         "notes": (notes or []) + run["notes"]}
    for rows in (meta.get("decoding_tuning") or {}).get("grid", {}).values():  # the video model's score, by its name
        for row in rows:
            if "magvit" in row:
                row["video"] = row.pop("magvit")
    write_json(json_path(path), meta)
    meta = json.loads(json_path(path).read_text())  # the docs say what the record holds, as read back
    predictor = Predictor.load(path, device="cpu", motion=False)
    write_atomic(DOCS / "BENCHMARK.md", benchmark_md(run, meta["benchmark"]["splits"], meta))
    write_atomic(DOCS / "MODEL_CARD.md", model_card(meta, predictor.model.n_params()))
    write_atomic(README, replace_blocks(README.read_text(), blocks(meta["benchmark"]["splits"], meta)))
    return meta


def record_ablation(path: Path, rows: list[dict]) -> None:
    """Store ``bench --ablate``'s rows in the checkpoint's record (docs/BENCHMARK.md shows them from the next record)."""
    from kinviz.videomodel.checkpoint import json_path, write_json

    meta = json.loads(json_path(path).read_text())
    meta["decoding_ablation"] = rows
    write_json(json_path(path), meta)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="JSON files written by `python -m kinviz bench --out`")
    ap.add_argument("--checkpoint", type=Path, default=None, help="the video checkpoint whose record to write")
    ap.add_argument("--command", action="append", default=[], help="a command that measured the runs (repeatable)")
    ap.add_argument("--note", action="append", default=[], help="a note for docs/BENCHMARK.md (repeatable)")
    ap.add_argument("--machine-note", default="", help="how the machine was shared while measuring")
    args = ap.parse_args(argv)
    record_run(args.runs, checkpoint=args.checkpoint, commands=args.command, notes=args.note, note=args.machine_note)
    print(f"recorded {', '.join(map(str, args.runs))}: checkpoint record, docs/BENCHMARK.md, docs/MODEL_CARD.md, README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
