"""The video model: trajectories drawn as 32x32 frames (``render``, ``view``), a per-frame FSQ tokenizer,
a bidirectional transformer over frame tokens, MaskGIT decoding, its checkpoint, and the grouping and
windows that cut a file into clips. Reads ``core`` and ``classical``; ``inference`` drives it (and
draws its predictions for people in ``inference.display``)."""
