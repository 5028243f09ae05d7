"""Bidirectional transformer over a window's tokens (part x 4-frame chunk), MaskGIT style.

Each token's input is the sum of: its FSQ code's embedding (or [MASK]), a learned part-slot embedding
(slot 0 is the lost part, then its partners by distance), a learned time-chunk embedding, a learned
seen/hidden embedding, a linear embedding of the chunk's seen coordinates (relative to the part's
anchor) with a per-frame seen flag (zeros where hidden), so frames seen inside a partly hidden chunk
still reach the model, and a linear embedding of the part's anchor (where the part sits).

The code book is large (32,768 FSQ codes), so a code is embedded as the sum of its FSQ digits'
embeddings and predicted as one softmax per digit (MAGVIT-v2's token factorisation): the code's
log-probability is the sum of its digits'.
Chang et al. 2022, "MaskGIT: Masked Generative Image Transformer"; Yu et al. 2023, MAGVIT.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


@dataclass
class TransformerConfig:
    levels: tuple[int, ...] = (8, 8, 8, 8, 8)  # the tokenizer's FSQ levels
    parts: int = 8
    chunks: int = 16  # 64 frames / 4
    chunk: int = 4
    width: int = 96  # ~0.65M parameters: 0.27 s a step of 32 windows on one CPU thread
    layers: int = 4
    heads: int = 4
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.heads = c.heads
        self.ln1, self.ln2 = nn.LayerNorm(c.width), nn.LayerNorm(c.width)
        self.qkv, self.proj = nn.Linear(c.width, 3 * c.width), nn.Linear(c.width, c.width)
        self.mlp = nn.Sequential(nn.Linear(c.width, 4 * c.width), nn.GELU(), nn.Linear(4 * c.width, c.width))
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:  # x (B, L, W), keep (B, 1, 1, L) bool
        q, k, v = rearrange(self.qkv(self.ln1(x)), "b l (three h d) -> three b h l d", three=3, h=self.heads)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        x = x + self.drop(self.proj(rearrange(a, "b h l d -> b l (h d)")))
        return x + self.drop(self.mlp(self.ln2(x)))


class MotionTransformer(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = c = config
        self.mask_id = -1
        levels = torch.tensor(list(c.levels))
        self.register_buffer("levels", levels, persistent=False)
        self.register_buffer("basis", torch.cumprod(torch.cat([torch.ones(1, dtype=torch.long), levels[:-1]]), 0),
                             persistent=False)  # FSQ's index = sum(digit * basis)
        self.register_buffer("offsets", torch.cumsum(torch.cat([torch.zeros(1, dtype=torch.long), levels[:-1]]), 0),
                             persistent=False)
        self.digit = nn.Embedding(int(levels.sum()), c.width)
        self.masked = nn.Parameter(torch.randn(c.width) * 0.02)
        self.anchor = nn.Linear(2, c.width)
        self.slot = nn.Parameter(torch.randn(c.parts, c.width) * 0.02)
        self.time = nn.Parameter(torch.randn(c.chunks, c.width) * 0.02)
        self.hidden = nn.Embedding(2, c.width)  # 0: every frame of the chunk seen, 1: some frame unseen
        self.seen_xy = nn.Linear(3 * c.chunk, c.width)  # (x, y, seen flag) per frame of the chunk
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.ln = nn.LayerNorm(c.width)
        self.head = nn.Linear(c.width, int(levels.sum()))  # one softmax per FSQ digit
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    def digits(self, tokens: torch.Tensor) -> torch.Tensor:  # (...) long FSQ index -> (..., D) digits
        return (tokens.clamp(min=0)[..., None] // self.basis) % self.levels

    def index(self, digits: torch.Tensor) -> torch.Tensor:  # (..., D) -> (...) FSQ index
        return (digits * self.basis).sum(-1)

    def log_probs(self, logits: torch.Tensor) -> list[torch.Tensor]:  # (..., sum(levels)) -> D x (..., level)
        return [part.log_softmax(-1) for part in logits.split(self.config.levels, dim=-1)]

    def forward(
        self,
        tokens: torch.Tensor,  # (B, P, N) long FSQ index, -1 where [MASK]
        rel: torch.Tensor,  # (B, P, T, 2) coordinates relative to the part's anchor, 0 where not visible
        anchor: torch.Tensor,  # (B, P, 1, 2) the part's anchor (normalised window coordinates)
        visible: torch.Tensor,  # (B, P, T) bool
        present: torch.Tensor,  # (B, P) bool: the slot holds a part
    ) -> torch.Tensor:  # -> logits (B, P, N, sum(levels)): D softmaxes, one per FSQ digit
        """Digit logits at every token; only [MASK]ed tokens are trained and read."""
        c = self.config
        B, Pn, N = tokens.shape
        vis = visible.to(rel.dtype)
        frames = torch.cat([rel * vis[..., None], vis[..., None]], dim=-1)  # (B, P, T, 3)
        frames = rearrange(frames, "b p (n k) f -> b p n (k f)", k=c.chunk)
        hidden = (~rearrange(visible, "b p (n k) -> b p n k", k=c.chunk).all(-1)).long()
        code = self.digit(self.digits(tokens) + self.offsets).sum(-2)
        code = torch.where((tokens < 0)[..., None], self.masked, code)
        x = (code + self.slot[:Pn, None] + self.time[None, :N] + self.hidden(hidden)
             + self.seen_xy(frames) + self.anchor(anchor))
        x = rearrange(x, "b p n w -> b (p n) w")
        keep = rearrange(present[:, :, None].expand(B, Pn, N), "b p n -> b 1 1 (p n)")
        for block in self.blocks:
            x = block(x, keep)
        return rearrange(self.head(self.ln(x)), "b (p n) v -> b p n v", p=Pn)


def mask_ratio(r: torch.Tensor) -> torch.Tensor:
    """MaskGIT's cosine schedule: the fraction of hidden tokens still [MASK]ed at progress r in [0, 1]."""
    return torch.cos(r * math.pi / 2)


