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


def _gumbel(shape, generator: torch.Generator, device) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device).clamp_(1e-9, 1 - 1e-9)
    return -torch.log(-torch.log(u))


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
    generator: torch.Generator,
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

        noise = _gumbel(drawn_logp.shape, generator, drawn_logp.device) * choice_temperature * (1 - r)
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
