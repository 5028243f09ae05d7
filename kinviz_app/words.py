"""What the pages say in words: numbers as people read them, tables marked where one method wins, the
sentences on a run, a benchmark and its headline, and text from outside made safe for markdown. No
Streamlit."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

import kinviz
from kinviz_app import scene, style


def quoted(text: str, limit: int = 40) -> str:
    """Text from outside (a URL's query, a file name) for markdown: printable characters only, cut to
    ``limit``, in a code span, so that it can never become a link, emphasis or a formula."""
    text = "".join(c for c in str(text) if c.isprintable() and c != "`")
    return f"`{text[:limit]}{'…' if len(text) > limit else ''}`"


def plain(text) -> str:
    """A message that may carry text from outside (a file's cell, a typed mask) for markdown: the characters
    that make links, emphasis, code, HTML or formulas escaped, and bare web addresses broken, so it shows as
    written and never becomes a link."""
    text = "".join(c for c in str(text) if c.isprintable())
    text = re.sub(r"([\\`*_\[\]()<>~$|#])", r"\\\1", text)
    return re.sub(r"(?i)(?<=www)\.|(?<=:)//", lambda m: "".join("\\" + c for c in m.group(0)), text)


def objects_words(names: list[str]) -> str:
    """'1 object' for a file with one unnamed object, else '2 objects: ball, cart'."""
    if names == [kinviz.core.trajectory.DEFAULT_NAME]:
        return "1 object"
    return f"{len(names)} object{'s' * (len(names) != 1)}: {', '.join(names)}"


def effect_words(effect: scene.Effect) -> str:
    """One plain sentence: which filled cells are the model's, which the smoother's, and by how much it moved them."""
    classical = "the Kalman smoother's fill"
    if effect.filled == 0:
        return "Nothing was filled."
    if effect.changed == 0:
        return (f"**The model changed none of the {effect.filled} filled cells**: every filled value is {classical} "
                "(the model's drawing agreed with it, or was not trusted over it). The model line is that fill.")
    rest = effect.filled - effect.changed
    return (f"**The model changed {effect.changed} of the {effect.filled} filled cells** (dots on the plots), by up "
            f"to {number(effect.max_shift)} ({number(100 * effect.max_shift / effect.scene)} % of the scene), with "
            f"{effect.mean_share:.0%} of the weight there on average"
            + (f"; the other {rest} are {classical}." if rest else "."))


def number(v: float, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, no exponent (9.934e-05 -> 0.0000993; 12345.6 -> 12,346)."""
    if v is None or not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{min(places, 8)}f}"


def column_decimals(column: str) -> int | None:
    """Decimals a metrics column is shown to: % to 2, dB to 1, SSIM to 3; None for the file's own units
    (each value to 3 significant digits, ``number``: files range from metres to thousands of pixels)."""
    if column.endswith("%"):
        return 2
    if column.startswith("PSNR"):
        return 1
    if column.startswith("SSIM"):
        return 3
    return None


def as_shown(column: str, v: float) -> float:
    """``v`` rounded as the table shows it, so that comparisons are of what people read."""
    d = column_decimals(column)
    if not math.isfinite(v) or v == 0:
        return v
    return round(v, d) if d is not None else float(f"{v:.3g}")


def cell_text(column: str, v: float) -> str:
    d = column_decimals(column)
    return "–" if not math.isfinite(v) else (f"{v:,.{d}f}" if d is not None else number(v))


def best_rows(table: pd.DataFrame, column: str) -> list[str]:
    """The row that is best in ``column`` as displayed (rounded), or [] on a tie at the top."""
    shown = table[column].astype(float).map(lambda v: as_shown(column, v))
    shown = shown[np.isfinite(shown)]
    if len(shown) < 2:
        return []
    best = shown.max() if column.startswith(("PSNR", "SSIM")) else shown.min()
    rows = shown.index[shown == best].tolist()
    return rows if len(rows) == 1 else []


def highlight_best(table: pd.DataFrame, *, images: bool = False):
    """A Styler: each column as people read it (``cell_text``), the best method in bold on green only
    where it beats every other as displayed: never on a tie. PSNR and SSIM are highlighted only when
    ``images``: they compare drawn frames (the model's own, the others' drawn from positions), so they
    differ even where two methods' positions are the same."""
    best = "font-weight: bold; background-color: #dff3e4"
    by_name = {style.name(m): m for m in style.METHODS}
    styler = table.style.format({c: (lambda v, c=c: cell_text(c, v)) for c in table.columns})
    for column in table.columns:
        if column.startswith(("PSNR", "SSIM")) and not images:
            continue
        winners = best_rows(table, column)
        if winners:
            styler = styler.map(lambda _: best, subset=pd.IndexSlice[winners, [column]])
    return styler.map_index(lambda n: f"color: {style.colour(by_name.get(n, n))}; font-weight: bold")


def coinciding(report, task: str) -> list[str]:
    """A sentence for each pair of baselines that gave the same fills on every recording, saying why
    where that holds by definition (linear and constant velocity both extend the last two seen frames
    into a forecast)."""
    ade = report.rows.pivot(index="example", columns="method", values="ade_pct")
    baselines = [m for m in kinviz.BASELINES if m in ade.columns]
    why = {("linear", "constant_velocity"): "both extend the line through the last two seen frames"}
    notes = []
    for i, a in enumerate(baselines):
        for b in baselines[i + 1 :]:
            if np.allclose(ade[a], ade[b], rtol=1e-9, atol=1e-12, equal_nan=True):
                reason = why.get((a, b)) if task == "forecast" else None
                notes.append(f"{style.name(a).capitalize()} and {style.name(b)} score the same here: "
                             + (f"on a forecast they are the same fill by definition ({reason})." if reason
                                else "they gave the same fills on these recordings."))
    return notes


TASK_WORDS = {"interpolate": "Filling a gap in the middle", "forecast": "Continuing past the end",
              "random": "Filling scattered frames", "occlude": "Filling parts of a body lost while others are seen"}


def headline_words(head: dict) -> str:
    """One plain sentence: the model's error against the best classical fill's, in % of the scene's size."""
    task = TASK_WORDS.get(head["task"], head["task"])
    model, best, name = head["model"], head["best_value"], style.name(head["best"])
    outcome = verdict(model, best, 1)
    if outcome == "better":
        verdict_words = f"the model's error is **{1 - model / best:.0%} smaller**"
    elif outcome == "worse":
        verdict_words = f"**{name} is better here** (the model's error is {model / best - 1:.0%} larger)"
    else:
        verdict_words = "**a tie**: the model's fill is the classical one there"
    wins = head.get("wins")
    count = (f" It is closer than every classical fill on **{wins} of {head['examples']}** recordings."
             if isinstance(wins, int) and head.get("examples") else "")
    return (f"**{task}**: the model is off by {model:.1f} % of the scene's size on average, the best classical "
            f"fill ({name}) by {best:.1f} %: {verdict_words}.{count}")


def score_words(table: pd.DataFrame) -> str:
    """One sentence on a run's metrics table: the model's ADE % against the best classical fill's, and
    which is better as shown (a tie is a tie)."""
    ade = table["ADE %"].astype(float)
    model = ade.get(style.name(style.MODEL), np.nan)
    others = ade.drop(index=style.name(style.MODEL)).dropna()
    if not math.isfinite(model) or others.empty:
        return ""
    best = others.idxmin()
    outcome = verdict(model, others[best])
    words = {"better": f"**the model is closer** by {others[best] - model:.2f} points",
             "worse": f"**{best} is closer** by {model - others[best]:.2f} points",
             "tie": "**a tie**: the same error as shown"}[outcome]
    return (f"Mean error over these cells: the model {model:.2f} % of the scene's size, the best classical fill "
            f"({best}) {others[best]:.2f} %: {words}.")


def verdict(model: float, best: float, decimals: int = 2) -> str:
    """'better', 'worse' or 'tie' for a lower-is-better error, compared as displayed (rounded)."""
    m, b = round(model, decimals), round(best, decimals)
    return "tie" if m == b else ("better" if m < b else "worse")
