"""Corpus goldens: HuggingFace's guide "Perplexity of fixed-length models", run with transformers
on the tiny-peaked fixture model and `corpus.txt`, dense and pruned.

For each case (maxLength, stride) this runs the guide's loop as written there:

    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc
        input_ids = ids[:, begin_loc:end_loc]; target_ids = input_ids.clone(); target_ids[:, :-trg_len] = -100
        loss = model(input_ids, labels=target_ids).loss          # mean over the labels left after the shift
        num_loss_tokens = (target_ids != -100).sum() - 1           # the guide's weight
        nll_sum += loss * num_loss_tokens; n_tokens += num_loss_tokens
        prev_end_loc = end_loc; break when end_loc == seq_len
    avg_nll = nll_sum / n_tokens

and records per window the loss, the labels actually scored, and the guide's weight. Pruned
settings run HF's own pruned forward (`reference.register_pruned_attention`: eager attention
with the block rule applied to each layer's probabilities, renormalised, the cascade of
Protocol/README.md §11) through the same loop, plus the KL and top-1 agreement against the dense
logits on the scored rows. A setting is written only when every block decision of every window's
pruned run is at least MIN_MARGIN (relative) from its boundary, so float32 differences between
HF and the Swift forward cannot flip it (the margin is recorded).

Run (about a minute; versions in requirements.txt):
    /work/venv/bin/python Tests/Fixtures/reference/corpus/generate.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
from transformers import GPT2LMHeadModel, GPT2TokenizerFast
from transformers.utils import logging as hf_logging

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(FIXTURES, "analysis"))
import reference  # noqa: E402
from generate_model_goldens import decision_margin  # noqa: E402

MODEL = "tiny-peaked"
# (maxLength, stride): stride < maxLength (the default maxLength / 2, and an odd one) and
# stride = maxLength; 789 tokens, so every case ends in a short last window.
CASES = [(128, 64), (128, 128), (40, 27)]
# (selection, blockSize, value, keepSink, keepLocal), tried in order; at least MIN_SETTINGS kept.
# Every candidate runs; per case the SETTINGS_PER_CASE with the largest decision margins (at
# least MIN_MARGIN) are written: the best of each rule, then the next best.
CANDIDATES = [("threshold", b, round(0.002 * 1.25 ** i, 6), ks, kl) for b in (8, 32) for i in range(0, 20, 2)
              for ks, kl in ((False, False), (True, True))] + \
             [("topK", b, k, ks, kl) for b in (8, 16, 32) for k in (1, 2) for ks, kl in ((False, False), (True, False))] + \
             [("coverage", b, c, False, False) for b in (16, 32) for c in (0.5, 0.8, 0.9)]
MIN_MARGIN = 2e-5
SETTINGS_PER_CASE = 3


def plan(seq_len, max_length, stride):
    windows, prev_end = [], 0
    for begin in range(0, seq_len, stride):
        end = min(begin + max_length, seq_len)
        windows.append((begin, end, end - prev_end))
        prev_end = end
        if end == seq_len:
            break
    return windows


def log_softmax64(logits):
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))


def run_windows(model, ids, windows):
    """The guide's loop: per window HF's loss, the float32 accumulation the guide does, and the
    logits (for KL and agreement) with the scored rows."""
    out = []
    nll_sum = 0.0
    n_tokens = 0
    for begin, end, trg_len in windows:
        input_ids = ids[:, begin:end]
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        with torch.no_grad():
            outputs = model(input_ids, labels=target_ids)
        loss = outputs.loss
        num_valid_tokens = (target_ids != -100).sum().item()
        num_loss_tokens = num_valid_tokens - target_ids.size(0)
        nll_sum += loss * num_loss_tokens
        n_tokens += num_loss_tokens
        # Rows scored after the shift: row p predicts label p + 1, labels with target != -100.
        labels = target_ids[0, 1:].numpy()
        rows = [p for p in range(len(labels)) if labels[p] != -100]
        out.append({"loss": float(loss), "rows": rows, "weight": num_loss_tokens,
                    "logits": outputs.logits[0].float().numpy()})
    return out, float(nll_sum / n_tokens), n_tokens


def window_nll_sum(logits, tokens, rows):
    lp = log_softmax64(logits)
    return float(sum(-lp[p, tokens[p + 1]] for p in rows))


def compare(dense_logits, pruned_logits, rows):
    a, b = log_softmax64(dense_logits), log_softmax64(pruned_logits)
    kl = float(sum((np.exp(a[p]) * (a[p] - b[p])).sum() for p in rows))
    agree = sum(int(np.argmax(dense_logits[p]) == np.argmax(pruned_logits[p])) for p in rows)
    return kl, agree


def weighted(means, weights):
    return sum(m * w for m, w in zip(means, weights)) / sum(weights)


def delta_interval(deltas, weights, mean):
    """Protocol/README.md (evaluateCorpus): the weighted paired t interval over windows."""
    n = len(deltas)
    if n < 2:
        return {"mean": mean, "lower": None, "upper": None, "n": n}
    total = sum(weights)
    se = math.sqrt(n / (n - 1) * sum(w * w * (d - mean) ** 2 for d, w in zip(deltas, weights))) / total
    t = T975[n - 2] if n - 1 <= len(T975) else None
    assert t is not None, "extend T975"
    return {"mean": mean, "lower": mean - t * se, "upper": mean + t * se, "n": n}


T975 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272]


def main():
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model_dir = os.path.join(FIXTURES, "models", MODEL)
    text = open(os.path.join(HERE, "corpus.txt"), encoding="utf-8").read()
    tokenizer = GPT2TokenizerFast.from_pretrained(model_dir)
    tokens = tokenizer(text)["input_ids"]
    ids = torch.tensor([tokens])
    dense_model = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    cases = []
    for max_length, stride in CASES:
        windows = plan(len(tokens), max_length, stride)
        dense, guide_nll, n_tokens = run_windows(dense_model, ids, windows)
        window_rows = []
        for (begin, end, trg_len), d in zip(windows, dense):
            window_tokens = tokens[begin:end]
            window_rows.append({"begin": begin, "end": end, "targetLength": trg_len, "predictions": len(d["rows"]),
                                "guideWeight": d["weight"], "firstScoredRow": d["rows"][0] if d["rows"] else None,
                                "loss": d["loss"], "denseNLLSum": window_nll_sum(d["logits"], window_tokens, d["rows"])})
        weights = [w["guideWeight"] for w in window_rows if w["guideWeight"] > 0]
        dense_means = [w["denseNLLSum"] / w["predictions"] for w in window_rows if w["guideWeight"] > 0]
        nll = weighted(dense_means, weights)
        assert abs(guide_nll - nll) <= 1e-5 * nll, (guide_nll, nll)
        settings = []
        for index, (sel, B, v, ks, kl) in enumerate(CANDIDATES):
            seen = []
            name = reference.register_pruned_attention(sel, B, v, ks, kl, name="sa_corpus_%d_%d_%d" % (max_length, stride, index),
                                                       on_probabilities=lambda layer, p: seen.append(p))
            pruned_model = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation=name).eval()
            pruned, pruned_guide_nll, _ = run_windows(pruned_model, ids, windows)
            margin = decision_margin(seen, B, sel, v)
            if margin < MIN_MARGIN:
                continue
            per_window = []
            for (begin, end, _), d, p in zip(windows, dense, pruned):
                s = window_nll_sum(p["logits"], tokens[begin:end], p["rows"])
                klsum, agree = compare(d["logits"], p["logits"], d["rows"])
                per_window.append({"loss": p["loss"], "nllSum": s, "outputKLSum": klsum, "top1Agreements": agree})
            means = [pw["nllSum"] / w["predictions"] for pw, w in zip(per_window, window_rows) if w["guideWeight"] > 0]
            s_nll = weighted(means, weights)
            assert abs(pruned_guide_nll - s_nll) <= 1e-5 * s_nll, (pruned_guide_nll, s_nll)
            predictions = sum(w["predictions"] for w in window_rows)
            settings.append({
                "selection": sel, "blockSize": B, "threshold": v, "keepSink": ks, "keepLocal": kl,
                "decisionMargin": None if math.isinf(margin) else margin,
                "guideNLL": pruned_guide_nll, "nll": s_nll, "perplexity": math.exp(s_nll),
                "deltaNLL": delta_interval([m - dm for m, dm in zip(means, dense_means)], weights, s_nll - nll),
                "outputKL": sum(pw["outputKLSum"] for pw in per_window) / predictions,
                "top1Agreement": sum(pw["top1Agreements"] for pw in per_window) / predictions,
                "windows": per_window,
            })
        settings.sort(key=lambda s: -(s["decisionMargin"] if s["decisionMargin"] is not None else math.inf))
        chosen = [next(s for s in settings if s["selection"] == rule) for rule in ("threshold", "topK", "coverage")
                  if any(s["selection"] == rule for s in settings)][:SETTINGS_PER_CASE]
        chosen += [s for s in settings if s not in chosen][:SETTINGS_PER_CASE - len(chosen)]
        settings = chosen
        for s in settings:
            print("  (%d, %d) chose %s B=%d %g sink=%s local=%s: ppl %.4f (dense %.4f) margin %.3g" % (
                max_length, stride, s["selection"], s["blockSize"], s["threshold"], s["keepSink"], s["keepLocal"],
                s["perplexity"], math.exp(nll), s["decisionMargin"] or math.inf), file=sys.stderr)
        assert len(settings) == SETTINGS_PER_CASE, "too few well-conditioned settings at (%d, %d)" % (max_length, stride)
        cases.append({"maxLength": max_length, "stride": stride, "windows": window_rows,
                      "tokensScored": n_tokens, "predictionsScored": sum(w["predictions"] for w in window_rows),
                      "guideNLL": guide_nll, "nll": nll, "perplexity": math.exp(nll), "settings": settings})
    golden = {"model": MODEL, "corpus": "corpus.txt", "tokens": tokens, "minMargin": MIN_MARGIN, "cases": cases}
    path = os.path.join(HERE, "golden_%s.json" % MODEL)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s: %d cases" % (os.path.basename(path), len(cases)), file=sys.stderr)


if __name__ == "__main__":
    main()
