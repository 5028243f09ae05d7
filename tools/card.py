"""The model card (``docs/MODEL_CARD.md``), written from the checkpoint's own record.

``python tools/record.py`` (or ``python -m kinviz bench --record``) stores the benchmark's figures in
the checkpoint's JSON and then writes this card, ``docs/BENCHMARK.md`` and the README's tables;
``tests/test_docs.py`` checks that the card in the repository is what the record says, so no figure
in the docs is typed by hand. A script of the checkout, not of the library: the library does not
write the repository.
"""

from __future__ import annotations

from dataclasses import asdict

from kinviz.evaluation.tables import headline_table
from kinviz.videomodel.checkpoint import Decoding


def model_card(meta: dict, n_params: dict[str, int]) -> str:
    tok, tr, data, training = meta["tokenizer"], meta["transformer"], meta["data"], meta["training"]
    dec = Decoding.from_dict(meta.get("decoding", {}))
    tuning = meta.get("decoding_tuning", {})
    prior = tuning.get("classical_prior") or tuning.get("kalman", {})  # older records: the smoother alone
    curve = training.get("curve") or [{}]
    digits = tr.get("digits", 8)
    lines = [
        "# Model card: kinviz-magvit (the video model)",
        "",
        "Written by `python tools/record.py` from `checkpoints/kinviz-magvit.json`; do not edit by hand.",
        "",
        "## Architecture",
        "",
        f"- **Rendering**: each object a Gaussian blob in one colour channel of a {tok['size']}x{tok['size']} frame "
        "(three objects per video: with more, each part with a gap is drawn beside its two co-visible partners), "
        "read back by a thresholded intensity centroid.",
        f"- **View** (`{meta.get('view', 'tracking')}`): inner gaps are drawn by a camera that rides the chord a linear "
        "interpolation would draw across the gap, zoomed on the observed deviation from it; gaps at either end by a "
        "still camera over the observed extent, so the model sees where bounded motion turns back, unless the "
        f"visible motion hardly bends (the gate, `straight` {dec.straight:g}): then a camera riding a line fitted "
        f"to the last {dec.fit} frames.",
        f"- **Tokenizer**: per-frame conv autoencoder (channels {tok['channels']}), {tok['size']}x{tok['size']} -> "
        f"{tr['grid']}x{tr['grid']} tokens, FSQ with {len(tok['levels'])} digits of {tok['levels'][0]} levels; "
        f"{n_params.get('tokenizer', 0) / 1e6:.2f} M parameters.",
        f"- **Transformer**: bidirectional, {tr['depth']} layers, width {tr['dim']}, {tr['heads']} heads, over "
        f"{tr['max_frames']} frames x {tr['grid'] ** 2} tokens, a task embedding; each token's {digits} FSQ digits "
        f"predicted by {digits} softmaxes; {n_params.get('transformer', 0) / 1e6:.2f} M parameters."
        + (" A second token stream gives frames where some parts are hidden, drawn with the parts seen there."
           if tr.get("cond") else ""),
        "",
        "## Data and training",
        "",
        f"- {data.get('simulated_clips', '?')} simulated clips from {len(data.get('families', []))} motion families "
        f"({', '.join(data.get('families', []))}), tracker noise on {100 * data.get('noisy', 0):.0f} % of them, plus "
        f"{data.get('example_videos', '?')} videos of the bundled examples"
        + (f"; {100 * data['bodies']:.0f} % of the simulated clips show a body ({', '.join(data.get('body_families', []))}) "
           f"with one part lost while its partners are seen ({data.get('clips_with_partial_frames', '?')} clips with such frames)"
           if data.get("bodies") else "") + ". No real trajectory was trained on.",
        *([f"- Fine-tuned from the previous checkpoint ({training['init'].get('steps_before', '?')} transformer steps, "
           f"{training['init'].get('minutes_before') or float('nan'):.0f} minutes) with the new token stream starting at zero."]
          if training.get("init") else []),
        f"- Tokenizer {training.get('tokenizer_steps_done', '?')} steps, transformer "
        f"{training.get('transformer_steps_done', '?')} steps (batch {training.get('batch', '?')}, lr "
        f"{training.get('lr', '?')}), {training.get('minutes', float('nan')):.0f} minutes on "
        f"{training.get('device', '?')}.",
        f"- Token loss (nats per token, validation) {curve[0].get('loss', float('nan')) * digits:.2f} -> "
        f"{curve[-1].get('val_loss', float('nan')) * digits:.2f}; token accuracy {curve[-1].get('val_token_acc', float('nan')):.3f}.",
        "",
        "## Decoding",
        "",
        "MaskGIT iterative decoding of the hidden frames' tokens, several samples per window; the samples' read-back "
        "mean and spread are fused with the classical prior's mean and variance by inverse-variance weighting "
        "(`kinviz.inference.fusion.fuse`): the Kalman smoother, pooled with the co-visible parts' fit where a lost part has two or "
        "more others seen (`kinviz.classical.covisible`); those cells are the prior's alone. Where the model's blob cannot be "
        "read, the prior stands in. The band is the fused s.d. times a calibration (`band_scale`).",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {v:g} |" for k, v in asdict(dec).items()]
    if tuning:
        lines += ["", f"Calibration chosen by `python -m kinviz tune` on {tuning.get('split', '?')}: "
                      + "; ".join(f"{t} {tuning['scores'][t]:.2f} % against the classical prior's {prior[t]:.2f} %"
                                  for t in tuning.get("scores", {})) + " (mean ADE)."]
    if (splits := (meta.get("benchmark") or {}).get("splits")):
        lines += ["", "## Measured (ADE % of the scene diagonal, mean ± s.e.; paired against the best classical "
                      "baseline on the same trajectories)", "",
                  "This model is one candidate of kinviz's self-check (`kinviz.inference.selfcheck`): `predict` fills each "
                  "kind and length of gap with the candidate that came closest on seen stretches of the same file. The "
                  "rows: kinviz (what `predict` returns), this model with its classical prior, this model alone, the "
                  "motion model (`kinviz.motion`), and the best classical baseline. Where this model's method fills a "
                  "gap, its band (the s.d. above times `band_scale`) is rescaled once more by the self-check, so that "
                  "the fill ±2 s.d. holds 95 % of the file's probes.", "", headline_table(splits),
                  "", "Every table, the machine and the commands are in [BENCHMARK.md](BENCHMARK.md)."]
    lines += [
        "",
        "## Guarantees",
        "",
        "- Observed cells come back exactly as given; hidden values never reach the model (a property test records "
        "what the tokenizer, the transformer and the cameras receive).",
        "- Same input, mask and seed: the same output.",
        "- Any length from 4 to 20,000 frames; a request needing more than the cap on model "
        "windows is refused with a message, never run out of memory.",
        "",
        "## Limits",
        "",
        "- 2-D positions, evenly spaced frames assumed; 16-frame windows (longer gaps are seen at a stride).",
        "- A part sees at most its two partners; where one part is lost while two or more others are seen, the model "
        "is not asked (it measured no gain over the co-visible fit).",
        "- Trained on simulated motion only.",
    ]
    return "\n".join(lines) + "\n"
