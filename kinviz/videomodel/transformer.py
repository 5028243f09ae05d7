"""The bidirectional masked-token transformer (MAGVIT / MaskGIT).

Input: every frame's tokens in one sequence, observed frames' tokens given and the rest replaced by
[MASK]; a task embedding (interpolate, forecast, arbitrary) is added to every position. Position is
three learned embeddings, time + row + column, summed. Output: for each token, one distribution per
FSQ digit (see ``tokenizer``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

TASK_IDS = {"interpolate": 0, "forecast": 1, "arbitrary": 2}
RETIRED = ("dropout",)  # settings older checkpoints record that no model used: ignored when loading


@dataclass
class TransformerConfig:
    max_frames: int = 16  # clip length the model sees
    grid: int = 4  # tokens per frame side (the tokenizer's grid)
    digits: int = 8  # FSQ digits per token
    levels: int = 8  # values per digit
    dim: int = 192
    depth: int = 6
    heads: int = 6
    cond: bool = False  # a second token stream: frames where only some parts are hidden, drawn without them


    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TransformerConfig":
        """A checkpoint's record; retired settings are dropped, any other unknown one is a TypeError."""
        return cls(**{k: v for k, v in d.items() if k not in RETIRED})


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.heads = cfg.heads
        self.ln1 = nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self.ln2 = nn.LayerNorm(cfg.dim)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, 4 * cfg.dim), nn.GELU(), nn.Linear(4 * cfg.dim, cfg.dim))

    def forward(self, x: torch.Tensor, pad: torch.Tensor | None) -> torch.Tensor:
        # x (B, N, C); pad (B, N) bool True = padding (never attended to)
        q, k, v = rearrange(self.qkv(self.ln1(x)), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        attn_mask = None if pad is None else ~pad[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        x = x + self.proj(rearrange(y, "b h n d -> b n (h d)"))
        return x + self.mlp(self.ln2(x))


class MaskedTransformer(nn.Module):
    """digits (B, T, h, w, D) with MASK = ``levels`` -> logits (B, T, h, w, D, levels)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.mask_id = cfg.levels
        # One table per digit, summed: a token's embedding is the sum of its digits' embeddings.
        self.digit_emb = nn.Embedding(cfg.digits * (cfg.levels + 1), cfg.dim)
        self.register_buffer("digit_offset", torch.arange(cfg.digits) * (cfg.levels + 1), persistent=False)
        self.time_emb = nn.Parameter(torch.zeros(cfg.max_frames, cfg.dim))
        self.row_emb = nn.Parameter(torch.zeros(cfg.grid, cfg.dim))
        self.col_emb = nn.Parameter(torch.zeros(cfg.grid, cfg.dim))
        self.task_emb = nn.Embedding(len(TASK_IDS), cfg.dim)
        if cfg.cond:
            # The partial frame's digits (hidden parts left out), summed like the tokens' own; ``levels`` = none.
            # Zero at the start, so a model fine-tuned from one without it begins as that model.
            self.cond_emb = nn.Embedding(cfg.digits * (cfg.levels + 1), cfg.dim)
        for p in (self.time_emb, self.row_emb, self.col_emb):
            nn.init.normal_(p, std=0.02)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.ln_f = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.digits * cfg.levels)
        self.apply(self._init)
        if cfg.cond:
            nn.init.zeros_(self.cond_emb.weight)

    @staticmethod
    def _init(m: nn.Module):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(
        self,
        digits: torch.Tensor,  # (B, T, h, w, D) int64 in [0, levels], levels = MASK
        task: torch.Tensor,  # (B,) int64 task ids
        frame_pad: torch.Tensor | None = None,  # (B, T) bool, True = padding frame beyond the clip
        cond: torch.Tensor | None = None,  # (B, T, h, w, D) int64: partial frames' digits, ``levels`` = none
    ) -> torch.Tensor:  # (B, T, h, w, D, levels) logits
        B, T, h, w, D = digits.shape
        assert T <= self.cfg.max_frames, f"clip of {T} frames exceeds the model's {self.cfg.max_frames}"
        x = self.digit_emb(digits + self.digit_offset).sum(-2)  # (B, T, h, w, C)
        x = x + self.time_emb[:T, None, None] + self.row_emb[None, :h, None] + self.col_emb[None, None, :w]
        x = x + self.task_emb(task)[:, None, None, None]
        if cond is not None and self.cfg.cond:
            x = x + self.cond_emb(cond + self.digit_offset).sum(-2)
        x = rearrange(x, "b t h w c -> b (t h w) c")
        pad = None
        if frame_pad is not None:
            pad = frame_pad[:, :, None].expand(B, T, h * w).reshape(B, T * h * w)
        for block in self.blocks:
            x = block(x, pad)
        logits = self.head(self.ln_f(x))
        return rearrange(logits, "b (t h w) (d l) -> b t h w d l", t=T, h=h, w=w, d=D)


def cosine_mask_ratio(r: torch.Tensor | float) -> torch.Tensor | float:
    """MaskGIT's cosine schedule: fraction of target tokens still masked at progress r in [0, 1]."""
    if isinstance(r, torch.Tensor):
        return torch.cos(r * math.pi / 2)
    return math.cos(r * math.pi / 2)

def task_of(hidden: np.ndarray) -> str:
    """The task token for a hidden-frame pattern: one inner gap, one trailing gap, or anything else."""
    idx = np.flatnonzero(hidden)
    if len(idx) == 0 or idx[-1] - idx[0] + 1 != len(idx):
        return "arbitrary"
    if idx[-1] == len(hidden) - 1 and idx[0] > 0:
        return "forecast"
    if idx[0] > 0:
        return "interpolate"
    return "arbitrary"
