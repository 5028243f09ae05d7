"""MaskGIT iterative decoding (Chang et al., CVPR 2022), as MAGVIT uses it.

Start with every unknown token masked; at each step predict all of them, sample, keep the most
confident samples and re-mask the rest, following a cosine schedule so that the last step fixes
every token. Confidence is the sampled token's log-probability (the sum over its FSQ digits) plus
Gumbel noise annealed to zero, which keeps early choices diverse.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

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
    steps: int = 12,  # MAGVIT decodes in 12 steps
    generator: torch.Generator | Sequence[torch.Generator],
    temperature: float = 1.0,  # sampling temperature of the digits
    choice_temperature: float = 4.5,  # MaskGIT's confidence-noise scale, annealed linearly to 0
    samples: int = 1,  # independent fills per row; sample j of row i is row i + j * B of the result
    on_step: StepCallback | None = None,  # on_step(step, steps, digits) after each step, unknowns filled with the current guess
    owner: torch.Tensor | None = None,  # (B,) int: which request each row belongs to, with one generator each
) -> torch.Tensor:  # (samples * B, T, h, w, D) with every unknown token filled
    """Fill ``unknown`` tokens of ``digits`` by iterative confidence-based unmasking.

    The first step sees every unknown token masked in all of a row's samples alike, so it runs once
    per row and its prediction is shared; the samples part from its draw on. Only the tokens still
    masked are sampled and ranked.

    Several requests can share the transformer's passes: ``owner`` names each row's request and
    ``generator`` is then a list, one per request. A request's draws come from its own generator, in
    the order they would have come alone, so what it gets does not depend on its company.
    """
    assert steps >= 1, "decoding needs at least one step"
    generators = [generator] if isinstance(generator, torch.Generator) else list(generator)
    rows = _rows_by_request(owner, len(digits), samples, len(generators))
    cur = digits.clone()
    cur[unknown] = model.mask_id
    masked = unknown.clone()
    n_unknown = unknown.reshape(len(unknown), -1).sum(1)  # (B,) per row, then per sample once they part
    for step in range(steps):
        logits = model(cur, task, frame_pad)  # (B, T, h, w, D, L)
        if step == 0 and samples > 1:  # the samples part here: same prediction, their own draws
            logits, cur, masked, task = (x.repeat(samples, *[1] * (x.dim() - 1)) for x in (logits, cur, masked, task))
            frame_pad = None if frame_pad is None else frame_pad.repeat(samples, 1)
            n_unknown = n_unknown.repeat(samples)
        B = cur.shape[0]
        r = (step + 1) / steps
        guess = cur.clone()
        conf = torch.full(masked.shape, math.inf, device=cur.device)
        for gen, mine in zip(generators, rows):  # each request's draws from its own generator
            m = masked[mine]
            chosen = logits[mine][m].float()  # (M, D, L): the masked tokens only
            if temperature <= 0:
                drawn = chosen.argmax(-1)
            else:
                probs = torch.softmax(chosen / temperature, dim=-1)
                drawn = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=gen).reshape(chosen.shape[:-1])
            drawn_logp = torch.log_softmax(chosen, dim=-1).gather(-1, drawn.unsqueeze(-1)).squeeze(-1).sum(-1)  # (M,)
            noise = _gumbel(drawn_logp.shape, gen, drawn_logp.device) * choice_temperature * (1 - r)
            if isinstance(mine, slice):  # one request: write in place
                conf[m] = drawn_logp + noise
                guess[m] = drawn
            else:
                c, g = conf[mine], guess[mine]
                c[m], g[m] = drawn_logp + noise, drawn
                conf[mine], guess[mine] = c, g

        # How many tokens stay masked after this step: cosine schedule, zero after the last step.
        keep = torch.floor(n_unknown.float() * math.cos(math.pi / 2 * r)).long()
        n_masked = masked.reshape(B, -1).sum(1)
        keep = torch.minimum(keep, (n_masked - 1).clamp(min=0))  # always fix at least one token
        if step == steps - 1:
            keep = torch.zeros_like(keep)

        rank = conf.reshape(B, -1).argsort(dim=1).argsort(dim=1)  # 0 = least confident
        still = (rank < keep[:, None]).reshape(masked.shape) & masked
        fix = masked & ~still
        cur[fix] = guess[fix]
        masked = still
        if on_step is not None:
            on_step(step, steps, guess)  # fixed tokens, and this step's draw where still masked
    assert not masked.any(), "decoding left masked tokens"
    return cur


def _rows_by_request(owner: torch.Tensor | None, B: int, samples: int, n_requests: int) -> list:
    """Each request's rows after the samples part (sample j of row i is row i + j * B), in the order
    its draws would take alone: its first sample's rows, then its second's, and so on. One request:
    every row, as a slice."""
    if owner is None:
        assert n_requests == 1, "several generators need the rows' owners"
        return [slice(None)]
    owner = owner.cpu()
    mine = [torch.nonzero(owner == q).flatten() for q in range(n_requests)]
    assert sum(len(m) for m in mine) == B, "every row needs an owner among the generators"
    return [torch.cat([m + j * B for j in range(samples)]) for m in mine]
