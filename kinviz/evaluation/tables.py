"""The benchmark's Markdown tables, from its rows and from the record's summaries (``quality.summary``).

Only formatting: every figure is computed in ``quality``, ``real``, ``speed`` or ``ablate``; the same
functions write the tables that ``bench`` prints and the ones ``tools/record.py`` puts in the docs.
"""

from __future__ import annotations

import numpy as np

from ..classical.baselines import BASELINES
from .evaluate import METHOD_NAMES, METHODS
from .quality import ALL_TASKS, CALIBRATION_Z, SOURCES, best_baseline, mean_of, se_of, verdict


def shown(rows: list[dict]) -> list[str]:
    """The methods with a figure in ``rows`` (the motion model only where it is shipped)."""
    return [m for m in METHODS if np.isfinite(mean_of(rows, f"{m}_ade"))]


def quality_table(rows: list[dict], title: str) -> str:
    """Markdown: group x task, mean ADE % per method (± s.e. on the 'all' rows), and kinviz over the best
    classical baseline."""
    methods = shown(rows)
    lines = [f"**{title}** — ADE % of the scene diagonal, mean over trajectories (± s.e. on the **all** rows); "
             "lower is better", "",
             "| group | task | n | " + " | ".join(methods) + " | best baseline | kinviz / best |",
             "|---|---|---|" + "---|" * len(methods) + "---|---|"]
    for task in ALL_TASKS:
        for g in sorted({r["group"] for r in rows}) + ["all"]:
            sub = [r for r in rows if r["task"] == task and (g == "all" or r["group"] == g)]
            if not sub:
                continue
            se = g == "all"
            cells = [f"{mean_of(sub, f'{m}_ade'):.2f}" + (f" ± {se_of(sub, f'{m}_ade'):.2f}" if se and len(sub) > 1 else "")
                     for m in methods]
            best = best_baseline(sub)
            ratio = mean_of(sub, "kinviz_ade") / max(mean_of(sub, f"{best}_ade"), 1e-12)
            name = f"**{g}**" if g == "all" else g
            lines.append(f"| {name} | {task} | {len(sub)} | " + " | ".join(cells) + f" | {best} | {ratio:.2f}x |")
    return "\n".join(lines)