def chunk_hidden(visible: torch.Tensor, chunk: int) -> torch.Tensor:  # (B, P, T) -> (B, P, N) bool
    """A chunk is hidden ([MASK]ed at the start of decoding) when any of its frames is not visible."""
    return ~rearrange(visible, "b p (n k) -> b p n k", k=chunk).all(-1)


def token_nll(model: MotionTransformer, logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of `codes` (M,) under digit `logits` (M, sum(levels)): sum over digits."""
    digits = model.digits(codes)
    return -sum(lp.gather(-1, digits[:, d : d + 1]).mean() for d, lp in enumerate(model.log_probs(logits)))


def training_loss(
    model: MotionTransformer,
    codes: torch.Tensor,  # (B, P, N) long: the tokenizer's codes of the truth (relative to the anchors)
    rel: torch.Tensor,  # (B, P, T, 2) truth relative to the part's anchor
    anchor: torch.Tensor,  # (B, P, 1, 2)
    visible: torch.Tensor,  # (B, P, T) bool
    scored: torch.Tensor,  # (B, P, T) bool: hidden from the model, seen in the data
    present: torch.Tensor,  # (B, P) bool
    *,
    generator: torch.Generator | None = None,
    ratio: torch.Tensor | None = None,  # (B,) fraction masked; drawn from the cosine schedule if None
) -> torch.Tensor:
    """MaskGIT's objective: of the hidden chunks, a cosine-scheduled fraction stays [MASK], the rest
    are given their true codes (as if decoded in an earlier step); cross-entropy on the [MASK]ed
    chunks whose frames the data has (a chunk with a frame the data lacks is never revealed nor scored)."""
    c = model.config
    hidden = chunk_hidden(visible, c.chunk) & present[..., None]
    known_truth = ~rearrange(~scored & ~visible, "b p (n k) -> b p n k", k=c.chunk).any(-1)  # every frame seen in data
    if ratio is None:
        ratio = mask_ratio(torch.rand(codes.shape[0], generator=generator))
    # Rank hidden, scoreable chunks by a random key; the lowest `ratio` share stays masked.
    key = torch.rand(codes.shape, generator=generator)
    key = torch.where(hidden & known_truth, key, torch.full_like(key, 2.0))
    n_cand = (hidden & known_truth).flatten(1).sum(1)
    n_mask = torch.ceil(ratio * n_cand).clamp(min=1)
    rank = key.flatten(1).argsort(1).argsort(1).reshape(codes.shape)
    masked = hidden & ((rank < n_mask[:, None, None]) | ~known_truth)
    tokens = torch.where(hidden & ~masked, codes, torch.full_like(codes, model.mask_id))
    tokens = torch.where(hidden, tokens, codes)
    logits = model(tokens, rel * visible[..., None], anchor, visible, present)
    target = masked & known_truth
    if not target.any():
        return logits.sum() * 0.0
    return token_nll(model, logits[target], codes[target])
