"""``python -m kinviz bench``: quality, speed and training figures, measured and printed as Markdown.

Quality (``quality``, ``real``): kinviz's self-checked fill, the video model with its classical
prior, the video model alone, the motion model (when shipped) and every classical baseline, on

- the held-out generated split (parameters drawn from a seed training and tuning never used):
  interpolate, forecast and random masks; simulated bodies with one part hidden (occlude);
- the second simulator's validation split (``othersim``: families and physics written apart from
  ``generate``, ``kinviz.training.othersim``): the same three masks, so that a model tuned to the
  generator's motion shows what it does on motion it was not made from;
- real pose-tracker files (``real``): a confidently tracked part hidden for 10-60 frames, a stretch
  per fill of the whole file (occlude), and cuts of 240-600 frames with whole frames hidden
  (interpolate). Skipped, with a note, where the shared folders are absent.

Speed (``speed``): load time, latency per size, the largest request, whole folders. ``--ablate``
measures the video model's decoding mechanisms instead (``ablate``). Results go to ``--out`` (JSON)
and beside it (Markdown); ``--sections`` measures a part of it, so that parts can run side by side
and ``tools/record.py`` merges their JSON files. Nothing here writes the repository: ``--record``
hands the results to ``tools/record.py`` (a checkout's), which writes the checkpoint's record and docs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from pathlib import Path

import torch

from ..io.atomic import write_atomic
from ..training import generate, othersim
from ..training.splits import body_split, held_out
from ..videomodel.checkpoint import default_path, resolve_device
from . import real, tables
from .quality import PART_TASKS, TASKS, quality, record_metrics

SECTIONS = ("generated", "bodies", "othersim", "real-occlude", "real-interpolate", "speed")
SPLIT_NAMES = {"generated": "held-out generated", "bodies": "held-out bodies", "othersim": "second simulator",
               "real-occlude": "real", "real-interpolate": "real"}
TITLES = {"generated": "Held-out generated trajectories (48 frames)", "bodies": "Held-out simulated bodies, one part hidden",
          "othersim": "The second simulator's validation split (48 frames; kinviz.training.othersim)",
          "real-occlude": "Real files, one part hidden 10-60 frames (the whole file filled per stretch)",
          "real-interpolate": "Real files, cuts of 240-600 frames, middle third hidden"}
STRETCHES_PER_FILE = 6  # real occlude: stretches drawn per file (7 files: 42, the "at least 40")


def machine(device: str) -> str:
    """The machine in words: processor, cores, torch's threads and version (and the GPU)."""
    import os

    text = (f"{platform.machine()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads, "
            f"torch {torch.__version__}")
    return text + (f", GPU {torch.cuda.get_device_name(0)}" if device == "cuda" else "")


def models_of(path: Path, motion_path: Path | None, predictor) -> dict:
    """What was measured: each checkpoint's file, SHA-256 prefix and (the motion model's) training steps."""
    def digest(p: Path) -> str:
        return hashlib.sha256(Path(p).read_bytes()).hexdigest()[:12]

    out = {"video": {"path": Path(path).name, "sha256": digest(path)}}
    if predictor.motion is not None and motion_path is not None:
        meta = predictor.motion.meta
        out["motion"] = {"path": Path(motion_path).name, "sha256": digest(motion_path), "steps": meta.get("steps"),
                         "phase": meta.get("phase")}
    return out


