"""Motion-model checkpoints: tensors in `<stem>.safetensors`, config and training record in `<stem>.json`.

No pickle. One function loads a checkpoint for decoding, training (`--resume`) and the tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors.torch import load_file, save_file

from ..core.errors import CheckpointError
from .tokenizer import Tokenizer, TokenizerConfig
from .transformer import MotionTransformer, TransformerConfig

DEFAULT_STEM = Path(__file__).resolve().parents[2] / "checkpoints" / "kinviz-motion"


def save(stem: Path | str, tokenizer: Tokenizer, transformer: MotionTransformer, record: dict) -> None:
    """Write `<stem>.safetensors` and `<stem>.json` (configs + `record`), each atomically."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"tokenizer.{k}": v.detach().contiguous() for k, v in tokenizer.state_dict().items()}
    tensors |= {f"transformer.{k}": v.detach().contiguous() for k, v in transformer.state_dict().items()}
    meta = {"tokenizer": tokenizer.config.to_dict(), "transformer": transformer.config.to_dict(), **record}
    for suffix, write in ((".safetensors", lambda p: save_file(tensors, p)),
                          (".json", lambda p: Path(p).write_text(json.dumps(meta, indent=1) + "\n"))):
        tmp = str(stem) + suffix + ".tmp"
        write(tmp)
        os.replace(tmp, str(stem) + suffix)


def load(stem: Path | str | None = None) -> tuple[Tokenizer, MotionTransformer, dict]:
    """(tokenizer, transformer, meta) from `<stem>.safetensors` + `<stem>.json`, both in eval mode."""
    stem = Path(stem) if stem is not None else DEFAULT_STEM
    stem = stem.with_suffix("") if stem.suffix in (".safetensors", ".json") else stem
    weights, meta_path = Path(str(stem) + ".safetensors"), Path(str(stem) + ".json")
    if not weights.exists() or not meta_path.exists():
        raise CheckpointError(f"no motion checkpoint at {stem}(.safetensors/.json): train one with "
                              "`python -m kinviz.motion.train --out checkpoints/kinviz-motion`")
    meta = json.loads(meta_path.read_text())
    tokenizer = Tokenizer(TokenizerConfig(**meta["tokenizer"]))
    transformer = MotionTransformer(TransformerConfig(**meta["transformer"]))
    tensors = load_file(str(weights))
    try:
        for prefix, module in (("tokenizer.", tokenizer), ("transformer.", transformer)):
            module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    except RuntimeError as e:
        raise CheckpointError(f"{weights} does not match its config in {meta_path}: {str(e).splitlines()[0]}") from e
    return tokenizer.eval(), transformer.eval(), meta

