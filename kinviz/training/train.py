"""Training: the tokenizer first, then the masked transformer on its tokens (MAGVIT's two stages).

    python -m kinviz train --out checkpoints/kinviz-magvit.safetensors

Data: a pool of simulated clips (``data.sample_clip``) plus windows of the bundled examples with
four augmented variants each (the prototype's 35 -> 140 videos). Masked token modelling follows
MAGVIT: within the hidden frames (the target region) a cosine-scheduled fraction of tokens is
masked, observed frames' tokens are never masked, and the loss is cross-entropy on masked tokens.

Progress goes to a tqdm bar and to a JSON-lines log; a checkpoint is written every
``--save-every`` steps, and ``--resume`` continues from it (weights and step; the optimiser restarts
its moments). Each save is also scored on validation splits the pool was not drawn from (the second
simulator, the real validation files: ``selection``); the best by the worst of them is kept beside it
and is the run's output at the end, so a fine-tune cannot trade unseen motion for the generator's.
Under ``torchrun`` the same script trains with DistributedDataParallel.
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import generate, selection
from .bodies import BODY_FAMILIES
from ..videomodel.checkpoint import load_checkpoint, read_meta, save_checkpoint
from .data import VIEW, TokenPool, clips_from_trajectory, sample_clip, stack_frames, tokenize_clips
from ..videomodel.view import FITS, GATE
from ..videomodel.tokenizer import Tokenizer, TokenizerConfig
from ..videomodel.transformer import MaskedTransformer, TransformerConfig, cosine_mask_ratio

PROTOTYPE = {"epochs": 10, "videos": 140, "token_loss_start": 6.57, "token_loss_end": 5.85}


@dataclass
class RunConfig:
    out: Path
    seed: int = 0
    device: str = "cpu"
    clips: int = 12000  # simulated training clips in the pool
    example_windows: int = 24  # windows per augmented example variant
    tokenizer_steps: int = 2000
    tokenizer_batch: int = 64  # frames
    steps: int = 6000  # transformer steps
    batch: int = 32  # clips
    lr: float = 1e-3
    save_every: int = 250
    log: Path | None = None
    resume: bool = False
    time_limit_min: float = 85.0  # stops cleanly (and saves) before this many minutes
    tiny: bool = False  # a minutes-long configuration for tests and smoke runs
    tune_per_family: int = 4  # trajectories per family for choosing the decoding's settings (0 skips it)
    families: tuple = generate.FAMILIES  # the simulated families in the pool
    gate: tuple | None = GATE  # (lo, hi): train the forecast view's gate too (``data.make_clip``); None: never
    fits: tuple = FITS  # frame counts an end gap's tracking line is fitted to, one drawn per clip; (2,): the earlier recipe
    noisy: float = generate.NOISY  # share of simulated clips given tracker noise (0.2 in the earlier recipe)
    bodies: float = 0.4  # share of simulated clips showing a body with a part lost (``data.sample_clip``)
    init: Path | None = None  # start from this checkpoint's tokenizer and transformer (fine-tuning) instead of scratch


def _dist() -> tuple[int, int]:
    """(rank, world size), initialising torch.distributed under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    return int(os.environ.get("RANK", "0")), world


def model_configs(tiny: bool) -> tuple[TokenizerConfig, TransformerConfig]:
    if tiny:
        return TokenizerConfig(channels=(16, 32, 32)), TransformerConfig(dim=32, depth=1, heads=2, cond=True)
    return TokenizerConfig(), TransformerConfig(dim=128, depth=4, heads=4, cond=True)


def augmented_examples(seed: int, variants: int = 4) -> list[tuple[str, np.ndarray]]:
    """The bundled examples, each in ``variants`` augmented copies: [(name, positions (T, K, 2))]."""
    from ..io.csv import load_csv

    rng = np.random.default_rng(seed)
    out = []
    for path in sorted(generate.EXAMPLES_DIR.glob("*.csv")):
        if path.name == "index.csv":
            continue
        traj = load_csv(path)
        for v in range(variants):
            out.append((f"{path.stem}-aug{v}", generate.augment(traj.positions, rng)))
    return out


