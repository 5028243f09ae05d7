"""MaskGIT iterative decoding (Chang et al., CVPR 2022), as MAGVIT uses it.

Start with every unknown token masked; at each step predict all of them, sample, keep the most
confident samples and re-mask the rest, following a cosine schedule so that the last step fixes
every token. Confidence is the sampled token's log-probability (the sum over its FSQ digits) plus
Gumbel noise annealed to zero, which keeps early choices diverse.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from .transformer import MaskedTransformer

StepCallback = Callable[[int, int, torch.Tensor], None]


def _gumbel(u: torch.Tensor) -> torch.Tensor:
    u = u.clamp(1e-9, 1 - 1e-9)
    return -torch.log(-torch.log(u))


class RowNoise:
    """The uniform draws of every row, each from its own generator: a row's fill never depends on
    which other rows share its batch, nor how many there are (``Predictor`` seeds one per window
    and sample)."""

    def __init__(self, generators: list[torch.Generator], shape: tuple, steps: int, device):
        # shape (T, h, w, D) of one row; per step one draw per digit (sampling) and one per token (confidence noise).
        self.digit = torch.stack([torch.rand((steps, *shape), generator=g) for g in generators]).to(device)
        self.token = torch.stack([torch.rand((steps, *shape[:-1]), generator=g) for g in generators]).to(device)


@torch.inference_mode()
def maskgit_decode(
    model: MaskedTransformer,
    digits: torch.Tensor,  # (B, T, h, w, D) int64: known tokens; values at unknown positions are ignored
    unknown: torch.Tensor,  # (B, T, h, w) bool: tokens to generate (the hidden frames' tokens)
    task: torch.Tensor,  # (B,) int64 task ids
    *,
    frame_pad: torch.Tensor | None = None,  # (B, T) bool padding frames
    cond: torch.Tensor | None = None,  # (B, T, h, w, D) partial frames' digits (``MaskedTransformer``)
    steps: int = 12,  # MAGVIT decodes in 12 steps
    generator: torch.Generator | list[torch.Generator],  # one for the batch, or one per row of the result
    temperature: float = 1.0,  # sampling temperature of the digits
    choice_temperature: float = 4.5,  # MaskGIT's confidence-noise scale, annealed linearly to 0
    samples: int = 1,  # independent fills per row; sample j of row i is row i + j * B of the result
    on_step: StepCallback | None = None,  # on_step(step, steps, digits) after each step, unknowns filled with the current guess
) -> torch.Tensor:  # (samples * B, T, h, w, D) with every unknown token filled
    """Fill ``unknown`` tokens of ``digits`` by iterative confidence-based unmasking.

    The first step sees every unknown token masked in all of a row's samples alike, so it runs once
    per row and its prediction is shared; the samples part from its draw on. Only the tokens still
    masked are sampled and ranked.
    """
    assert steps >= 1, "decoding needs at least one step"
    rows = None
    if isinstance(generator, (list, tuple)):
        assert len(generator) == samples * len(digits), f"{len(generator)} generators for {samples * len(digits)} rows"
        rows = RowNoise(list(generator), tuple(digits.shape[1:]), steps, digits.device)
    cur = digits.clone()
    cur[unknown] = model.mask_id
    masked = unknown.clone()
    n_unknown = unknown.reshape(len(unknown), -1).sum(1)  # (B,) per row, then per sample once they part
    for step in range(steps):
        logits = model(cur, task, frame_pad, cond)  # (B, T, h, w, D, L)
        if step == 0 and samples > 1:  # the samples part here: same prediction, their own draws
            logits, cur, masked, task = (x.repeat(samples, *[1] * (x.dim() - 1)) for x in (logits, cur, masked, task))
            frame_pad = None if frame_pad is None else frame_pad.repeat(samples, 1)
            cond = None if cond is None else cond.repeat(samples, *[1] * (cond.dim() - 1))
            n_unknown = n_unknown.repeat(samples)
        B = cur.shape[0]
        chosen = logits[masked].float()  # (M, D, L): the masked tokens only
        if temperature <= 0:
            drawn = chosen.argmax(-1)
        elif rows is not None:  # inverse-CDF sampling from each row's own draws
            probs = torch.softmax(chosen / temperature, dim=-1)
            u = rows.digit[:, step][masked]  # (M, D)
            drawn = (probs.cumsum(-1) < u[..., None]).sum(-1).clamp_(max=probs.shape[-1] - 1)
        else:
            probs = torch.softmax(chosen / temperature, dim=-1)
            drawn = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator).reshape(chosen.shape[:-1])
        drawn_logp = torch.log_softmax(chosen, dim=-1).gather(-1, drawn.unsqueeze(-1)).squeeze(-1).sum(-1)  # (M,)

        # How many tokens stay masked after this step: cosine schedule, zero after the last step.
        r = (step + 1) / steps
        keep = torch.floor(n_unknown.float() * math.cos(math.pi / 2 * r)).long()
        n_masked = masked.reshape(B, -1).sum(1)
        keep = torch.minimum(keep, (n_masked - 1).clamp(min=0))  # always fix at least one token
        if step == steps - 1:
            keep = torch.zeros_like(keep)

        u = rows.token[:, step][masked] if rows is not None else torch.rand(
            drawn_logp.shape, generator=generator, device=drawn_logp.device)
        noise = _gumbel(u) * choice_temperature * (1 - r)
        conf = torch.full(masked.shape, math.inf, device=cur.device)
        conf[masked] = drawn_logp + noise
        rank = conf.reshape(B, -1).argsort(dim=1).argsort(dim=1)  # 0 = least confident
        still = (rank < keep[:, None]).reshape(masked.shape) & masked
        guess = cur.clone()
        guess[masked] = drawn
        fix = masked & ~still
        cur[fix] = guess[fix]
        masked = still
        if on_step is not None:
            on_step(step, steps, guess)  # fixed tokens, and this step's draw where still masked
    assert not masked.any(), "decoding left masked tokens"
    return cur
