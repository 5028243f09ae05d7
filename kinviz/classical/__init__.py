"""The classical fills practitioners trust: the Kalman (RTS) smoother, the simple baselines (linear,
cubic, constant velocity and acceleration) and the fills from co-visible parts. numpy only; reads
``core``; ``inference`` weighs them against the models."""
