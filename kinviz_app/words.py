"""What the pages say in words: numbers as people read them, tables marked where one method wins, the
sentences on a run, a benchmark and its headline, and text from outside made safe for markdown. No
Streamlit."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

import kinviz
from kinviz.evaluation.quality import verdict as paired_verdict
from kinviz.inference.prediction import PRIOR
from kinviz_app import style


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


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


MODELS = tuple(m for m in kinviz.METHODS if m not in kinviz.BASELINES and m != style.MODEL)  # a learnt model's fills


def composition_words(composition: dict[str, int], *, short: bool = False) -> str:
    """Which method filled how many cells, every one named as people read it: '412 cells: 300 by co-visible
    regression, 112 by Kalman smoother'. ``short``: without the total."""
    total = sum(composition.values())
    if not total:
        return "no cell filled"
    parts = sorted(composition.items(), key=lambda kv: -kv[1])
    if len(parts) == 1:  # names as the tables write them, with no article: 'linear' reads as itself
        text = f"all by {style.name(parts[0][0])}"
    else:
        text = ", ".join(f"{n} by {style.name(m)}" for m, n in parts)
    return text if short else f"{total} cell{'s' * (total != 1)}: {text}"


def fill_words(composition: dict[str, int], expected, probes: int, units: str = "in the file's units") -> str:
    """The run's fill in plain words: its composition (``Prediction.composition``), whether a model drew any of
    it, why the video model's classical prior filled cells alone, the expected error (``results.Expected``) from
    the self-check's ``probes`` stretches."""
    text = f"**kinviz filled {composition_words(composition)}.** "
    too_few = (f"the self-check measured too few stretches of this file like these gaps ({probes or 'none'} in all) to "
               "choose, and leaves them to the Kalman smoother, the fill that always answers")
    if composition and not any(m in MODELS for m in composition):
        text += "No model filled any cell: " + (
            "the classical fills won on this file (they came closer on its probes). " if expected.measured
            else too_few + ". ")
    if PRIOR in composition:
        text += PRIOR_WORDS + " "
    if expected.mean is None:
        text += ("It gives no expected error: " + too_few + "." if any(m in MODELS + (PRIOR,) for m in composition)
                 else "So there is no expected error to give.")
    else:
        where = "" if expected.measured == expected.filled else \
            f" (for {expected.measured} of the {expected.filled} cells; for the rest {too_few})"
        text += (f"Expected error, measured on stretches of your file like these: **about {number(expected.mean, 2)}** "
                 f"{units}{where}.")
    return text


# Why cells are the video model's classical prior's alone (``kinviz.inference.prediction.PRIOR``).
PRIOR_WORDS = (f"Where {style.name('video')} came closest on the probes but the model drew nothing, its classical "
               "prior alone filled the gap (the Kalman smoother pooled with the co-visible parts' fit): the model draws "
               "only the longer inner gaps (``min_inner_gap`` on the Model page) and those at either end, and its "
               "drawing stands only where it can be read.")


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
    """One plain sentence: kinviz's error against the best classical fill's, in % of the scene's size; "not
    measured" for what the record lacks."""
    task = TASK_WORDS.get(head["task"], head["task"])
    model, best = head.get("model"), head.get("best_value")
    if model is None:
        return f"**{task}**: kinviz's fill is not measured in this model's record."
    if best is None:
        return (f"**{task}**: kinviz is off by {model:.1f} % of the scene's size on average; the classical fills "
                "are not measured in this model's record.")
    name = style.name(head["best"])
    outcome = verdict(model, best, 1)
    paired = head.get("paired")
    if outcome != "tie" and isinstance(paired, dict) and paired_verdict(paired).startswith("no difference"):
        outcome = "noise"  # the means differ, recording by recording not beyond one standard error
    if outcome == "noise":
        verdict_words = (f"**no difference beyond the noise** (kinviz minus {name}, recording by recording: "
                         f"{paired['mean']:+.2f} ± {paired['se']:.2f} points)")
    elif outcome == "better":
        verdict_words = f"kinviz's error is **{1 - model / best:.0%} smaller**"
    elif outcome == "worse":
        verdict_words = f"**{name} is better here** (kinviz's error is {model / best - 1:.0%} larger)"
    else:
        verdict_words = "**a tie**: kinviz's fill is the classical one there"
    wins = head.get("wins")
    count = (f" It is closer than every classical fill on **{wins} of {head['examples']}** recordings."
             if isinstance(wins, int) and head.get("examples") else "")
    return (f"**{task}**: kinviz is off by {model:.1f} % of the scene's size on average, the best classical "
            f"fill ({name}) by {best:.1f} %: {verdict_words}.{count}")


def score_words(table: pd.DataFrame) -> str:
    """One sentence on a run's metrics table: kinviz's ADE % against the best classical fill's, and which is
    better as shown (a tie is a tie)."""
    ade = table["ADE %"].astype(float)
    model = ade.get(style.name(style.MODEL), np.nan)
    classical = {style.name(m) for m in kinviz.BASELINES}
    others = ade[[n in classical for n in ade.index]].dropna()
    if not math.isfinite(model) or others.empty:
        return ""
    best = others.idxmin()
    outcome = verdict(model, others[best])
    words = {"better": f"**kinviz is closer** by {others[best] - model:.2f} points",
             "worse": f"**{best} is closer** by {model - others[best]:.2f} points",
             "tie": "**a tie**: the same error as shown"}[outcome]
    return (f"Mean error over these cells: kinviz {model:.2f} % of the scene's size, the best classical fill "
            f"({best}) {others[best]:.2f} %: {words}.")


def promise_words(expected: float | None, measured: float, cells: int, scored: int) -> str:
    """The self-check's expected error on the scored cells beside kinviz's error there (both in the file's units):
    how far its promise held on this run. ``cells``: the scored cells with an expected error, of ``scored``."""
    if expected is None or not math.isfinite(expected) or not math.isfinite(measured) or measured <= 0:
        return ""
    ratio = expected / measured
    held = ("within the factor 1.5 it aims for" if 1 / 1.5 <= ratio <= 1.5 else
            f"its promise was {number(ratio, 2)}x the error" if ratio > 1 else f"the error was {number(1 / ratio, 2)}x its promise")
    some = "" if cells == scored else f" ({cells} of the {scored} cells; for the rest it measured nothing like them)"
    return (f"On these cells the self-check expected an error of about {number(expected)}{some}; kinviz's was "
            f"{number(measured)} (the file's units): {held}.")


def same_fills(table: pd.DataFrame) -> str:
    """A sentence naming the rows of a run's metrics table that gave the same fill of the scored cells (every
    error the same), so identical rows read as what they are; '' when none coincide."""
    cols = [c for c in ("ADE", "FDE") if c in table.columns]
    groups: dict[tuple, list[str]] = {}
    for name, row in table[cols].astype(float).iterrows():
        groups.setdefault(tuple(np.round(row.to_numpy(), 9)), []).append(str(name))
    same = [names for names in groups.values() if len(names) > 1]
    if not same:
        return ""
    listed = "; ".join(", ".join(names[:-1]) + f" and {names[-1]}" for names in same)
    return (f"The same errors to the last digit, so the same fill of these cells: {listed} (a model that is not "
            "asked for some cells leaves them to the classical fill it falls back on).")


def verdict(model: float, best: float, decimals: int = 2) -> str:
    """'better', 'worse' or 'tie' for a lower-is-better error, compared as displayed (rounded)."""
    m, b = round(model, decimals), round(best, decimals)
    return "tie" if m == b else ("better" if m < b else "worse")