def build_clips(run: RunConfig, seed: int, count: int, with_examples: bool):
    rng = np.random.default_rng(seed)
    clips = [sample_clip(rng, families=run.families, gate=run.gate, fits=run.fits, noisy=run.noisy,
                         bodies_share=run.bodies) for _ in range(count)]
    recipe = {"simulated_clips": count, "families": list(run.families), "seed": seed, "fits": list(run.fits),
              "noisy": run.noisy, "bodies": run.bodies, "body_families": list(BODY_FAMILIES),
              "clips_with_partial_frames": sum(bool(c.partial.any()) for c in clips)}
    if run.gate:
        recipe["gate"] = list(run.gate)
    if with_examples:
        ex = augmented_examples(seed)
        for _, pos in ex:
            clips += clips_from_trajectory(pos, rng, count=run.example_windows, gate=run.gate, fits=run.fits)
        recipe |= {"example_videos": len(ex), "example_clips": len(clips) - count}
    rng.shuffle(clips)
    return clips, recipe


class Logger:
    def __init__(self, path: Path | None, rank: int):
        self.f = None
        if path and rank == 0:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.f = open(path, "a")
        self.history: list[dict] = []

    def __call__(self, **row):
        row = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}
        self.history.append(row)
        if self.f:
            self.f.write(json.dumps(row) + "\n")
            self.f.flush()


def train_tokenizer(tok: Tokenizer, frames: np.ndarray, run: RunConfig, log: Logger, rank: int, world: int, start: int = 0):
    """frames (N, H, W, 3) uint8; trains in place."""
    model = tok
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(tok)
    opt = torch.optim.AdamW(tok.parameters(), lr=2e-3, weight_decay=0.0)
    g = torch.Generator().manual_seed(run.seed + 1000 * rank)
    bar = tqdm(range(start, run.tokenizer_steps), desc="tokenizer", disable=rank != 0, mininterval=5)
    tok.train()
    for step in bar:
        lr = 2e-3 * 0.5 * (1 + math.cos(math.pi * step / run.tokenizer_steps))
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(len(frames), (run.tokenizer_batch,), generator=g)
        x = torch.from_numpy(frames[idx.numpy()]).float().div_(255).permute(0, 3, 1, 2).to(run.device)
        loss = tok.weighted_loss(model(x), x)  # through the DDP wrapper when there is one
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 25 == 0 or step == run.tokenizer_steps - 1:
            bar.set_postfix(loss=f"{loss.item():.4f}")
            log(stage="tokenizer", step=step, loss=loss.item(), lr=lr)
    tok.eval()


def mask_batch(digits, hidden, g: torch.Generator, mask_id: int):
    """MAGVIT training mask: a cosine-scheduled fraction of each clip's hidden-frame tokens.

    digits (B, T, h, w, D); hidden (B, T) -> inputs with [MASK] digits, masked (B, T, h, w) bool.
    Observed frames' tokens are never masked.
    """
    B, T, h, w, _ = digits.shape
    target = hidden[:, :, None, None].expand(B, T, h, w)
    ratio = cosine_mask_ratio(torch.rand(B, generator=g))  # (B,)
    n_target = target.reshape(B, -1).sum(1)
    n_mask = torch.clamp(torch.ceil(ratio * n_target), min=1).long()
    score = torch.rand(B, T * h * w, generator=g).masked_fill(~target.reshape(B, -1), 2.0)
    rank = score.argsort(1).argsort(1)
    masked = (rank < n_mask[:, None]).reshape(B, T, h, w) & target
    inputs = digits.masked_fill(masked[..., None], mask_id)
    return inputs, masked


def transformer_loss(model, pool: TokenPool, idx, g, device, mask_id):
    digits, hidden = pool.digits[idx], pool.hidden[idx]
    inputs, masked = mask_batch(digits, hidden, g, mask_id)
    logits = model(inputs.to(device), pool.task[idx].to(device), pool.pad[idx].to(device), pool.cond[idx].long().to(device))
    target = digits.to(device)[masked.to(device)]  # (M, D)
    sel = logits[masked.to(device)]  # (M, D, L)
    loss = F.cross_entropy(sel.reshape(-1, sel.shape[-1]), target.reshape(-1))
    with torch.no_grad():
        right = sel.argmax(-1) == target
        acc = right.all(-1).float().mean().item()
        digit_acc = right.float().mean().item()
    return loss, acc, digit_acc


@torch.no_grad()
def evaluate_pool(model, pool: TokenPool, device, mask_id, seed=0, batch=64) -> dict:
    model.eval()
    g = torch.Generator().manual_seed(seed)
    losses, accs = [], []
    for i in range(0, len(pool), batch):
        idx = torch.arange(i, min(i + batch, len(pool)))
        loss, acc, _ = transformer_loss(model, pool, idx, g, device, mask_id)
        losses.append(loss.item())
        accs.append(acc)
    model.train()
    return {"val_loss": float(np.mean(losses)), "val_token_acc": float(np.mean(accs))}


