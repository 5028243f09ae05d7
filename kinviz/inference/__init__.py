"""Filling a file: ``Predictor`` plans the model's windows, fuses its samples with the classical fills by
calibrated variance (``fusion``), and ``batch`` runs whole folders. Reads ``core``, ``classical`` and the
models (``video``, ``motion``); ``evaluation`` and the front doors call it."""
