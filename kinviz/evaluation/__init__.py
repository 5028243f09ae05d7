"""Scoring fills: ``score``/``evaluate`` against every baseline (with ``core.metrics``, on hidden cells,
and the videos of ``inference.display``), and the benchmark's measurements. The top floor of the
library: reads the floors below it (``inference`` for the fill, ``training``'s splits and simulators
for the benchmark); the front doors and the app call it."""
