"""Which frames are hidden: the standard tasks, and masks typed by a person.

A mask is a ``(T,)`` bool array, ``True`` = the frame is hidden from the model, or a ``(T, K)``
cell mask that hides some parts in some frames (the others stay seen). People write masks as
0-based frame indices and inclusive ranges ("6-9,14"), per part ("snout:40-70"), or as a task name
("forecast"); :func:`parse_mask` reads that text and :func:`format_mask` writes it back.

Part names are matched exactly as the file writes them (``Ant`` and ``ant`` are two parts). A name
holding a comma, colon, double quote or any spacing other than single inner spaces is written in
double quotes, a quote in it doubled, as in CSV: ``"a,b":3-5``, ``"1:2":0`` (and ``a"b`` as ``"a""b"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from kinviz.core.errors import MaskError

TASKS = ("interpolate", "forecast", "random")  # tasks that hide whole frames
PART_TASKS = ("occlude",)  # tasks that hide some parts while others are seen: (T, K) cell masks
OCCLUDE = (10, 60)  # the occlude task hides one part for this many frames (at most half the clip)

RANDOM_HIDE_P = 0.3  # each interior frame is hidden with this probability in the "random" task

_NUMBER = re.compile(r"\d+")
_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
_NEGATIVE = re.compile(r"-?\s*\d+\s*-\s*-\s*\d+|-\s*\d+(\s*-\s*-?\s*\d+)?")  # "-3", "2--1", "-5-2"


def task_mask(task: str, n_frames: int, *, seed: int = 0, n_objects: int = 1) -> np.ndarray:  # (T,) or (T, K) bool
    """The hidden frames of a standard task, for a clip of ``n_frames`` frames.

    - ``interpolate`` hides the middle third: frames ``N//3 .. 2N//3 - 1``.
    - ``forecast`` hides the last ``N//4`` frames.
    - ``random`` hides each of frames ``1 .. N-2`` with probability 0.3, drawn from
      ``np.random.default_rng(seed)``; the first and last frames always stay visible. If the draw
      hides nothing, frame ``N//2`` is hidden instead so that there is always something to score
      (for ``N < 3`` there is no interior frame and nothing is hidden).
    - ``occlude`` hides one part (of ``n_objects``, drawn from the seed) for a stretch of 10-60
      frames (at most half the clip) inside the clip, while the others stay seen: a ``(T, K)``
      cell mask. A tracker losing one body part looks like this.

    The task name is case-insensitive. No task hides every frame.
    """
    name = task.strip().lower()
    if name not in TASKS + PART_TASKS:
        raise MaskError(f"unknown task '{task}'; choose one of {', '.join(TASKS + PART_TASKS)}")
    if n_frames < 1:
        raise MaskError(f"a mask needs at least one frame, got n_frames={n_frames}")
    if name == "occlude":
        return occlude_mask(n_frames, n_objects, seed=seed)
    mask = np.zeros(n_frames, dtype=bool)
    if name == "interpolate":
        mask[n_frames // 3 : 2 * n_frames // 3] = True
    elif name == "forecast":
        mask[n_frames - n_frames // 4 :] = True
    else:
        rng = np.random.default_rng(seed)
        mask[1 : n_frames - 1] = rng.random(max(n_frames - 2, 0)) < RANDOM_HIDE_P
        if not mask.any() and n_frames >= 3:
            mask[n_frames // 2] = True
    return mask


def occlude_mask(n_frames: int, n_objects: int, *, seed: int = 0) -> np.ndarray:  # (T, K) bool
    """The ``occlude`` task: one part hidden for a stretch inside the clip, the others seen."""
    rng = np.random.default_rng(seed)
    cells = np.zeros((n_frames, n_objects), bool)
    if n_frames < 3:
        return cells
    k = int(rng.integers(n_objects))
    longest = min(OCCLUDE[1], max(1, n_frames // 2), n_frames - 2)
    length = int(rng.integers(min(OCCLUDE[0], longest), longest + 1))
    start = int(rng.integers(1, n_frames - length))
    cells[start : start + length, k] = True
    return cells


def parse_mask(spec: str | None, n_frames: int, *, seed: int = 0, names: list[str] | None = None,
               unseen: Sequence[str] = ()) -> np.ndarray:
    """Read a mask typed by a person into a ``(T,)`` bool array (``True`` = hidden), or ``(T, K)`` per part.

    ``spec`` is comma-separated 0-based frame indices and inclusive ranges, spaces allowed
    (``"6-9, 14"``), or a task name from :data:`TASKS` (case-insensitive; ``seed`` is used by
    ``random`` and ``occlude``). ``None``, ``""`` and ``"none"`` hide nothing. Empty items (``"6,,9"``)
    are skipped. With ``names`` (the parts, in order), an item ``part:frames`` (``"snout:40-70"``)
    hides that part alone, and the result is a ``(T, K)`` cell mask; so is ``occlude``. The part is
    named exactly as in ``names``, in double quotes if it holds a comma, colon or quote (module
    docstring). ``unseen``: parts the file has but never observed (``Trajectory.unseen``), so that a
    mask naming one is told why it cannot be hidden.

    Raises :class:`MaskError` with a one-line message for unknown text, negative or reversed
    ranges, frames outside ``0 .. n_frames-1``, and a mask that hides every frame.
    """
    if n_frames < 1:
        raise MaskError(f"a mask needs at least one frame, got n_frames={n_frames}")
    text = " ".join((spec or "").split())  # one line, single spaces: safe to echo in messages
    if text.lower() in ("", "none"):
        return np.zeros(n_frames, dtype=bool)
    K = len(names) if names else 1
    if text.lower() in TASKS + PART_TASKS:
        return task_mask(text, n_frames, seed=seed, n_objects=K)

    mask = np.zeros(n_frames, dtype=bool)
    cells = np.zeros((n_frames, K), dtype=bool)
    for part, token in _items(spec or "", text):
        if part is None and not token:
            continue
        if part is not None:  # one part's frames
            first, last = _frames(token, n_frames, text)
            cells[first : last + 1, _part_index(part, names, text, unseen)] = True
        else:
            first, last = _frames(token, n_frames, text)
            mask[first : last + 1] = True

    if mask.all():
        raise MaskError("the mask hides every frame; leave at least one frame visible")
    if not cells.any():
        return mask
    cells |= mask[:, None]
    if (full := np.flatnonzero(cells.all(0))).size:
        raise MaskError(f"the mask hides every frame of '{names[full[0]]}'; leave at least one of its frames visible")
    return cells


def _frames(token: str, n_frames: int, text: str) -> tuple[int, int]:
    """One item of a typed mask, a frame or an inclusive range, as (first, last); MaskError otherwise."""
    if _NEGATIVE.fullmatch(token):
        raise MaskError(f"mask '{text}': '{token}' has a negative frame number; frames are numbered from 0")
    if _NUMBER.fullmatch(token):
        first = last = int(token)
    elif m := _RANGE.fullmatch(token):
        first, last = int(m.group(1)), int(m.group(2))
        if first > last:
            raise MaskError(f"mask '{text}': range '{token}' is reversed; write it as {last}-{first}")
    else:
        raise MaskError(f"mask '{text}': '{_bad_part(token)}' is not a frame number or range; use e.g. 6-9,14 or interpolate")
    if last >= n_frames:
        frame = first if first >= n_frames else last
        raise MaskError(f"frame {frame} is out of range: this file has {n_frames} frames (0-{n_frames - 1})")
    return first, last


def _items(spec: str, text: str) -> list[tuple[str | None, str]]:
    """The comma-separated items of a typed mask as (part or None, frames text); a part in double quotes may
    hold commas, colons and doubled quotes. Outside quotes, a part is what comes before the item's last colon."""
    items, i, n = [], 0, len(spec)
    while i <= n:
        while i < n and spec[i].isspace():
            i += 1
        if i < n and spec[i] == '"':  # a quoted part name: up to the quote not doubled
            part, i = [], i + 1
            while True:
                if i >= n:
                    raise MaskError(f"mask '{text}': a part name's opening quote is never closed")
                if spec[i] == '"' and spec[i + 1 : i + 2] == '"':
                    part.append('"')
                    i += 2
                elif spec[i] == '"':
                    i += 1
                    break
                else:
                    part.append(spec[i])
                    i += 1
            end = spec.find(",", i)
            end = n if end < 0 else end
            rest = spec[i:end].strip()
            if not rest.startswith(":"):
                raise MaskError(f"mask '{text}': a quoted part name is followed by ':' and its frames, as in \"a,b\":3-5")
            items.append(("".join(part), " ".join(rest[1:].split())))
        else:
            end = spec.find(",", i)
            end = n if end < 0 else end
            token = " ".join(spec[i:end].split())
            if ":" in token:
                part, frames = (x.strip() for x in token.rsplit(":", 1))
                items.append((part, frames))
            else:
                items.append((None, token))
        i = end + 1
    return items


