"""The command line: ``python -m kinviz {predict,evaluate,train,convert,bench,tune} ...``.

Any bad input (CSV, mask, checkpoint, device) exits with status 2 and one line ``error: ...`` on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .core.errors import KinvizError
from .io.formats import DEFAULT_MIN_CONFIDENCE
from .training.generate import FAMILIES, NOISY, PHYSICS_FAMILIES
from .core.masks import PART_TASKS, TASKS
from .videomodel.view import FITS, GATE


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors follow the same contract
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parse_families(spec: str) -> tuple[str, ...]:
    """--families: 'all', 'physics' or comma-separated names -> the simulated families to train on."""
    named = {"all": FAMILIES, "physics": PHYSICS_FAMILIES}
    names = named.get(spec.strip()) or tuple(n.strip() for n in spec.split(",") if n.strip())
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or not names:
        raise KinvizError(f"unknown family {', '.join(unknown) or spec!r}; choose from {', '.join(FAMILIES)}, 'all' or 'physics'")
    return names


def _train(args) -> int:
    if args.no_gate and args.gate:
        raise KinvizError("--gate and --no-gate contradict each other; give one")
    gate = None if args.no_gate else tuple(args.gate or GATE)
    if gate and not 0 < gate[0] <= gate[1]:
        raise KinvizError(f"--gate needs 0 < LO <= HI, not {gate[0]:g} {gate[1]:g}")
    if any(n < 2 for n in args.fits):
        raise KinvizError(f"--fits needs frame counts of 2 or more, not {' '.join(map(str, args.fits))}")
    if not 0 <= args.noisy <= 1:
        raise KinvizError(f"--noisy is a share of clips from 0 to 1, not {args.noisy:g}")
    families = parse_families(args.families)
    from .training.train import RunConfig, train  # torch: after the arguments are known to be good

    run = RunConfig(
        out=Path(args.out), seed=args.seed, device=args.device, clips=args.clips,
        tokenizer_steps=args.tokenizer_steps, steps=args.steps, batch=args.batch, lr=args.lr,
        save_every=args.save_every, log=Path(args.log) if args.log else None, resume=args.resume,
        time_limit_min=args.time_limit, tiny=args.tiny, tune_per_family=args.tune_per_family,
        families=families, gate=gate, fits=tuple(args.fits), noisy=args.noisy,
        bodies=args.bodies, init=Path(args.init) if args.init else None,
    )
    path = train(run)
    print(f"checkpoint written to {path}")
    return 0


def _predict(args) -> int:
    from glob import has_magic

    from .inference.batch import Job, plan, predict_file

    job = Job(mask=args.mask, min_confidence=args.min_confidence, seed=args.seed, steps=args.steps,
              checkpoint=args.checkpoint, device=args.device)
    if args.out_dir is None and len(args.input) == 1 and not has_magic(args.input[0]) and args.scheduler is None:
        return _predict_one(args, job, predict_file)
    if args.in_place:
        raise KinvizError("--in-place is for one file and its --out; with --out-dir each file is written under its own name")
    if args.out_dir is None:
        raise KinvizError("several input files, or --scheduler, need --out-dir DIR (each file is written there under its own name)")
    if args.out:
        raise KinvizError("--out names one file; with --out-dir each file is written under its own name: give one")
    return _predict_many(plan(args.input, args.out_dir), job, args.jobs, args.scheduler)


def _predict_one(args, job, predict_file) -> int:
    from .io.atomic import remove_leftovers, write_atomic
    from .io.track_writer import written_summary

    out = args.out or (args.input[0] if args.in_place else None)
    if out and _same_file(out, args.input[0]) and Path(out).suffix.lower() == ".h5":
        raise KinvizError(f"'{out}' is an .h5 file and the filled file comes back as its tool's CSV: give --out NAME.csv")
    if out and _same_file(out, args.input[0]) and not args.in_place:
        raise KinvizError(f"--out '{out}' is the input file: filling it would replace the tracker's file; "
                          "choose another --out, or add --in-place")
    pred = predict_file(args.input[0], job, warn=lambda note: print(f"warning: {note}", file=sys.stderr))
    text = pred.to_csv()
    if out:
        remove_leftovers(out)  # a killed earlier run's temporary file
        write_atomic(out, text)
        print(f"{written_summary(pred.trajectory, pred.filled)} -> {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if pred.filled.any():
        print(how_filled(pred), file=sys.stderr)
    return 0


def how_filled(pred) -> str:
    """One line: which method filled how many cells, and the self-check's expected error (file units)."""
    from .evaluation.evaluate import SOURCE_NAMES

    parts = ", ".join(f"{n:,} by {SOURCE_NAMES.get(m, m)}" for m, n in pred.composition().items())
    line = f"filled {int(pred.filled.sum()):,} points: {parts}"
    expected = pred.expected[pred.filled] if pred.expected is not None else np.array([])
    if np.isfinite(expected).any():
        line += (f"; expected error, measured on stretches of this file like its gaps: about "
                 f"{np.nanmean(expected):.3g} (the file's units)")
    return line


