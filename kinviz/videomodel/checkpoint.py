"""Checkpoints: tensors in safetensors, everything else in JSON beside them. Nothing is unpickled.

``NAME.safetensors`` holds the tokenizer's and the transformer's weights (prefixed ``tokenizer.``
and ``transformer.``); ``NAME.json`` holds both configs, the decoding settings, the training record
(loss curve, time, data recipe), measured metrics and the SHA-256 of the tensor file, so a
truncated or altered file is refused before it is parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..core.errors import CheckpointError
from .view import VIEWS
from .tokenizer import Tokenizer, TokenizerConfig
from .transformer import MaskedTransformer, TransformerConfig

FORMAT = "kinviz-magvit/1"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "checkpoints" / "kinviz-magvit.safetensors"
ENV_VAR = "KINVIZ_CHECKPOINT"  # points the app, CLI and tests at another checkpoint


def default_path() -> Path:
    """$KINVIZ_CHECKPOINT when set, else the bundled checkpoint."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


@dataclass(frozen=True)
class Decoding:
    """Every decoding setting, as the checkpoint records them (``meta["decoding"]``).

    The fusion (``fusion.fuse``) weighs the model's sampled fill against the Kalman smoother's by
    their variances; the model's variance is ``model_scale`` times its samples' spread plus
    ``pixel_floor`` squared pixels of the view it drew in, one pair for inner gaps and one for gaps
    at either end, where the smoother only extrapolates (``kinviz.training.tune`` picks all four).

    Samples are split the same way: an inner gap, where the smoother carries most of the fill, needs
    fewer than a forecast, where the model does the work (``scripts/decoding_cost.py`` measured
    both). Inner gaps shorter than ``min_inner_gap`` frames are not decoded at all: there the model
    added nothing to the smoother (``scripts/gap_length.py``)."""

    # The defaults are the shipped model's (``checkpoints/kinviz-magvit.json``), so a record without a
    # setting decodes as the shipped model does.
    steps: int = 12  # MaskGIT steps (MAGVIT and MaskGIT use 12; fewer made the fills jagged)
    samples: int = 2  # sampled fills per window around an inner gap (scripts/decoding_cost.py)
    samples_end: int = 8  # the same for a window at either end, where the model does the work
    min_inner_gap: int = 9  # inner gaps shorter than this get no window: the smoother fills them alone (scripts/gap_length.py)
    temperature: float = 1.0
    choice_temperature: float = 4.5  # MaskGIT's Gumbel noise on the confidence, annealed to 0
    straight: float = 0.2  # the gate: forecasts whose visible motion bends at most this (``view.bend``) ride a line
    fit: int = 4  # visible frames the gate's line is fitted to
    model_scale: float = 1.0  # calibration of the samples' variance against the smoother's, inner gaps (``tune``)
    pixel_floor: float = 4.0  # the model's least uncertainty, in pixels of its view, inner gaps
    model_scale_end: float = 0.125  # the same for gaps at either end (forecasts, backcasts)
    pixel_floor_end: float = 2.0
    covisible_scale: float = 1.77  # the co-visible fit's misfit variance, calibrated (``covisible.fill``)
    band_scale: float = 1.48  # the fill's variance times this gives the shown band (calibrated coverage, ``tune``)
    band_scale_end: float = 9.99  # the same for gaps at either end

    def samples_for(self, inner: bool) -> int:
        """Samples per window around an inner gap, or a gap at either end."""
        return self.samples if inner else self.samples_end

    def calibration(self, inner: bool) -> tuple[float, float]:
        """(model_scale, pixel_floor) for an inner gap or a gap at either end."""
        return (self.model_scale, self.pixel_floor) if inner else (self.model_scale_end, self.pixel_floor_end)

    @classmethod
    def from_dict(cls, d: dict) -> "Decoding":
        """A record's settings; an unknown one is refused (a misspelt setting must not pass silently)."""
        names = {f.name: f.type for f in fields(cls)}
        if unknown := sorted(set(d) - set(names)):
            raise CheckpointError(f"the checkpoint's decoding has unknown settings ({', '.join(unknown)}); "
                                  "it was written by another version of kinviz")
        return cls(**{k: (int(v) if names[k] == "int" else float(v)) for k, v in d.items()})


