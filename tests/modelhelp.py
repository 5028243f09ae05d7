"""Helpers shared by the tests of the model machinery (tests/test_model*.py)."""

import numpy as np

import kinviz


def simulated(n=40, k=2, seed=0):
    """A simulated collision (k > 1) or projectile of n frames, its first k objects."""
    rng = np.random.default_rng(seed)
    s = kinviz.training.generate.simulate("collision" if k > 1 else "projectile", rng, n_frames=n)
    return kinviz.from_arrays(s.times, s.positions[:, :k])
