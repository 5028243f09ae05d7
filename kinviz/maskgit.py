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


@torch.no_grad()
def maskgit_decode(
    model: MaskedTransformer,
    digits: torch.Tensor,  # (B, T, h, w, D) int64: known tokens; values at unknown positions are ignored
    unknown: torch.Tensor,  # (B, T, h, w) bool: tokens to generate (the hidden frames' tokens)
    task: torch.Tensor,  # (B,) int64 task ids
    *,
    frame_pad: torch.Tensor | None = None,  # (B, T) bool padding frames
    steps: int = 12,  # MAGVIT decodes in 12 steps
    generator: torch.Generator,
    temperature: float = 1.0,  # sampling temperature of the digits
    choice_temperature: float = 4.5,  # MaskGIT's confidence-noise scale, annealed linearly to 0
    on_step: StepCallback | None = None,  # on_step(step, steps, digits) after each step, unknowns filled with the current guess
) -> torch.Tensor:  # (B, T, h, w, D) with every unknown token filled
    """Fill ``unknown`` tokens of ``digits`` by iterative confidence-based unmasking."""
    assert steps >= 1, "decoding needs at least one step"
    mask_id = model.mask_id
    cur = digits.clone()
    cur[unknown] = mask_id
    masked = unknown.clone()
    B = digits.shape[0]
    n_unknown = unknown.reshape(B, -1).sum(1)  # (B,)
    for step in range(steps):
        logits = model(cur, task, frame_pad).float()  # (B, T, h, w, D, L)
        logp = torch.log_softmax(logits, dim=-1)
        if temperature <= 0:
            sampled = logits.argmax(-1)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            sampled = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator)
            sampled = sampled.reshape(logits.shape[:-1])
        token_logp = logp.gather(-1, sampled.unsqueeze(-1)).squeeze(-1).sum(-1)  # (B, T, h, w)

        # How many tokens stay masked after this step: cosine schedule, zero after the last step.
        r = (step + 1) / steps
        keep = torch.floor(n_unknown.float() * math.cos(math.pi / 2 * r)).long()
        n_masked = masked.reshape(B, -1).sum(1)
        keep = torch.minimum(keep, (n_masked - 1).clamp(min=0))  # always fix at least one token
        if step == steps - 1:
            keep = torch.zeros_like(keep)

        noise = _gumbel(token_logp.shape, generator, token_logp.device) * choice_temperature * (1 - r)
        conf = torch.where(masked, token_logp + noise, torch.full_like(token_logp, math.inf)).reshape(B, -1)
        rank = conf.argsort(dim=1).argsort(dim=1)  # 0 = least confident
        still = (rank < keep[:, None]).reshape(masked.shape) & masked
        fix = masked & ~still
        cur[fix] = sampled[fix]
        masked = still
        if on_step is not None:
            preview = torch.where(masked.unsqueeze(-1), sampled, cur)
            on_step(step, steps, preview)
    assert not masked.any(), "decoding left masked tokens"
    return cur
