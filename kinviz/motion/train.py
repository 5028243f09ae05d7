"""Train the motion model on real tracks: the tokenizer first (reconstruction), then the transformer.

    python -m kinviz.motion.train --out checkpoints/kinviz-motion --minutes 70 [--resume]
    python -m kinviz.motion.train --eval [--checkpoint checkpoints/kinviz-motion] [--stretches 60]

Progress goes to stdout and `<runs>/<name>.log.jsonl`, one JSON line per `--log-every` steps. The
checkpoint with the best validation fill error (validation split only, `data.VAL_FILES`) is written
to `<out>.safetensors/.json`; the latest state to `<runs>/<name>.last.*` every `--save-every`
seconds, which `--resume` continues from (the optimiser restarts with a short warm-up).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint, data
from .tokenizer import Tokenizer, TokenizerConfig, part_anchor
from .transformer import MotionTransformer, TransformerConfig, chunk_hidden, training_loss

torch.set_num_threads(1)  # one core: the machine is shared


def tensors(batch: data.Batch) -> dict[str, torch.Tensor]:
    """A batch as tensors, with each part's anchor and the truth relative to it."""
    b = {"xy": torch.as_tensor(batch.truth, dtype=torch.float32), "visible": torch.as_tensor(batch.visible),
         "scored": torch.as_tensor(batch.scored), "present": torch.as_tensor(batch.present)}
    b["anchor"] = part_anchor(b["xy"], b["visible"])
    b["rel"] = b["xy"] - b["anchor"]
    return b