@dataclass
class Model:
    """A loaded model: both networks and the record that came with them."""

    tokenizer: Tokenizer
    transformer: MaskedTransformer
    meta: dict = field(default_factory=dict)

    @property
    def decoding(self) -> Decoding:
        return Decoding.from_dict(self.meta.get("decoding", {}))

    def n_params(self) -> dict[str, int]:
        count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
        return {"tokenizer": count(self.tokenizer), "transformer": count(self.transformer)}


SETTINGS = ("tokenizer", "transformer", "decoding", "view")  # the record's parts that change what the model does


def settings_hash(meta: dict) -> str:
    """SHA-256 of the settings that change what a checkpoint does, canonical JSON: an edited record is refused."""
    chosen = {k: meta.get(k) for k in SETTINGS}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True, default=float).encode()).hexdigest()


def write_json(path: Path, meta: dict) -> None:
    """Write a JSON record atomically (a temporary file, then a rename): a running app never reads half a file.
    The record's settings hash is written with it (``settings_hash``)."""
    meta = dict(meta, settings_sha256=settings_hash(meta))
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1, default=float))
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def json_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def save_checkpoint(path: str | Path, tokenizer: Tokenizer, transformer: MaskedTransformer | None, meta: dict) -> Path:
    """Write NAME.safetensors and NAME.json; a missing transformer (tokenizer stage) is allowed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"tokenizer.{k}": v.detach().cpu().contiguous() for k, v in tokenizer.state_dict().items()}
    if transformer is not None:
        tensors |= {f"transformer.{k}": v.detach().cpu().contiguous() for k, v in transformer.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path)  # atomic: a crash mid-write never leaves a half file under the real name
    meta = dict(meta, format=FORMAT, tokenizer=tokenizer.cfg.to_dict(), sha256=_sha256(path))
    if transformer is not None:
        meta["transformer"] = transformer.cfg.to_dict()
    write_json(json_path(path), meta)
    return path


def read_meta(path: str | Path | None = None) -> dict:
    """The JSON record of a checkpoint, checked for format."""
    path = Path(path or default_path())
    jp = json_path(path)
    if not jp.exists() or not path.exists():
        raise CheckpointError(f"no checkpoint at {path}: expected {path.name} and {jp.name} side by side")
    try:
        meta = json.loads(jp.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint record {jp.name} is not valid JSON ({e}); re-download or retrain") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{jp.name} is not a {FORMAT} checkpoint record")
    if meta.get("view", "tracking") not in VIEWS:
        raise CheckpointError(f"{jp.name} asks for the view {meta['view']!r}; this version of kinviz draws {' or '.join(VIEWS)}")
    return meta


def load_checkpoint(path: str | Path | None = None, *, device: str = "cpu", need_transformer: bool = True) -> Model:
    """Load a checkpoint for inference (eval mode). Corrupt or mismatched files raise CheckpointError."""
    path = Path(path or default_path())
    meta = read_meta(path)
    if meta.get("sha256") != _sha256(path):
        raise CheckpointError(f"{path.name} does not match its record's checksum: the file is truncated or altered")
    if meta.get("settings_sha256") != settings_hash(meta):
        raise CheckpointError(f"{json_path(path).name}'s settings do not match their checksum: the record was edited; "
                              "change settings with `python -m kinviz tune --write`")
    try:
        tensors = load_file(str(path), device="cpu")
        tokenizer = Tokenizer(TokenizerConfig.from_dict(meta["tokenizer"]))
        tokenizer.load_state_dict({k[10:]: v for k, v in tensors.items() if k.startswith("tokenizer.")})
        transformer = None
        if need_transformer or "transformer" in meta:
            if "transformer" not in meta:
                raise CheckpointError(f"{path.name} holds only a tokenizer; train the transformer stage first")
            transformer = MaskedTransformer(TransformerConfig.from_dict(meta["transformer"]))
            transformer.load_state_dict({k[12:]: v for k, v in tensors.items() if k.startswith("transformer.")})
    except CheckpointError:
        raise
    except (SafetensorError, RuntimeError, KeyError, TypeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path.name} does not fit this version of kinviz: {first}") from None
    model = Model(tokenizer.to(device).eval(), transformer.to(device).eval() if transformer else None, meta)
    return model


def resolve_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise CheckpointError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise CheckpointError(f"unknown device '{device}': use auto, cpu or cuda")
    return device
