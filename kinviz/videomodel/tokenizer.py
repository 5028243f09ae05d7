"""The video tokenizer: a per-frame convolutional autoencoder with an FSQ bottleneck.

Temporal stride is 1 (MAGVIT's 3-D tokenizer compresses time too; we do not): a frame's tokens come
from that frame alone, so hiding a frame means exactly masking its tokens. A 32x32 frame becomes a
4x4 grid of tokens. Each token is an FSQ code (Mentzer et al., 2023) of ``len(levels)`` scalar
digits; the transformer predicts the digits with one small softmax each (token factorisation, as
MAGVIT-v2 does for its large LFQ vocabulary) instead of one softmax over 8**8 codes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from vector_quantize_pytorch import FSQ


@dataclass
class TokenizerConfig:
    size: int = 32  # frame side in pixels
    channels: tuple[int, ...] = (32, 64, 96)  # one stride-2 stage each: 32 -> 16 -> 8 -> 4
    levels: tuple[int, ...] = (8,) * 8  # FSQ levels per digit; 8 digits of 3 bits per token
    blob_weight: float = 30.0  # reconstruction loss weight on blob pixels (objects are a few % of a frame)

    @property
    def grid(self) -> int:
        return self.size // 2 ** len(self.channels)

    @property
    def tokens_per_frame(self) -> int:
        return self.grid**2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TokenizerConfig":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1),
            nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1),
        )

    def forward(self, x):
        return x + self.net(x)


class Tokenizer(nn.Module):
    """frames (B, 3, H, W) in [0, 1] <-> digits (B, h, w, D) integers in [0, level)."""

    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.channels
        n = len(ch)
        # ResBlocks only at the coarse resolutions: full-resolution convolutions dominate CPU time.
        enc: list[nn.Module] = [nn.Conv2d(3, ch[0], 3, padding=1)]
        prev = ch[0]
        for i, c in enumerate(ch):
            enc += [nn.Conv2d(prev, c, 4, stride=2, padding=1)] + ([ResBlock(c)] if i >= n - 2 else [])
            prev = c
        enc += [ResBlock(prev), nn.GroupNorm(8, prev), nn.SiLU(), nn.Conv2d(prev, len(cfg.levels), 1)]
        self.encoder = nn.Sequential(*enc)

        dec: list[nn.Module] = [nn.Conv2d(len(cfg.levels), prev, 3, padding=1), ResBlock(prev)]
        for i, c in enumerate(reversed(ch)):
            dec += ([ResBlock(prev)] if i < 2 else []) + [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(prev, c, 3, padding=1)]
            prev = c
        dec += [nn.GroupNorm(8, prev), nn.SiLU(), nn.Conv2d(prev, 3, 3, padding=1)]
        self.decoder = nn.Sequential(*dec)
        # return_indices=False: FSQ would otherwise materialise its implicit codebook, 8**8 codes
        # x 8 floats (537 MB, 2 s at load); the digits are all the transformer needs.
        self.fsq = FSQ(levels=list(cfg.levels), return_indices=False)
        # A token's code index from its digits, digit 0 varying fastest (FSQ's own order).
        assert math.prod(cfg.levels) < 2**31, f"FSQ code indices are int32: levels {cfg.levels} have too many codes"
        self.register_buffer("basis", torch.tensor([math.prod(cfg.levels[:i]) for i in range(len(cfg.levels))]),
                             persistent=False)

    # -- continuous path (training) ---------------------------------------------------------------
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, 3, H, W) in [0, 1] -> reconstruction logits (B, 3, H, W) via quantised codes."""
        q, _ = self.fsq(self.encoder(frames))  # FSQ takes 4-D input channel-first
        return self.decoder(q)

    def loss(self, frames: torch.Tensor) -> torch.Tensor:
        """Blob-weighted reconstruction loss: BCE on intensities, blob pixels weighted up."""
        return self.weighted_loss(self(frames), frames)

    def weighted_loss(self, logits: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """The loss for reconstruction ``logits`` of ``frames`` (B, 3, H, W), however they were made."""
        w = 1.0 + self.cfg.blob_weight * frames.amax(dim=1, keepdim=True)
        return (w * F.binary_cross_entropy_with_logits(logits, frames, reduction="none")).mean()

    # -- discrete path (the transformer's view) ---------------------------------------------------
    @torch.no_grad()
    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, 3, H, W) in [0, 1] -> digits (B, h, w, D) int64."""
        q, _ = self.fsq(self.encoder(frames))  # (B, D, h, w), each digit on FSQ's grid in [-1, 1]
        return self.digits(q)

    @torch.no_grad()
    def decode(self, digits: torch.Tensor) -> torch.Tensor:
        """digits (B, h, w, D) -> frames (B, 3, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(self.codes(digits)))

    def digits(self, codes: torch.Tensor) -> torch.Tensor:
        """FSQ codes (B, D, h, w) on its grid in [-1, 1] -> digits (B, h, w, D) int64 in [0, level).

        FSQ's public path goes through one code index per token; float64 keeps the index exact."""
        index = self.fsq.codes_to_indices(rearrange(codes, "b d h w -> b h w d").double())  # (B, h, w)
        return self.fsq.indices_to_level_indices(index).long()

    def codes(self, digits: torch.Tensor) -> torch.Tensor:
        """digits (B, h, w, D) -> FSQ codes (B, D, h, w), the inverse of ``digits``."""
        return self.fsq.indices_to_codes((digits * self.basis).sum(-1))  # via code indices (B, h, w)
