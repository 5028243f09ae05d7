"""Filling a file: ``Predictor`` plans the model's windows, fuses its samples with the classical fills by
calibrated variance (``fusion``), ``display`` draws a ``Prediction`` as videos for people (in the video
model's ``render``), and ``batch`` runs whole folders. Reads ``core``, ``io``, ``classical`` and the models
(``videomodel``, ``motion``); ``evaluation`` and the front doors call it."""