def paired_table(record: dict) -> str:
    """Markdown of the record's paired comparisons: per split and task, kinviz and each model against the
    best classical baseline, trajectory by trajectory."""
    lines = ["**Paired against the best classical baseline** — method minus baseline, ADE % per trajectory "
             "(mean ± s.e.); wins and losses count trajectories where it is closer or further by 0.01 points or "
             "more (a tie is neither)", "",
             "| split | task | method | against | n | difference | method / baseline (mean ADE) | wins | losses | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for split, tasks in record.items():
        for task, s in tasks.items():
            for p in s["paired"]:
                lines.append(f"| {split} | {task} | {p['method']} | {p['against']} | {p['n']} | {p['mean']:+.2f} ± "
                             f"{p['se']:.2f} | {p['ratio']:.2f}x | {p['wins']} | {p['losses']} | {verdict(p)} |")
    return "\n".join(lines)


def checks_table(record: dict) -> str:
    """Markdown: per split and task, the self-check's expected error against the measured error, the band's
    coverage, each candidate's share of the kinviz fill and the time per fill."""
    sources = [m for m in SOURCES if any(m in s["shares"] for t in record.values() for s in t.values())]
    lines = [f"**The self-check and the fill** — the expected error kinviz gives with its fill against the error "
             f"measured, per trajectory or stretch: the share within a factor 1.5 and the median of expected / "
             f"measured (1 = as promised); truth inside the ±2 s.d. band (95 % if calibrated); the share of the "
             f"filled cells each candidate filled (video: drawn by the video model; prior: its method's cells that no "
             f"model drew, its classical prior alone); seconds per fill on the benchmark's machine", "",
             "| split | task | n | expected within 1.5x | expected / measured (median) | inside band | "
             + " | ".join(f"share: {m}" for m in sources) + " | s per fill |",
             "|---|---|---|---|---|---|" + "---|" * len(sources) + "---|"]
    for split, tasks in record.items():
        for task, s in tasks.items():
            sc = s["self_check"]
            promise = (f"{100 * sc['within']:.0f} % of {sc['n']} | {sc['median_ratio']:.2f}" if sc["n"]
                       else "no expected error: no seen stretch like the gap | —")  # e.g. a third of a short clip
            lines.append(f"| {split} | {task} | {s['examples']} | {promise} | {100 * s['coverage']:.0f} % | "
                         + " | ".join(f"{100 * s['shares'].get(m, 0.0):.0f} %" for m in sources) + f" | {s['seconds']:.1f} |")
    return "\n".join(lines)


def headline_table(record: dict) -> str:
    """Markdown: per split and task, ADE % mean ± s.e. of kinviz, each model and the best classical baseline,
    and the paired verdict of kinviz against that baseline (the README's and the model card's headline)."""
    lines = ["| split | task | n | kinviz | video model + prior | video model alone | motion model | best classical | "
             "kinviz − best, paired | verdict |", "|---|---|---|---|---|---|---|---|---|---|"]
    for split, tasks in record.items():
        for task, s in tasks.items():
            cell = lambda m: (f"{s['methods'][m]['ade_pct']:.2f} ± {s['methods'][m]['ade_se']:.2f}" if m in s["methods"]  # noqa: E731
                              else f"{s['models'][m]['ade_pct']:.2f} ± {s['models'][m]['ade_se']:.2f}" if m in s["models"]
                              else "—")
            p = next(p for p in s["paired"] if p["method"] == "kinviz")
            best = p["against"]
            lines.append(f"| {split} | {task} | {s['examples']} | {cell('kinviz')} | {cell('video')} | {cell('video_alone')} | "
                         f"{cell('motion')} | {METHOD_NAMES[best]} {cell(best)} | {p['mean']:+.2f} ± {p['se']:.2f} | "
                         f"{verdict(p)} |")
    return "\n".join(lines)


def extras_table(rows: list[dict], title: str) -> str:
    """Markdown: per group and task, the roughness of kinviz's fill and the smoother's (median; 1 = the truth's)."""
    lines = [f"**{title}** — roughness of the fill (median over trajectories of its mean absolute second difference "
             "over the truth's; 1 = as smooth as the motion)", "",
             "| group | task | n | roughness: kinviz | roughness: kalman |", "|---|---|---|---|---|"]
    for task in ALL_TASKS:
        for g in sorted({r["group"] for r in rows}) + ["all"]:
            sub = [r for r in rows if r["task"] == task and (g == "all" or r["group"] == g)]
            if sub:
                med = lambda k: float(np.nanmedian([r[k] for r in sub]))  # noqa: E731 - a straight truth has ~0 roughness
                lines.append(f"| {f'**{g}**' if g == 'all' else g} | {task} | {len(sub)} | {med('roughness'):.2f} | "
                             f"{med('kalman_roughness'):.2f} |")
    return "\n".join(lines)


def calibration_table(splits: dict[str, list[dict]]) -> str:
    """Markdown: the share of hidden coordinates inside the fill +- z s.d., per split and task, beside a Gaussian's."""
    lines = ["**Calibration of the band** — share of hidden coordinates whose truth lies within the fill ± z s.d. "
             "(a calibrated band matches the Gaussian row; the app draws z = 2)", "",
             "| split | task | n | " + " | ".join(f"z = {z:g}" for z in CALIBRATION_Z) + " |",
             "|---|---|---|" + "---|" * len(CALIBRATION_Z),
             "| Gaussian | | | 68 % | 95 % | 100 % |"]
    for name, rows in splits.items():
        for task in ALL_TASKS:
            sub = [r for r in rows if r["task"] == task]
            if sub:
                cov = [100 * mean_of(sub, f"coverage_{z:g}") for z in CALIBRATION_Z]
                lines.append(f"| {name} | {task} | {len(sub)} | " + " | ".join(f"{c:.0f} %" for c in cov) + " |")
    return "\n".join(lines)


def speed_table(sp: dict) -> str:
    lines = [f"Model load: median {sp['load_s_median']:.2f} s (max {sp['load_s_max']:.2f} s); "
             f"checkpoint {sp['checkpoint_mb']:.1f} MB; peak RSS of the benchmark process {sp['peak_rss_mb']:.0f} MB.", "",
             f"| frames | objects | mask | cold (s) | warm median (s) | warm p95 (s) | Kalman smoother alone (s) | all {len(BASELINES)} baselines (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sp["latency"]:
        lines.append(f"| {r['frames']} | {r['objects']} | {r['task']} | {r['cold_s']:.3f} | {r['warm_median_s']:.3f} | "
                     f"{r['warm_p95_s']:.3f} | {r['kalman_s']:.4f} | {r['baselines_s']:.4f} |")
    if (w := sp.get("worst_case")) is not None:
        lines += ["", f"Largest request, {w['frames']:,} frames x {w['objects']} objects, {w['task']} mask, in a process "
                      f"of its own: {w['outcome']} after {w.get('seconds', float('nan')):.1f} s; peak RSS "
                      f"{w.get('peak_rss_mb', float('nan')):.0f} MB (model loaded)."]
    return "\n".join(lines)


def folder_table(rows: list[dict]) -> str:
    """Markdown: a whole folder filled by `predict --out-dir` with 1 and 2 worker processes."""
    from .speed import FOLDER_TOOLS

    r0 = rows[0]
    lines = [f"**Whole folders**: `predict DIR --out-dir OUT --jobs N --mask interpolate` over {r0['files']} generated "
             f"files of {r0['frames']} frames ({', '.join(FOLDER_TOOLS)} in turn), worker start and model loads "
             "included (`bench --folder`)", "",
             "| workers | total (s) | files/s | failed |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['total_s']:.1f} | {r['files_per_s']:.2f} | {r['failed']} |")
    return "\n".join(lines)


def formats_table(rows: list[dict]) -> str:
    """Markdown: time to read and write each tracker format (``format_examples.time_roundtrip``)."""
    lines = ["| format | frames x objects | file | read (s) | write (s) |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['format']} | {r['frames']} x {r['objects']} | {r['bytes'] / 1e6:.1f} MB | {r['read_s']:.2f} | {r['write_s']:.2f} |")
    return "\n".join(lines)


def training_table(meta: dict) -> str:
    tr = meta.get("training", {})
    curve = tr.get("curve") or [{}]
    last = curve[-1]
    D = meta.get("transformer", {}).get("digits", 8)
    proto = meta.get("prototype", {})
    return "\n".join([
        "| run | data | steps | time | token loss (start -> end) | token accuracy (val) |",
        "|---|---|---|---|---|---|",
        f"| prototype (earlier) | {proto.get('videos', 140)} videos | {proto.get('epochs', 10)} epochs | ? | "
        f"{proto.get('token_loss_start', 6.57)} -> {proto.get('token_loss_end', 5.85)} | not reported |",
        f"| shipped video model | {meta.get('data', {}).get('simulated_clips', '?')} simulated clips + "
        f"{meta.get('data', {}).get('example_videos', '?')} example videos | {tr.get('transformer_steps_done', '?')} "
        f"(+{tr.get('tokenizer_steps_done', '?')} tokenizer) | {tr.get('minutes', float('nan')):.0f} min | "
        f"{curve[0].get('loss', float('nan')) * D:.2f} -> {last.get('val_loss', float('nan')) * D:.2f} (val) | "
        f"{last.get('val_token_acc', float('nan')):.3f} |",
        "",
        f"Token loss is the cross-entropy of a whole token in nats (the sum over its {D} FSQ digits), the same "
        "quantity as the prototype's loss over its codebook; the vocabularies differ, so compare trends, not values.",
    ])


def ablation_table(rows: list[dict], per_family: int) -> str:
    ship = rows[0]
    lines = [f"**Ablation of the video model's decoding** on the tuning split ({per_family} per family, each clean and "
             "noisy) — mean ADE % of the video model's own fill (no self-check), and relative to the shipped decoding", "",
             "| decoding | interpolate | forecast | occlude (bodies) |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | " + " | ".join(f"{r[t]:.2f} ({r[t] / ship[t]:.2f}x)" if t in r else "—"
                                                        for t in ("interpolate", "forecast", "occlude")) + " |")
    return "\n".join(lines)
