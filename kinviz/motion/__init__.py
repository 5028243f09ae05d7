"""kinviz.motion: a MAGVIT-recipe motion model on coordinates, trained on real tracks (issue 29 part 3).

Where the video model (`kinviz.videomodel`) draws parts as blobs and reads them back, this model
tokenises coordinates directly: `data` cuts real tracks into 64-frame windows of up to 8 parts,
`tokenizer` turns each part's 4-frame chunks into FSQ codes, `transformer` predicts hidden chunks'
codes (MaskGIT's objective), `decode` samples them (`MotionModel.fill`), `train` trains and
`evaluate` compares it with linear interpolation on the validation split. The classical fills
live in `kinviz.classical`.

    from kinviz.motion import MotionModel
    mean, var = MotionModel.load().fill(times, known, samples=8, seed=0)  # known (T, K, 2), NaN unseen
"""

from .decode import MotionModel
from .tokenizer import Tokenizer, TokenizerConfig
from .transformer import MotionTransformer, TransformerConfig

__all__ = ["MotionModel", "MotionTransformer", "Tokenizer", "TokenizerConfig", "TransformerConfig"]
