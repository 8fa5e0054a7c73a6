"""Short "what this shows" notes for each figure, written for a newcomer."""

from __future__ import annotations

from ..core.specs import HOOK_DESCRIPTIONS, PROBE_NAMES
from ..results.run import RunResult
from ..stats.depth import BelowChance, below_chance

#: What each hook reads (the one table is ``concept_depth.specs.HOOK_DESCRIPTIONS``).
HOOK_TEXT = HOOK_DESCRIPTIONS
PROTOCOL_TEXT = {
    "paper": "the paper's protocol: one 60/40 train/test split (seed 42, not stratified), "
             "no scaling (logistic regression with scikit-learn defaults); scores are on the 40 % held out",
    "cv": "stratified k-fold cross-validation with standardisation inside each fold; "
          "curves are the mean over folds and the bands ±1 standard deviation",
}


def run_context(run: RunResult | None) -> str:
    """One paragraph: which hook, pooling, protocol, probe and how many samples produced ``run``."""
    if run is None:
        return ""
    s = run.spec
    hook = HOOK_TEXT.get(s.get("hook", "residual"), str(s.get("hook")))
    proto = PROTOCOL_TEXT.get(s.get("protocol", "paper"), str(s.get("protocol")))
    probe = PROBE_NAMES.get(s.get("probe", "lr"), s.get("probe"))
    pooling = "the last token" if s.get("pooling", "last") == "last" else "the mean over tokens"
    chat = (" Each prompt was wrapped as one user turn of the model's chat template (its system text and "
            "the assistant header included), so the last token is the end of that header, not of the raw "
            "prompt." if s.get("chat_template") else "")
    return (f"This run read {hook}, taking {pooling} of each prompt, for {run.n_samples} samples; "
            f"the probe is {probe} under {proto}. Chance is {run.depth.chance:.2f} "
            f"(the share of the larger class).{chat}")


