"""Model card: what the model is, how big, where it runs, how it was trained, what it cannot do."""

import pandas as pd
import streamlit as st

from kinviz_app import cache, charts, guard, results

LIMITS = [
    "**Short windows.** The transformer sees clips of at most {max_frames} frames. A longer gap is seen at a "
    "coarser frame rate, and the frames between follow the Kalman smoother's path plus the model's correction.",
    "**Three objects at a time.** Objects are drawn in groups of three (one colour channel each); objects in "
    "different groups do not see each other. A frame where any object of a group is missing is predicted for the "
    "whole group.",
    "{view}",
    "**2-D and even steps.** A z column is ignored; time steps are assumed even (the reader warns when not).",
    "**Simulated motion.** Training data are {families} families of simulated motion plus the bundled examples. "
    "Real footage with other kinds of motion is outside what it has seen.",
    "**The model and the Kalman smoother answer together.** Each gap is sampled several times; the samples' mean "
    "and spread are weighed against the Kalman smoother's mean and variance (inverse-variance weighting, the "
    "model's variance calibrated on a tuning split: `model_scale`, `pixel_floor`). Where the samples agree and the "
    "smoother is unsure, the model's answer counts most; where the samples disagree, the smoother's. A gap among "
    "very many gets one sample, and then only the calibration's floor says how sure the model is.",
    "**Short gaps are the smoother's.** Gaps between observed frames shorter than {min_gap} frames are not given "
    "to the model: on a tuning split it added nothing there. Scattered dropouts are filled by the Kalman smoother "
    "alone, flagged as such.",
    "**No gap without context.** When no frame shows a whole group of objects, or the model's blob cannot be read "
    "back, the Kalman smoother stands in (flagged).",
]


VIEWS = {
    "tracking": "**A tracking view.** Each object is drawn in {size}×{size} frames by a camera that follows the "
    "straight line linear interpolation would draw across the gap (constant velocity for a forecast), zoomed on "
    "the observed frames' deviation from it. The model draws the deviation: where it has learnt nothing, it "
    "returns about the linear baseline; motion that bends far more inside the gap than anywhere it was seen "
    "leaves the frame, and there the Kalman smoother stands in (flagged).",
    "hybrid": "**Two views.** For a gap with frames on both sides, each object is drawn "
    "in {size}×{size} frames by a camera that follows the straight line linear interpolation would draw across the "
    "gap, zoomed on the observed frames' deviation from it: the model draws the deviation. For a gap at either end "
    "(a forecast), the camera stands still with the observed extent filling the middle half of the frame, so the "
    "model sees bounded motion turn back, and motion may run on a quarter frame past it; beyond that the Kalman "
    "smoother stands in (flagged). Forecasts of motion that hardly bends where it is seen (walkers, drift) are "
    "drawn by a camera riding a line fitted to the last frames instead (the gate: the checkpoint's `straight`, `fit`).",
}


def main() -> None:
    st.title("Model card")
    predictor = cache.predictor()
    meta = predictor.meta
    path = cache.checkpoint_path()
    params = predictor.model.n_params()
    training = meta.get("training", {})
    tok, tr = meta.get("tokenizer", {}), meta.get("transformer", {})

    cols = st.columns(5)
    cols[0].metric("Parameters", f"{sum(params.values()) / 1e6:.2f} M")
    cols[1].metric("Runs on", predictor.device.upper())
    cols[2].metric("Checkpoint", f"{path.stat().st_size / 1e6:.1f} MB")
    cols[3].metric("Training steps", training.get("transformer_steps_done", "—"))
    cols[4].metric("Training time", f"{training.get('minutes', 0):.0f} min" if "minutes" in training else "—")
    st.caption(f"Version {results.model_version(meta)} · `{path.name}` · SHA-256 `{meta.get('sha256', '?')}`")

    st.subheader("Architecture")
    st.markdown(
        "A MAGVIT-style two-stage video model. Each trajectory window is drawn as a short video, one blob per "
        "object. **Stage 1**, a convolutional tokenizer with finite scalar quantisation (FSQ), turns each "
        f"{tok.get('size', '?')}×{tok.get('size', '?')} frame into a grid of tokens of {tr.get('digits', '?')} "
        f"digits with {tr.get('levels', '?')} levels each. **Stage 2**, a bidirectional masked transformer, "
        "predicts the tokens of the hidden frames from the visible ones; MaskGIT decoding fills them over a few "
        "steps, most confident first. Positions are read back from the decoded frames."
    )
    left, right = st.columns(2)
    left.markdown(f"**Tokenizer** · {params['tokenizer']:,} parameters")
    left.dataframe(_table(tok), hide_index=True, key="tokenizer_config")
    right.markdown(f"**Transformer** · {params.get('transformer', 0):,} parameters")
    right.dataframe(_table(tr), hide_index=True, key="transformer_config")

    st.subheader("Training")
    curve = training.get("curve", [])
    left, right = st.columns([3, 2])
    if curve:
        left.plotly_chart(charts.curve_figure(curve, tr.get("levels")), key="curve")
    else:
        left.info("This checkpoint's record has no training curve.")
    with right:
        proto = meta.get("prototype", {})
        if proto:
            start, end = proto.get("token_loss_start"), proto.get("token_loss_end")
            st.markdown(f"**The prototype** trained {proto.get('epochs', '?')} epochs on {proto.get('videos', '?')} "
                        f"videos: token loss **{start} → {end}** ({(end - start) / start:+.0%}).")
        if len(curve) >= 1 and curve[0].get("val_loss") is not None:
            first, last = curve[0]["val_loss"], curve[-1]["val_loss"]
            st.markdown(f"**This model**: validation loss **{first:.3f} → {last:.3f}** ({(last - first) / first:+.0%}) "
                        f"over {curve[-1]['step']} steps; all digits of a token right "
                        f"{curve[-1].get('val_token_acc', float('nan')):.1%} of the time.")
        st.caption("The prototype's loss is over whole tokens of its own vocabulary; this one is per token digit "
                   f"(chance ln {tr.get('levels', '?')}), so compare the relative drops, not the values.")
        st.markdown("**Data recipe**")
        st.dataframe(_table(meta.get("data", {})), hide_index=True, key="data_recipe")
        st.markdown("**Decoding**")
        st.dataframe(_table(meta.get("decoding", {})), hide_index=True, key="decoding")
        st.caption(f"Batch {training.get('batch', '?')}, learning rate {training.get('lr', '?')}, "
                   f"trained on {training.get('device', '?')} × {training.get('world_size', 1)}.")

    st.subheader("Known limits")
    view = VIEWS[predictor.view].format(size=tok.get("size", "?"))
    families = len(meta.get("data", {}).get("families", [])) or "several"
    for line in LIMITS:
        st.markdown("- " + line.format(max_frames=tr.get("max_frames", "?"), view=view, families=families,
                                       min_gap=predictor.decoding.min_inner_gap))


def _table(config: dict) -> pd.DataFrame:
    return pd.DataFrame({"setting": list(config), "value": [_text(v) for v in config.values()]})


def _text(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


guard.page(main)