def _same_file(a: str, b: str) -> bool:
    """The same file, by resolved path (links followed), or the same inode where both exist (hard links)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def _predict_many(pairs, job, jobs: int, scheduler: str | None) -> int:
    """Every file filled by `jobs` worker processes or a Dask cluster's workers; a progress bar, then the failures,
    on stderr. Exit 1 if any failed."""
    from tqdm import tqdm

    from .inference.batch import run

    with tqdm(total=len(pairs), desc="predict", unit="file", file=sys.stderr, disable=None) as bar:
        results = run(pairs, job, jobs=jobs, scheduler=scheduler, progress=lambda done: bar.update(1))
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"failed: {r.source}: {r.summary}", file=sys.stderr)
    print(f"{len(results) - len(failed)} of {len(results)} files filled -> {pairs[0][1].parent}"
          + (f"; {len(failed)} failed (above)" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def _evaluate(args) -> int:
    import json

    from tqdm import tqdm

    from .evaluation.evaluate import METHODS, evaluate, load_many

    trajectories = load_many(args.paths)  # before the model loads: a bad path is refused at once
    from .inference.predict import Predictor

    predictor = Predictor.load(args.checkpoint, device=args.device)
    with tqdm(total=len(trajectories), desc=f"evaluate {args.task}", unit="file", disable=None) as bar:  # stderr, terminals only
        report = evaluate(predictor, trajectories, task=args.task, seed=args.seed, with_video=not args.no_video,
                          progress=lambda done, total: bar.update(1))
    if args.json:
        print(json.dumps(report.to_json()))
        return 0
    summary = report.summary()
    print(f"task {args.task}: {len(trajectories)} examples, errors on hidden cells (% of scene diagonal)")
    print(f"{'method':24s} {'ADE':>10s} {'ADE %':>8s} {'FDE %':>8s} {'PSNR':>7s} {'SSIM':>6s}")
    for m in (m for m in METHODS if m in summary):
        r = summary[m]
        print(f"{m:24s} {r.get('ade', float('nan')):10.4g} {r.get('ade_pct', float('nan')):8.2f} "
              f"{r.get('fde_pct', float('nan')):8.2f} {r.get('psnr', float('nan')):7.2f} {r.get('ssim', float('nan')):6.3f}")
    return 0


def _convert(args) -> int:
    from .training.convert import convert

    written = convert(args.examples, args.out, augment=args.augment, seed=args.seed)
    print(f"wrote {len(written)} videos to {args.out}")
    return 0


def _bench(args) -> int:
    from .evaluation.bench import run_bench

    run_bench(args)
    return 0


def _tune(args) -> int:
    from .training.tune import run_tune

    run_tune(args)
    return 0


def _model_options(p: argparse.ArgumentParser) -> None:
    """--device and --checkpoint, shared by every command that loads the model."""
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--checkpoint", help="checkpoint path (default: the bundled one, or $KINVIZ_CHECKPOINT)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m kinviz", description="Fill gaps in kinematics trajectories with a MAGVIT-style model.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    pr = sub.add_parser("predict", help="fill hidden frames and missing cells of a CSV")
    pr.add_argument("input", metavar="IN.csv", nargs="+",
                    help="a trajectory CSV, or a DeepLabCut (CSV or .h5), SLEAP (CSV or .h5), TrackMate, Tracker or "
                         "MOTChallenge file (written back in its own format); several files, folders or patterns "
                         "('tracks/*.csv') with --out-dir")
    pr.add_argument("--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE, metavar="C",
                    help="points with a lower likelihood (DeepLabCut) or node score (SLEAP) are missing and get "
                         f"filled; 0 keeps every point (default {DEFAULT_MIN_CONFIDENCE:g}, DeepLabCut's pcutoff)")
    pr.add_argument("--mask", metavar="SPEC", help="frames to hide: indices and ranges (6-9,14) or interpolate|forecast|random; default: only missing cells")
    pr.add_argument("--out", metavar="OUT.csv", help="where to write the filled CSV (default: stdout); written whole "
                    "or not at all; the input file itself only with --in-place")
    pr.add_argument("--in-place", action="store_true", help="allow --out to be the input file (or, without --out, "
                    "write the filled file over the input)")
    pr.add_argument("--out-dir", metavar="DIR", help="fill every input file into DIR under its own name (.h5 as its "
                    "tool's CSV); failures are listed at the end and the rest still written")
    pr.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes for --out-dir (default 1)")
    pr.add_argument("--scheduler", metavar="ADDRESS", help="with --out-dir: run each file on a Dask cluster, given its "
                    "scheduler's address (tcp://host:8786) or scheduler file (.json), or 'local' for a cluster of "
                    "--jobs workers on this machine; workers need kinviz, the checkpoint and the files at the same paths")
    pr.add_argument("--seed", type=int, default=0)
    pr.add_argument("--steps", type=int, help="MaskGIT decoding steps (default: the checkpoint's, 12)")
    _model_options(pr)
    pr.set_defaults(func=_predict)

    ev = sub.add_parser("evaluate", help="score the model against the baselines on CSV files")
    ev.add_argument("paths", nargs="+", metavar="PATH", help="CSV files or folders of them")
    ev.add_argument("--task", default="interpolate", choices=list(TASKS + PART_TASKS))
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--json", action="store_true", help="print exactly one JSON object")
    _model_options(ev)
    ev.add_argument("--no-video", action="store_true", help="skip PSNR/SSIM (faster)")
    ev.set_defaults(func=_evaluate)

    cv = sub.add_parser("convert", help="render example CSVs into training videos with augmentations")
    cv.add_argument("examples", metavar="EXAMPLES", help="folder of CSV files")
    cv.add_argument("out", metavar="OUT", help="output folder")
    cv.add_argument("--augment", type=int, default=4, help="augmented variants per example")
    cv.add_argument("--seed", type=int, default=0)
    cv.set_defaults(func=_convert)

    be = sub.add_parser("bench", help="quality, speed and size benchmark; prints a Markdown table")
    be.add_argument("--out", default="runs/bench.json", help="JSON results")
    be.add_argument("--multipart", default="../shared/real-multipart",
                    help="folder of real multi-part tracking files (with the motion model's validation split: the real tasks)")
    be.add_argument("--sections", default=None, help="comma-separated parts to measure (default all): generated, "
                    "bodies, othersim (the second simulator), real-occlude, real-interpolate, speed; tools/record.py merges the JSON of parts run apart")
    be.add_argument("--stretches", type=int, default=6, help="real occlude: stretches drawn per file")
    be.add_argument("--files", default=None, help="real tasks: only files whose path contains one of these (comma-separated)")
    be.add_argument("--motion", default=None, help="motion model checkpoint (default: the bundled one when there; 'none': without)")
    be.add_argument("--per-family", type=int, default=6, help="held-out generated trajectories per family")
    be.add_argument("--quick", action="store_true", help="fewer repeats and sizes (smoke)")
    _model_options(be)
    be.add_argument("--record", action="store_true", help="then python tools/record.py on the results: the checkpoint's JSON record, docs/ and the README's tables")
    be.add_argument("--ablate", action="store_true", help="instead: each decoding mechanism switched off, on the tuning split")
    be.add_argument("--folder", action="store_true", help="instead: only the whole-folder rows (predict over 200 files "
                    "with 1 and 2 worker processes); with --record, only their table in docs/BENCHMARK.md is replaced")
    be.set_defaults(func=_bench)

    tu = sub.add_parser("tune", help="calibrate the fusion of the model with the Kalman smoother on a tuning split")
    tu.add_argument("--per-family", type=int, default=4, help="tuning trajectories per family")
    tu.add_argument("--write", action="store_true", help="store the chosen values in the checkpoint's JSON record")
    _model_options(tu)
    tu.set_defaults(func=_tune)

    t = sub.add_parser("train", help="train the tokenizer and the masked transformer")
    t.add_argument("--out", default="checkpoints/kinviz-magvit.safetensors", help="checkpoint path (.safetensors; .json beside it)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    t.add_argument("--clips", type=int, default=12000, help="simulated clips in the training pool")
    t.add_argument("--tokenizer-steps", type=int, default=2000)
    t.add_argument("--steps", type=int, default=6000, help="transformer steps")
    t.add_argument("--batch", type=int, default=32, help="clips per transformer step")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--save-every", type=int, default=250)
    t.add_argument("--log", default="runs/train.jsonl", help="JSON-lines log of loss and token accuracy")
    t.add_argument("--resume", action="store_true", help="continue from --out")
    t.add_argument("--time-limit", type=float, default=85.0, help="minutes; stops cleanly and saves before")
    t.add_argument("--tiny", action="store_true", help="a tiny configuration for smoke tests")
    t.add_argument("--families", default="all",
                   help=f"comma-separated simulated families ({', '.join(FAMILIES)}), 'all', or 'physics' (the first nine); default: all")
    t.add_argument("--gate", type=float, nargs=2, metavar=("LO", "HI"),
                   help="also train forecasts of nearly straight motion in the tracking view, the straightness "
                        f"threshold per clip log-uniform in [LO, HI]; default: the shipped recipe's {GATE[0]:g} {GATE[1]:g}")
    t.add_argument("--no-gate", action="store_true", help="gaps at either end always in the still view (the earlier recipe)")
    t.add_argument("--fits", type=int, nargs="+", default=list(FITS), metavar="N",
                   help="frame counts a forecast's tracking line is fitted to, one drawn per clip; "
                        f"default: the shipped recipe's {' '.join(map(str, FITS))}; 2 alone: the earlier recipe")
    t.add_argument("--noisy", type=float, default=NOISY,
                   help=f"share of simulated clips given tracker noise; default: the shipped recipe's {NOISY:g} (the earlier: 0.2)")
    t.add_argument("--bodies", type=float, default=0.4,
                   help="share of simulated clips showing a body (rigid cluster, limb, animal) with a part lost; default 0.4")
    t.add_argument("--init", help="fine-tune: start from this checkpoint's tokenizer and transformer instead of from scratch")
    t.add_argument("--tune-per-family", type=int, default=4, help="tuning trajectories per family for the decoding's settings (0: skip)")
    t.set_defaults(func=_train)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KinvizError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # unwritable --out, a folder given as a file, ...
        print(f"error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