def _part_index(part: str, names: list[str] | None, text: str, unseen: Sequence[str] = ()) -> int:
    """The column of a part named in a mask (exactly as written), or MaskError saying why there is none."""
    if not names:
        raise MaskError(f"mask '{text}': '{part}:' names a part, but this mask has no parts to name")
    if part in names:
        return names.index(part)
    if part in unseen:
        raise MaskError(f"mask '{text}': part '{part}' has no point in this file that kinviz reads (none observed, "
                        "or none above the confidence cut), so it is left as written and cannot be hidden")
    near = [n for n in names if n.lower() == part.lower()]
    hint = f" (names are matched as written: did you mean '{near[0]}'?)" if near else ""
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    raise MaskError(f"mask '{text}': there is no part '{part}'{hint}; the parts are {shown}")


def quote_part(name: str) -> str:
    """A part name as a typed mask writes it: bare, or in double quotes (quotes doubled) when it holds a comma,
    colon, quote or spacing other than single inner spaces, or starts like a quoted name."""
    if any(c in name for c in ',:"') or " ".join(name.split()) != name:
        return '"' + name.replace('"', '""') + '"'
    return name


def _bad_part(token: str) -> str:
    """The part of a token to blame: 'x' in '6-x', else the whole token."""
    parts = [p.strip() for p in token.split("-")]
    if len(parts) == 2 and all(parts):
        return next(p for p in parts if not _NUMBER.fullmatch(p))
    return token