def measure(predictor, sections: tuple[str, ...], args) -> tuple[dict, list[str]]:
    """The measurements of ``sections``: (results by section, Markdown lines)."""
    out, md = {}, []
    per_family = 1 if args.quick else args.per_family
    if "generated" in sections:
        families = predictor.meta.get("data", {}).get("families") or generate.FAMILIES
        out["generated"] = quality(predictor, held_out(per_family, families=families))
        md += ["", tables.quality_table(out["generated"], TITLES["generated"])]
    if "bodies" in sections:
        out["bodies"] = quality(predictor, body_split(max(1, per_family // 2)), tasks=PART_TASKS)
        md += ["", tables.quality_table(out["bodies"], TITLES["bodies"])]
    if "othersim" in sections:
        out["othersim"] = othersim_rows(predictor, per_family)
        md += ["", tables.quality_table(out["othersim"], TITLES["othersim"])]
    files = real.real_files(Path(args.multipart))
    wanted = [s for s in ("real-occlude", "real-interpolate") if s in sections]
    if wanted and not files:
        out["notes"] = [f"no real files found ({args.multipart}, the motion model's validation split): real rows skipped"]
        md += ["", out["notes"][0]]
    elif wanted:
        only = getattr(args, "files", None)
        files = [f for f in files if not only or any(o in str(f) for o in only.split(","))]
        if "real-occlude" in sections:
            out["real-occlude"] = real.occlude(predictor, files, per_file=2 if args.quick else args.stretches)
            md += ["", tables.quality_table(out["real-occlude"], TITLES["real-occlude"])]
        if "real-interpolate" in sections:
            out["real-interpolate"] = real.interpolate(predictor, files, per_file=1)
            md += ["", tables.quality_table(out["real-interpolate"], TITLES["real-interpolate"])]
    if "speed" in sections:
        from . import speed

        path = Path(args.checkpoint or default_path())
        out["speed"] = speed.speed(path, predictor.device, args.quick)
        out["folder"] = speed.folder_speed(path, predictor.device, args.quick)
        md += ["", tables.speed_table(out["speed"]), "", tables.folder_table(out["folder"])]
    return out, md


def othersim_rows(predictor, per_family: int, tasks=TASKS) -> list[dict]:
    """Quality rows (``quality.quality``) of every method on the second simulator's validation split, ``per_family``
    clean trajectories of each of its families, grouped by family."""
    return quality(predictor, othersim.validation_split(per_family), tasks=tasks)


def summarise(out: dict) -> tuple[dict, str]:
    """The record's summaries of measured rows (``quality.record_metrics``) and their Markdown tables."""
    splits: dict[str, list[dict]] = {}
    for section, name in SPLIT_NAMES.items():
        splits.setdefault(name, []).extend(out.get(section, []))
    splits = {k: v for k, v in splits.items() if v}
    if not splits:
        return {}, ""
    record = record_metrics(splits)
    text = "\n\n".join([tables.headline_table(record), tables.paired_table(record), tables.checks_table(record),
                        tables.calibration_table(splits)]
                       + [tables.extras_table(rows, name) for name, rows in splits.items()])
    return record, text


def run_bench(args) -> dict:
    from ..inference.predict import MOTION_PATH, Predictor

    path = Path(args.checkpoint or default_path())
    device = resolve_device(args.device)
    motion = getattr(args, "motion", None)  # a path, "none", or None for the bundled one when it is there
    motion_path = None if motion == "none" else Path(motion or MOTION_PATH)
    predictor = Predictor.load(path, device=device, motion=False if motion_path is None else motion_path)
    out: dict = {"machine": machine(device), "device": device, "models": models_of(path, motion_path, predictor)}
    if getattr(args, "ablate", False):
        from .ablate import ABLATE_PER_FAMILY, ablate

        rows = ablate(predictor, ABLATE_PER_FAMILY)
        out["ablation"] = rows
        text = tables.ablation_table(rows, ABLATE_PER_FAMILY)
    elif getattr(args, "folder", False):
        from .speed import folder_speed

        out["folder"] = folder_speed(path, device, args.quick)
        text = tables.folder_table(out["folder"])
    else:
        sections = tuple(s.strip() for s in (getattr(args, "sections", None) or ",".join(SECTIONS)).split(","))
        unknown = set(sections) - set(SECTIONS)
        assert not unknown, f"unknown sections {sorted(unknown)}; choose from {SECTIONS}"
        t0 = time.time()
        measured, md = measure(predictor, sections, args)
        out |= measured | {"seconds": time.time() - t0}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out, json.dumps(out, indent=1, default=float))  # the rows first: nothing measured is lost
        record, summary = summarise(out)
        out["record"] = record
        text = "\n".join(md + (["", summary] if summary else []))
    text = f"Machine: {out['machine']}.\n" + text
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, json.dumps(out, indent=1, default=float))
    write_atomic(Path(args.out).with_suffix(".md"), text + "\n")
    if args.record:  # writing the repository is a tool's job, not the library's: a checkout's tools/record.py
        from tools.record import record_ablation, record_run

        if "ablation" in out:
            record_ablation(path, out["ablation"])
        elif "record" in out:
            record_run([Path(args.out)], checkpoint=path, commands=["python -m kinviz bench --record"])
    return out