def validate_and_choose(tr, val_pools: dict, choice: selection.Choice, step: int, run: RunConfig, tok, meta: dict,
                        log) -> dict:
    """Token loss on every validation split; keeps the checkpoint at ``selection.chosen_path`` when the choice's
    score improves. Returns the curve's figures: the generated split's as before, the others' by name."""
    scores = {name: evaluate_pool(tr, pool, run.device, tr.mask_id) for name, pool in val_pools.items()}
    improved = choice.consider(step, {name: v["val_loss"] for name, v in scores.items()})
    val = scores["generated"] | {f"val_loss_{name}": v["val_loss"] for name, v in scores.items() if name != "generated"}
    val["choice_score"] = choice.score({name: v["val_loss"] for name, v in scores.items()})
    log(stage="val", step=step, chosen=improved, **val)
    meta["training"]["selection"] = choice.to_dict()
    if improved:
        save_checkpoint(selection.chosen_path(run.out), tok, tr, meta | {"training": meta["training"] | {"chosen_step": step}})
    return val


def train(run: RunConfig) -> Path:
    """Both stages end to end; returns the checkpoint path. Resumable at any save point."""
    rank, world = _dist()
    torch.manual_seed(run.seed)
    t0 = time.time()
    tok_cfg, tr_cfg = model_configs(run.tiny)
    log = Logger(run.log, rank)
    meta: dict = {
        "training": {"seed": run.seed, "device": run.device, "world_size": world},
        "prototype": PROTOTYPE,
        # MaskGIT's 12 steps; samples per kind of gap as scripts/decoding_cost.py measured them for the
        # shipped model, and inner gaps under 9 frames left to the smoother (scripts/gap_length.py).
        "decoding": {"steps": 12, "samples": 2, "samples_end": 8, "min_inner_gap": 9,
                     "temperature": 1.0, "choice_temperature": 4.5},
        "view": VIEW,  # how clips were drawn; the predictor draws windows the same way
    }
    prior = read_meta(run.out) if (run.resume and run.out.exists()) else None
    init = None
    if run.init is not None and prior is None:  # fine-tuning: the earlier model's weights, record and decoding
        init = load_checkpoint(run.init, device=run.device)
        tok_cfg = init.tokenizer.cfg
        tr_cfg = TransformerConfig.from_dict(init.meta["transformer"] | {"cond": True})
        meta["decoding"] = dict(init.meta["decoding"])
        meta["training"]["init"] = {"from": str(run.init), "sha256": init.meta.get("sha256"),
                                    "steps_before": init.meta["training"].get("transformer_steps_done"),
                                    "minutes_before": init.meta["training"].get("minutes")}
        meta["training"]["tokenizer_steps_done"] = init.meta["training"].get("tokenizer_steps_done", 0)

    # Data: the same seed always builds the same pool, so a resumed run sees the same clips.
    clips, recipe = build_clips(run, run.seed, run.clips, with_examples=not run.tiny)
    val_clips, _ = build_clips(run, run.seed + 10_000, max(64, run.clips // 32), with_examples=False)
    # The checkpoint choice's other splits: motion the generator did not make (``selection``).
    checks = selection.validation_clips(run.seed + 20_000, gate=run.gate, fits=run.fits, real=not run.tiny,
                                        per_family=1 if run.tiny else selection.OTHERSIM_PER_FAMILY)
    meta["data"] = recipe | {"validation_clips": len(val_clips), "selection_clips": {k: len(v) for k, v in checks.items()}}
    log(stage="data", clips=len(clips), seconds=time.time() - t0)

    # Stage 1: the tokenizer.
    tok_done = prior is not None and prior.get("training", {}).get("tokenizer_steps_done", 0) >= run.tokenizer_steps
    if init is not None:
        tok = init.tokenizer
    elif tok_done or (prior is not None and "transformer" in prior):
        model = load_checkpoint(run.out, device=run.device, need_transformer=False)
        tok = model.tokenizer
    else:
        frames, hidden, pad = stack_frames(clips, tr_cfg.max_frames)
        tok_frames = frames[~pad]  # hidden frames too: the tokenizer must draw whatever the transformer asks for
        del frames
        tok = Tokenizer(tok_cfg).to(run.device)
        train_tokenizer(tok, tok_frames, run, log, rank, world)
        del tok_frames
        meta["training"] |= {"tokenizer_steps_done": run.tokenizer_steps, "tokenizer_minutes": (time.time() - t0) / 60}
        if rank == 0:
            save_checkpoint(run.out, tok, None, meta)
    tok.eval().requires_grad_(False)

    # Stage 2: the transformer on the frozen tokenizer's tokens.
    t1 = time.time()
    pool = tokenize_clips(tok.cpu(), clips, max_frames=tr_cfg.max_frames)
    val_pools = {"generated": tokenize_clips(tok, val_clips, max_frames=tr_cfg.max_frames)}
    val_pools |= {name: tokenize_clips(tok, c, max_frames=tr_cfg.max_frames) for name, c in checks.items()}
    tok.to(run.device)
    log(stage="tokenize", clips=len(pool), seconds=time.time() - t1)
    tr = MaskedTransformer(tr_cfg).to(run.device)
    if init is not None:  # the new partial-frame stream starts at zero: the fine-tune begins as the earlier model
        missing, unexpected = tr.load_state_dict(init.transformer.state_dict(), strict=False)
        assert not unexpected and all(k.startswith("cond_emb") for k in missing), (missing, unexpected)
    start, history = 0, []
    if prior is not None and "transformer" in prior:
        tr = load_checkpoint(run.out, device=run.device).transformer.train().requires_grad_(True)
        start = prior["training"].get("transformer_steps_done", 0)
        history = prior["training"].get("curve", [])
        meta["training"] = prior["training"] | {"resumed_at": start}
    choice = selection.Choice.from_dict(meta["training"].get("selection"))
    if init is not None and start == 0 and rank == 0:  # a fine-tune must beat the model it starts from
        validate_and_choose(tr, val_pools, choice, 0, run, tok, meta, log)
    model = torch.nn.parallel.DistributedDataParallel(tr) if world > 1 else tr
    opt = torch.optim.AdamW(tr.parameters(), lr=run.lr, betas=(0.9, 0.95), weight_decay=0.01)
    g = torch.Generator().manual_seed(run.seed + 7 + 1000 * rank + start)
    warmup = max(1, min(200, run.steps // 10))
    tr.train()
    bar = tqdm(range(start, run.steps), desc="transformer", disable=rank != 0, mininterval=5)
    ema = None
    step = start
    for step in bar:
        lr = run.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / run.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(len(pool), (run.batch,), generator=g)
        loss, acc, digit_acc = transformer_loss(model, pool, idx, g, run.device, tr.mask_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tr.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{acc:.3f}")
            log(stage="transformer", step=step, loss=loss.item(), token_acc=acc, digit_acc=digit_acc, lr=lr)
        last = step == run.steps - 1 or (time.time() - t0) / 60 > run.time_limit_min
        if (step + 1) % run.save_every == 0 or last:
            val = validate_and_choose(tr, val_pools, choice, step + 1, run, tok, meta, log) if rank == 0 else {}
            history.append({"step": step + 1, "loss": round(ema, 4), **{k: round(v, 4) for k, v in val.items()}})
            if rank == 0:
                meta["training"] |= {
                    "transformer_steps_done": step + 1,
                    "curve": history,
                    "minutes": round((time.time() - t0) / 60 + meta["training"].get("minutes_before_resume", 0), 2),
                    "batch": run.batch,
                    "lr": run.lr,
                }
                save_checkpoint(run.out, tok, tr, meta)
        if last:
            break
    if rank == 0 and choice.best is not None and choice.best["step"] != meta["training"].get("transformer_steps_done"):
        # The run's output is the chosen checkpoint's weights, with the whole run's record.
        chosen = load_checkpoint(selection.chosen_path(run.out), device=run.device)
        tr.load_state_dict(chosen.transformer.state_dict())
        meta["training"] |= {"selection": choice.to_dict(), "chosen_step": choice.best["step"]}
        save_checkpoint(run.out, tok, tr, meta)
        log(stage="chosen", **choice.best)
    # Stage 3: the fusion's calibration against the Kalman smoother, on a tuning split of its own.
    if rank == 0 and run.tune_per_family > 0:
        from ..inference.predict import Predictor
        from .tune import tune_decoding, write_decoding

        t2 = time.time()
        grid = dict(per_family=1, scales=(1.0,), floors=(0.5, 2.0)) if run.tiny else dict(per_family=run.tune_per_family)
        result = tune_decoding(Predictor.load(run.out, device=run.device), **grid,
                               log=lambda line: log(stage="tune", result=line))
        write_decoding(run.out, result | {"seconds": round(time.time() - t2, 1)})
    if world > 1:
        # The DDP wrapper's reducer holds the process group. Dropped after destroy_process_group, the group's last
        # reference went with it, in a destructor that held the GIL while it joined gloo's threads, one of which
        # waited for the GIL: a deadlock (rank 0 of the tiny torchrun test hung once in a suite run, py-spy showed it).
        del model
        gc.collect()
        torch.distributed.destroy_process_group()
    return run.out
