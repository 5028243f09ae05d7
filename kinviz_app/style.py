"""One human name and one colour per method, used by every plot, table and legend in the app.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); ground truth is
near-black so that the methods stand out against it. Objects keep their own colours in the frames
(kinviz's display palette); in the charts the colour says *which method*, never which object.
"""

from __future__ import annotations

import plotly.colors

import kinviz

TRUTH = "truth"
MODEL = next(m for m in kinviz.METHODS if m not in kinviz.BASELINES)  # the fused fill, whatever kinviz keys it
COLOURS = {TRUTH: "#1b1f24", MODEL: "#d55e00", "video": "#e69f00", "video_alone": "#c9a227", "motion": "#aa4499",
           "kalman": "#0072b2", "regression": "#882255", "pca": "#999933", "covisible": "#6a3d9a",
           "linear": "#009e73", "cubic": "#cc79a7", "hold": "#44aa99", "constant_velocity": "#56b4e9",
           "constant_acceleration": "#8c6d31", "prior": "#b8860b"}  # grey (#7f7f7f) is for parts not drawn: no method's colour
SPARE_COLOURS = ("#332288", "#117733", "#661100", "#6699cc", "#888888")  # Paul Tol's, for methods added later
COLOURS |= dict(zip([m for m in kinviz.METHODS if m not in COLOURS], SPARE_COLOURS))
# key as kinviz names it -> (what people read, colour); the names are kinviz's own (kinviz.METHOD_NAMES)
NAMES = {TRUTH: "ground truth"} | kinviz.SOURCE_NAMES
METHODS = {m: (NAMES[m], c) for m, c in COLOURS.items()}
OTHER_COLOUR = "#7f7f7f"
DEFAULT_BASELINES = ("video", "kalman", "linear")  # drawn beside kinviz's fill until the user picks others
BAND_SD = 2  # the model's uncertainty band: fill ± this many standard deviations (about 95 % if Gaussian)
MODEL_BAND = "rgba(213, 94, 0, 0.18)"  # the model's colour, translucent
HIDDEN_RGB = (255, 176, 0)  # amber: frames the user hid, in strips, GIFs, the timeline and shaded spans
HIDDEN_FILL = "rgba(255, 176, 0, 0.15)"
MISSING_RGB = "#d62728"
# With several parts the charts colour parts: the first drawn parts get plotly's D3 colours without its grey
# (told apart at a glance), more parts take Dark24's that are not too close to those.
PART_COLOURS = [c for c in plotly.colors.qualitative.D3 if c != "#7F7F7F"] + \
    ["#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100"]


def name(method: str) -> str:
    """'constant_velocity' -> 'constant velocity'; unknown keys lose their underscores."""
    return METHODS.get(method, (method.replace("_", " "), ""))[0]


def colour(method: str) -> str:
    return METHODS.get(method, ("", OTHER_COLOUR))[1]


def default_baselines() -> list[str]:
    """The fills drawn beside kinviz's by default: the video model's, the Kalman smoother's and linear (those kinviz has)."""
    return [m for m in DEFAULT_BASELINES if m in kinviz.METHODS]


def part_colours(names: list[str], drawn: list[str]) -> dict[str, str]:
    """Each drawn part's colour, in the order drawn (so the few drawn get the most distinct colours);
    the parts not drawn are grey."""
    order = {n: i for i, n in enumerate(drawn)}
    return {n: PART_COLOURS[order[n] % len(PART_COLOURS)] if n in order else OTHER_COLOUR for n in names}


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"
