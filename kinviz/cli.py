"""The command line: ``python -m kinviz {predict,evaluate,train,convert,bench} ...``.

Any bad input (CSV, mask, checkpoint, device) exits with status 2 and one line ``error: ...`` on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import KinvizError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors follow the same contract
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _train(args) -> int:
    from .train import RunConfig, train

    run = RunConfig(
        out=Path(args.out), seed=args.seed, device=args.device, clips=args.clips,
        tokenizer_steps=args.tokenizer_steps, steps=args.steps, batch=args.batch, lr=args.lr,
        save_every=args.save_every, log=Path(args.log) if args.log else None, resume=args.resume,
        time_limit_min=args.time_limit, tiny=args.tiny,
    )
    path = train(run)
    print(f"checkpoint written to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m kinviz", description="Fill gaps in kinematics trajectories with a MAGVIT-style model.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    t.set_defaults(func=_train)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KinvizError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
