"""Trace styles and legend entries of the run's figures (``figures``): one line per method, one colour per part, and
which legend entry a click switches. No Streamlit.

With one part each method is a legend entry of its own. With several, a part's recording and kinviz's fill share
the part's entry (a click hides both), and each other fill has one entry over every part, in a grey key of the line
styles: a click there draws or hides that fill in the browser, with no rerun of the page (a widget that changed the
figure made Streamlit draw the plot again from nothing, 1.8-2.2 s on a 7,200-frame file).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import kinviz
from kinviz_app import style

BASELINE_DASH = ("dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px")
BAND_LABEL = "uncertainty (about 95 %)"
# Legend order with several parts: the parts first (what a click there hides), then the key of the lines (where a
# click draws or hides another fill), the band last.
PART_RANK, KEY_RANK, BAND_RANK = 1, 1000, 2000


def line(method: str) -> dict:
    """A method's trace style: ground truth solid, the model solid and thick, baselines dashed on top."""
    width = 3 if method == style.MODEL else 2
    return dict(line=dict(color=style.colour(method), width=width,
                          **({} if method in (style.TRUTH, style.MODEL) else {"dash": "dash"})))


def part_line(method: str, colour: str, order: int) -> dict:
    """With several parts the colour says which part and the line which method: truth thin, the model
    thick, each baseline its own dash."""
    if method == style.TRUTH:
        return dict(line=dict(color=colour, width=1.5), opacity=0.55)
    if method == style.MODEL:
        return dict(line=dict(color=colour, width=3))
    return dict(line=dict(color=colour, width=1.5, dash=BASELINE_DASH[order % len(BASELINE_DASH)]))


class Styles:
    """Trace styles and legend entries for a figure: by method (one part) or by part and method (several)."""

    def __init__(self, fig: go.Figure, traj: kinviz.Trajectory, baselines: dict, drawn: list[str], off=()):
        self.fig, self.names, self.many = fig, traj.names, traj.n_objects > 1
        self.colours = style.part_colours(traj.names, drawn)
        self.order = {m: i for i, m in enumerate(baselines)}
        self.off = set(off)  # other fills drawn switched off: a click on their legend entry draws them
        self.shown: set[str] = set()
        if self.many:  # a key for the line styles, in grey; the parts get their own entries
            for i, method in enumerate([style.TRUTH, style.MODEL, *baselines]):
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=style.name(method),
                                         legendgroup=self.group(method), visible=self.visible(method),
                                         legendrank=KEY_RANK + i,
                                         legendgrouptitle_text="line" if not self.shown else None,
                                         **part_line(method, "#555", self.order.get(method, 0))))
                self.shown.add("methods")

    @staticmethod
    def group(method: str) -> str:
        """A part's recording and kinviz's fill share the part's legend entry; each other fill has one of its own
        (over every part), so a click there draws or hides it in the browser, with no rerun of the page."""
        return "methods" if method in (style.TRUTH, style.MODEL) else f"fill:{method}"

    def visible(self, method: str):
        return "legendonly" if method in self.off else True

    def colour(self, k: int) -> str:
        return self.colours[self.names[k]] if self.many else style.colour(style.MODEL)

    def __call__(self, method: str, k: int) -> dict:
        """Keyword arguments for one part's trace of one method (name, legend, line)."""
        label = style.name(method)
        if not self.many:
            kw = dict(name=label, legendgroup=label, showlegend=label not in self.shown, visible=self.visible(method),
                      **line(method))
            self.shown.add(label)
            return kw
        part = self.names[k]
        own = method in (style.TRUTH, style.MODEL)  # in the part's legend entry, else in the fill's
        kw = dict(name=part if own else f"{part} · {label}", legendgroup=f"part:{part}" if own else self.group(method),
                  legendrank=PART_RANK + k if own else KEY_RANK + 1 + self.order.get(method, 0),
                  showlegend=method == style.TRUTH and part not in self.shown, visible=self.visible(method),
                  **part_line(method, self.colours[part], self.order.get(method, 0)))
        if method == style.TRUTH:
            self.shown.add(part)
        return kw

    def skip(self, method: str, y) -> bool:
        """True for another fill's trace with nothing to draw on this part (several parts: the fills are drawn
        only where frames were hidden, so most parts have none): its key entry stands for it in the legend. On
        a 5,700 x 14 file with one part hidden, 168 of the coordinates' 254 traces were such empty ones."""
        return self.many and method not in (style.TRUTH, style.MODEL) and not np.isfinite(np.asarray(y, float)).any()

    def band(self, k: int) -> str:
        return style.MODEL_BAND if not self.many else style.rgba(self.colour(k), 0.18)

    def legend(self) -> dict:
        if self.many:  # parts down the right
            return dict(orientation="v", x=1.01, y=1, yanchor="top", groupclick="togglegroup", tracegroupgap=4,
                        traceorder="grouped")  # a filled band would otherwise reverse the order
        return dict(orientation="h", y=1.02, yanchor="bottom", x=0, traceorder="normal")