def format_mask(mask: np.ndarray, names: list[str] | None = None) -> str:  # mask (T,) or (T, K) bool
    """Write a mask as compact ranges (``"5-9,14"``); ``""`` when nothing is hidden.

    A ``(T, K)`` cell mask needs ``names`` and is written per part (``"snout:40-70,tail:5"``; ``quote_part``).
    The inverse of :func:`parse_mask`: ``parse_mask(format_mask(m, names), len(m), names=names)`` equals ``m``.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim == 2:
        if mask.all(1).any() or not mask.any():  # whole frames first, then each part's own
            whole = mask.all(1)
            rest = mask & ~whole[:, None]
        else:
            whole, rest = np.zeros(len(mask), bool), mask
        items = [format_mask(whole)] if whole.any() else []
        items += [f"{quote_part(names[k])}:{a}" if a == b else f"{quote_part(names[k])}:{a}-{b}"
                  for k in range(mask.shape[1]) for a, b in mask_runs(rest[:, k])]
        return ",".join(items)
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in mask_runs(mask))


def mask_runs(mask: np.ndarray) -> list[tuple[int, int]]:  # mask (T,) bool
    """Maximal runs of True as inclusive (start, end) index pairs: ``[0, 1, 1, 0, 1] -> [(1, 2), (4, 4)]``.

    The one helper for gaps, shaded spans and drawn segments alike."""
    mask = np.asarray(mask, dtype=bool)
    assert mask.ndim == 1, f"a frame mask is (T,), got shape {mask.shape}"
    # Runs start where the padded mask steps up and end where it steps down.
    steps = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(steps == 1).tolist(), (np.flatnonzero(steps == -1) - 1).tolist()))


def cell_mask(mask, n_frames: int, n_objects: int) -> np.ndarray:  # (T, K) bool
    """A frame mask (T,) broadcast to cells (T, K), or a cell mask (T, K) checked; MaskError otherwise."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape == (n_frames,):
        return np.repeat(mask[:, None], n_objects, axis=1)
    if mask.shape != (n_frames, n_objects):
        raise MaskError(
            f"the mask has shape {mask.shape} but the trajectories have {n_frames} frames "
            f"and {n_objects} objects"
        )
    return mask


def short_gaps(seen: np.ndarray, shortest: int) -> np.ndarray:  # seen (T, K) -> (T, K) bool
    """Unseen cells in inner gaps (seen on both sides) of fewer than ``shortest`` frames."""
    T = len(seen)
    idx = np.arange(T)[:, None]
    before = np.maximum.accumulate(np.where(seen, idx, -1), axis=0)
    after = np.flip(np.minimum.accumulate(np.flip(np.where(seen, idx, T), 0), axis=0), 0)
    return ~seen & (before >= 0) & (after < T) & (after - before - 1 < shortest)


def check_seen(missing: np.ndarray, observed: np.ndarray, names: list[str]) -> None:  # (T, K) bool each
    """Refuse a mask that hides every frame in which a part was seen (``observed``: seen and not hidden): nothing
    would be left to fill it from."""
    if (lost := np.flatnonzero(~observed.any(axis=0) & ~missing.all(axis=0))).size:
        raise MaskError(f"the mask hides every frame in which '{names[lost[0]]}' was seen; "
                        "leave at least one of its frames visible")