_NOTES = {
    "curves": (
        "Each layer's vectors are given to a separate linear probe that tries to predict the label. "
        "The curve shows how well it does on samples it did not train on: accuracy, F1 of class 1, and "
        "ROC-AUC from the predicted probabilities. A high score means the concept can be read off that "
        "layer with a straight line. The **jumping point** (▲) is the first layer whose accuracy gets 80 % "
        "of the way from chance to the peak; the **converging point** (◆) is the first layer within 0.01 of "
        "the peak (both are left empty when the peak is not significantly above chance and the control). The dashed **control** curve is the same probe trained "
        "on shuffled labels: the gap between the two (selectivity) is what the layer knows beyond what any "
        "probe could memorise."
    ),
    "pca": (
        "The layer's vectors projected onto their two main directions of variation (PCA), one dot per "
        "prompt, coloured by the true label. The axis titles give the share of the layer's variance each "
        "direction explains. If the colours separate here, the concept is visible even without a probe; "
        "a probe can still find it when they do not, because PCA only keeps two of many directions. "
        "Points marked ✕ are held-out samples the probe classifies wrongly. Hover a dot for its prompt "
        "and the probe's confidence."
    ),
    "grid": (
        "The same PCA view for several layers side by side (as in the paper's figures). With *one shared "
        "basis* every panel uses the same two directions, so you see the points move; with a basis per "
        "layer every panel shows that layer's own main directions, which is better for seeing separation. "
        "Panel subtitles give the variance explained by PC1 / PC2."
    ),
    "heatmap": (
        "One cell per model and dataset: the jumping point, converging point (as a share of the model's "
        "depth, so models with different layer counts compare), or the peak held-out accuracy. Datasets "
        "are ordered by category (factual, emotional, inferential, custom): the paper finds that factual "
        "concepts become readable at shallower relative depths than emotional and inferential ones. "
        "'–' means the concept was never acquired (accuracy never rose clearly above chance)."
    ),
    "families": (
        "The paper's comparison across models: one panel per dataset, one curve per model, each curve the "
        "held-out probe accuracy of every layer. The x-axis is relative depth (layer / number of blocks), so "
        "models with different numbers of layers line up: 0 is the token embeddings, 1 the last block. The "
        "markers are each model's jumping point (▲, the first layer 80 % of the way from chance to the peak) "
        "and converging point (◆, the first layer within 0.01 of the peak), ★ where both fall on one layer; a "
        "curve without markers never rose significantly above chance. The dotted line is each panel's chance "
        "level (the share of the larger class among the held-out samples). The paper finds simpler (factual) "
        "concepts readable at shallower depth than more complex (emotional, inferential) ones, across the "
        "Gemma, LLaMA and Qwen families."
    ),
    "difference": (
        "Per layer, the probe score of a lower bit width or a noisy input minus the score of the float32, "
        "noise-free run of the same model, dataset and settings. Zero means no change; negative means "
        "the setting hurts how readable the concept is at that layer. The shaded band around each curve is a "
        "95% interval of the difference. When both runs scored the same held-out samples (same samples, split "
        "and seed) it is *paired*: a bootstrap over those samples, and each layer is tested with McNemar's test "
        "on the samples only one of the two probes got right; filled markers are layers whose difference is "
        "beyond noise after a Holm correction over the layers, open markers are within noise. Otherwise the band "
        "is a normal approximation from each run's accuracy and its number of held-out samples (wider)."
    ),
    "fidelity": (
        "How far a lower bit width moves each layer's vectors from float32, for the same prompts. Cosine (top) "
        "is dominated by a few very large dimensions of the residual stream and stays close to 1 even when the "
        "dimensions a probe reads have moved. The bottom panel measures the move in the probe's terms: each "
        "dimension's change divided by that dimension's standard deviation over the float32 samples; the mean "
        "over samples and dimensions (solid) and the largest (dashed). A deviation of 1 is as large as the "
        "typical difference between two prompts."
    ),
    "shift": (
        "How many layers later (positive) or earlier (negative) the concept becomes readable under the setting "
        "than in float32 clean: jumping point, converging point and peak layer of the setting minus those of "
        "float32 clean. The bars are paired bootstrap intervals: the held-out samples are resampled, both runs' "
        "depth metrics recomputed on each resample. A bar that covers zero means no shift beyond noise."
    ),
    "examples": (
        "For the chosen layer, the held-out prompts the probe gets right with the highest confidence and "
        "those it gets wrong with the highest confidence (confidence = the probability it gives to its "
        "own prediction)."
    ),
    "components": (
        "The same probe trained on three places in each block: the **residual stream** after block l (what "
        "the model carries forward), the **attention output** of block l and the **MLP output** of block l "
        "(what each part adds to the stream at that depth). Where a component's curve rises above chance on "
        "its own, that part of the block writes information about the concept; the residual curve is the "
        "running total. Layer numbers line up: block l's parts and the stream after block l share x = l."
    ),
    "transfer": (
        "A probe trained on one dataset (row) at this layer, scored on the held-out samples of another "
        "(column). The diagonal is the ordinary probe accuracy; off the diagonal is how far the concept "
        "carries over, e.g. whether 'truth' learned on cities statements reads counterfact statements. Blue "
        "is above 0.5, red below: a red cell means the probe reads the other dataset backwards. Move the "
        "slider to see how transfer changes with depth."
    ),
    "transfer_curves": (
        "Every train → test pair across layers. Thick lines are a dataset tested on itself (the ordinary probe "
        "curve); thin lines with the same colour are that probe tested on the other datasets. A shared concept "
        "shows as thin lines that follow the thick one."
    ),
    "layer_cosine": (
        "Cosine between the probe directions found at every pair of layers (all layers live in the same "
        "residual space). 1 = the concept is written along the same direction at both depths, 0 = unrelated "
        "directions (two random directions give about 0.03 at 640 dimensions), −1 = opposite. A bright block "
        "along the diagonal is a stretch of depth where the concept direction stays put; the edge of a block "
        "is where the model rewrites it."
    ),
    "setting_cosine": (
        "Top: at each layer, the cosine between the probe direction under a lower bit width or noisy input and "
        "the direction of the reference setting (float32, clean). Bottom: each setting's own held-out accuracy "
        "(solid) and the accuracy of the reference probe applied to that setting's vectors (dashed). If the "
        "dashed line stays on the solid one, the setting only blurs the concept and the direction still works; "
        "if it drops below, the setting moved the direction."
    ),
    "steering": (
        "Each held-out prompt ends in the answer cue; at one layer a push of α × (the layer's typical residual "
        "norm) along the probe direction is added to the last token's residual stream, and the model's answer "
        "probability for the class-1 word (e.g. 'Yes') is read again. Solid lines (with ±1 standard-error bars): "
        "the mean change along the probe direction, one line per α (blue pushes towards class 1, orange towards "
        "class 0). Dashed: a random direction of the same norm, the control. A layer where the solid lines "
        "separate from the dashed ones is a depth where the model *uses* the direction to answer; compare it "
        "with the probe accuracy below, the depth where the concept is *readable*."
    ),
}


def below_chance_of(run: RunResult) -> BelowChance | None:
    """Whether ``run``'s probe is below chance beyond the binomial test at some layers (on its evaluation
    samples, at its depth metrics' alpha); None when not (or when the run does not say how many it evaluated)."""
    n_eval = int(run.extra.get("n_eval") or 0)
    return below_chance(run.layer_numbers, run.metric("accuracy"), chance=run.depth.chance, n_eval=n_eval,
                        alpha=float((run.depth.definition or {}).get("alpha", 0.05)))


def below_chance_message(run: RunResult) -> str | None:
    """The below-chance finding of ``run`` as one sentence naming its likely cause, or None."""
    low = below_chance_of(run)
    if low is None:
        return None
    ds = ((run.extra.get("run_spec") or {}).get("extraction") or {}).get("dataset") or {}
    text = low.message(grouped=bool(ds.get("group_col") or ds.get("choices_col")))
    return text[0].upper() + text[1:] + "."


def what_this_shows(kind: str, run: RunResult | None = None) -> str:
    """Markdown note for figure ``kind`` (curves, families, pca, grid, heatmap, difference, fidelity, shift,
    examples, components, transfer, transfer_curves, layer_cosine, setting_cosine, steering), with run context."""
    if kind not in _NOTES:
        raise ValueError(f"no note for figure kind {kind!r}; known: {sorted(_NOTES)}")
    ctx = run_context(run)
    return _NOTES[kind] + ("\n\n" + ctx if ctx else "")