def recon_loss(tokenizer: Tokenizer, b: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean squared error of the reconstruction over the cells the data has (normalised units)."""
    recon, _ = tokenizer(b["rel"])
    have = (b["visible"] | b["scored"]) & b["present"][..., None]
    return ((recon - b["rel"]) ** 2).sum(-1)[have].mean()


@torch.no_grad()
def one_step_fill(tokenizer: Tokenizer, model: MotionTransformer, b: dict[str, torch.Tensor]) -> torch.Tensor:
    """RMS error (normalised units) at scored cells when every hidden chunk is filled by its argmax code at once."""
    codes = tokenizer.encode(b["rel"])[1]
    hidden = chunk_hidden(b["visible"], model.config.chunk) & b["present"][..., None]
    tokens = torch.where(hidden, torch.full_like(codes, model.mask_id), codes)
    logits = model(tokens, b["rel"] * b["visible"][..., None], b["anchor"], b["visible"], b["present"])
    best = model.index(torch.stack([lp.argmax(-1) for lp in model.log_probs(logits)], -1))
    rel = tokenizer.decode(torch.where(hidden, best, codes))
    return ((rel - b["rel"]) ** 2).sum(-1)[b["scored"]].mean().sqrt()


@torch.no_grad()
def validate(tokenizer: Tokenizer, model: MotionTransformer | None, val: list[dict]) -> dict:
    """Validation figures on fixed windows of the validation split; train/eval mode restored."""
    modes = [(m, m.training) for m in (tokenizer, model) if m is not None]
    for m, _ in modes:
        m.eval()
    out = {"val_recon": float(np.mean([recon_loss(tokenizer, b).sqrt().item() for b in val]))}
    if model is not None:
        g = torch.Generator().manual_seed(0)
        ce = [training_loss(model, tokenizer.encode(b["rel"])[1], b["rel"], b["anchor"], b["visible"], b["scored"],
                            b["present"], generator=g, ratio=torch.ones(len(b["xy"]))).item() for b in val]
        out["val_loss"] = float(np.mean(ce))
        out["val_fill"] = float(np.mean([one_step_fill(tokenizer, model, b).item() for b in val]))
    for m, mode in modes:
        m.train(mode)
    return out


class Run:
    """Time budget, JSON-lines log and checkpoints of one training run."""

    def __init__(self, args):
        self.out = Path(args.out)
        self.last = Path(args.runs) / (self.out.name + ".last")
        self.log_path = Path(args.runs) / (self.out.name + ".log.jsonl")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.budget = 60.0 * args.minutes
        self.record = {"split": {"train": list(data.TRAIN_FILES), "val": list(data.VAL_FILES)},
                       "phase": "tokenizer", "tokenizer_steps": 0, "steps": 0, "elapsed_s": 0.0,
                       "best": None, "history": []}
        self.start = time.time()
        self.offset = 0.0
        self.saved = time.time()

    def elapsed(self) -> float:
        return self.offset + time.time() - self.start

    def log(self, line: dict) -> None:
        line = {"elapsed_s": round(self.elapsed(), 1), **line}
        print(json.dumps(line), flush=True)
        with self.log_path.open("a") as f:
            f.write(json.dumps(line) + "\n")

    def save(self, tokenizer, model, *, best: bool = False) -> None:
        self.record["elapsed_s"] = round(self.elapsed(), 1)
        self.record["minutes"] = round(self.elapsed() / 60, 2)
        model = model if model is not None else MotionTransformer(transformer_config(tokenizer))
        checkpoint.save(self.last, tokenizer, model, self.record)
        if best:
            checkpoint.save(self.out, tokenizer, model, self.record)
        self.saved = time.time()


def transformer_config(tokenizer: Tokenizer) -> TransformerConfig:
    return TransformerConfig(levels=tuple(tokenizer.config.levels), parts=data.P,
                             chunks=data.T_WIN // tokenizer.config.chunk, chunk=tokenizer.config.chunk)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="checkpoints/kinviz-motion")
    p.add_argument("--runs", default="runs", help="folder for the log and the latest state")
    p.add_argument("--minutes", type=float, default=70.0)
    p.add_argument("--tokenizer-minutes", type=float, default=8.0)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-every", type=float, default=150.0, help="seconds between validations")
    p.add_argument("--save-every", type=float, default=180.0, help="seconds between saves of the latest state")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval", action="store_true", help="evaluate a checkpoint on validation stretches and exit")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--stretches", type=int, default=60)
    args = p.parse_args(argv)
    if args.eval:
        from .evaluate import evaluate, print_report

        print_report(evaluate(args.checkpoint or args.out, n_stretches=args.stretches))
        return
    train(args)


def train(args) -> None:
    torch.manual_seed(args.seed)
    run = Run(args)
    tokenizer = Tokenizer(TokenizerConfig())
    model = None
    if args.resume and Path(str(run.last) + ".json").exists():
        tokenizer, model, meta = checkpoint.load(run.last)
        run.record.update({k: meta[k] for k in run.record if k in meta})
        run.offset = meta["elapsed_s"]
        if meta["phase"] == "tokenizer":
            model = None
        run.log({"resumed": str(run.last), "phase": meta["phase"], "steps": meta["steps"]})
    train_sampler = data.WindowSampler(data.load_split("train"), seed=args.seed + run.record["steps"])
    val_sampler = data.WindowSampler(data.load_split("val"), seed=1234, augment=False)
    val = [tensors(val_sampler.batch(64)) for _ in range(4)]  # 256 fixed validation windows
    run.log({"train_windows_per_step": args.batch, "train_frames": int(sum(len(s) for s in train_sampler.seen)),
             "val_frames": int(sum(len(s) for s in val_sampler.seen)), "inner_gaps": int(len(train_sampler.gaps))})

    # Phase 1: the tokenizer, by reconstruction.
    if run.record["phase"] == "tokenizer":
        tokenizer.train()
        opt = torch.optim.AdamW(tokenizer.parameters(), lr=2e-3, weight_decay=0.0)
        stop = min(60 * args.tokenizer_minutes, 0.15 * run.budget)
        losses = []
        while run.elapsed() < stop:
            for group in opt.param_groups:  # cosine decay to 10 % over the phase
                group["lr"] = 2e-3 * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, run.elapsed() / stop))))
            b = tensors(train_sampler.batch(64))
            loss = recon_loss(tokenizer, b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            run.record["tokenizer_steps"] += 1
            if run.record["tokenizer_steps"] % args.log_every == 0:
                run.log({"phase": "tokenizer", "step": run.record["tokenizer_steps"],
                         "loss": round(float(np.mean(losses)), 5), **validate(tokenizer, None, val)})
                losses = []
        run.record["phase"] = "transformer"
        run.record["tokenizer_val"] = validate(tokenizer, None, val)
        run.log({"phase": "tokenizer done", **run.record["tokenizer_val"]})

    # Phase 2: the transformer, by masked token modelling on frozen tokenizer codes.
    tokenizer.eval().requires_grad_(False)
    model = model or MotionTransformer(transformer_config(tokenizer))
    model.train()
    n_params = sum(q.numel() for q in model.parameters()) + sum(q.numel() for q in tokenizer.parameters())
    run.record["parameters"] = n_params
    run.log({"phase": "transformer", "parameters": n_params})
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    g = torch.Generator().manual_seed(args.seed + run.record["steps"])
    t_start, t_end = run.elapsed(), run.budget
    first_step, losses, last_val = run.record["steps"], [], time.time()
    best = run.record["best"]["val_fill"] if run.record["best"] else math.inf
    while run.elapsed() < run.budget:
        # Warm-up over 200 steps (also after a resume), then cosine decay over the time left to 10 %.
        frac = min(1.0, max(0.0, (run.elapsed() - t_start) / max(1.0, t_end - t_start)))
        warm = min(1.0, (run.record["steps"] - first_step + 1) / 200)
        lr = args.lr * warm * (0.1 + 0.45 * (1 + math.cos(math.pi * frac)))
        for group in opt.param_groups:
            group["lr"] = lr
        b = tensors(train_sampler.batch(args.batch))
        with torch.no_grad():
            codes = tokenizer.encode(b["rel"])[1]
        loss = training_loss(model, codes, b["rel"], b["anchor"], b["visible"], b["scored"], b["present"], generator=g)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        run.record["steps"] += 1
        step = run.record["steps"]
        line = None
        if step % args.log_every == 0:
            line = {"phase": "transformer", "step": step, "loss": round(float(np.mean(losses)), 4), "lr": round(lr, 6)}
            losses = []
        if time.time() - last_val > args.val_every or run.elapsed() >= run.budget:
            figures = validate(tokenizer, model, val)
            last_val = time.time()
            run.record["history"].append({"step": step, "elapsed_s": round(run.elapsed(), 1), **figures})
            improved = figures["val_fill"] < best
            if improved:
                best = figures["val_fill"]
                run.record["best"] = {"step": step, **figures}
            line = {**(line or {"phase": "transformer", "step": step}), **figures, "best": improved}
            run.save(tokenizer, model, best=improved)
        elif time.time() - run.saved > args.save_every:
            run.save(tokenizer, model)
        if line:
            run.log(line)
    run.save(tokenizer, model)
    run.log({"done": True, "steps": run.record["steps"], "best": run.record["best"]})


if __name__ == "__main__":
    main()
