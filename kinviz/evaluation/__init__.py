"""Scoring fills: metrics on hidden cells, ``score``/``evaluate`` against every baseline, and the
benchmark's measurements. The top floor of the library: reads ``inference`` and ``training``'s splits."""
