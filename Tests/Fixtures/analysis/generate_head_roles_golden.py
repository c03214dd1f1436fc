"""Head-role golden: an independent numpy statement of Protocol/README.md §11 "Head roles",
fed HuggingFace's own attention (eager, output_attentions) on a text and on the induction
sequence, for Tests/Fixtures/models/tiny-peaked and Models/kjv-small.

Writes Tests/Fixtures/analysis/head_roles_<model>.json with the params, the text's token ids,
the induction sequence (SplitMix64 written again here, not taken from Swift) and, per (layer,
head): sinkScore, localScore, previousTokenScore, duplicateTokenScore, inductionPatternScore
(TransformerLens' pattern on the text, for the library function), inductionScore (the
tutorial's stripe on the induction sequence), streamingMass, streamingHead, role.
`HeadRolesGoldenTests` compares the Swift forward pass + AttentionAnalysis with it (1e-6).

The TransformerLens scores follow its head_detector (detect_head with error_measure "mul",
exclude_bos and exclude_current_token False): sum(A * D) / sum(A), with D built as its
get_*_detection_pattern functions build it (torch.roll for induction), in numpy.

Run (venv /work/venv, versions in head_roles_requirements.txt; a few seconds, deterministic):
    /work/venv/bin/python Tests/Fixtures/analysis/generate_head_roles_golden.py
"""
import json
import os

import numpy as np
import torch
from transformers import AutoTokenizer, GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

MODELS = {
    "tiny-peaked": os.path.join(ROOT, "Tests/Fixtures/models/tiny-peaked"),
    "kjv-small": os.path.join(ROOT, "Models/kjv-small"),
}
TEXT = ("In the beginning God created the heaven and the earth. And the earth was without form, and void; "
        "and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.")
# Smaller than the defaults where the defaults would keep every row of a ~50-token text.
PARAMS = {"localWindow": 4, "inductionSeed": 7, "inductionLength": 40, "streamingSinkTokens": 4,
          "streamingWindow": 16, "streamingMinMass": 0.9, "roleThreshold": 0.4}
MASK64 = (1 << 64) - 1


def splitmix64_ids(seed, n, vocab):
    """§11: s += 0x9E3779B97F4A7C15; z = s; z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9;
    z = (z ^ z >> 27) * 0x94D049BB133111EB; z ^= z >> 31 (mod 2^64); id = z mod vocab."""
    s, out = seed, []
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & MASK64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out.append(z % vocab)
    return out


def attentions(model, ids):
    """HF eager attention, (L, H, T, T) float32."""
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_attentions=True)
    return np.stack([a[0].numpy() for a in out.attentions]).astype(np.float32)


def mul_score(a, pattern):
    a = a.astype(np.float64)
    return float((a * pattern).sum() / a.sum())


def previous_pattern(t):
    d = np.zeros((t, t))
    d[1:, :-1] = np.eye(t - 1)
    return np.tril(d)


def duplicate_pattern(ids):
    ids = np.asarray(ids)
    eq = (ids[None, :] == ids[:, None]).astype(np.float64)
    np.fill_diagonal(eq, 0)
    return np.tril(eq)


def induction_pattern(ids):
    dup = duplicate_pattern(ids)
    shifted = np.roll(dup, 1, axis=1)
    shifted[:, 0] = 0
    return np.tril(shifted)


def head_scores(a, ids, p):
    t = a.shape[0]
    a64 = a.astype(np.float64)
    w = p["localWindow"]
    local = np.mean([a64[q, max(0, q - w + 1):q + 1].sum() for q in range(t)])
    s, win = p["streamingSinkTokens"], p["streamingWindow"]
    kept = []
    for q in range(t):
        keep = np.zeros(t, dtype=bool)
        keep[:min(s, q + 1)] = True
        keep[max(0, q - win + 1):q + 1] = True
        kept.append(a64[q, keep].sum() / a64[q, :q + 1].sum())
    return {
        "sinkScore": float(a64[:, 0].mean()),
        "localScore": float(local),
        "previousTokenScore": mul_score(a, previous_pattern(t)),
        "duplicateTokenScore": mul_score(a, duplicate_pattern(ids)),
        "inductionPatternScore": mul_score(a, induction_pattern(ids)),
        "streamingMass": float(np.mean(kept)),
    }


def stripe(a, n):
    """Mean of A[q, q - (n - 1)] over the second copy's rows q = n + 1 ... 2n."""
    diag = np.diagonal(a.astype(np.float64), offset=-(n - 1))   # rows n-1 ... 2n
    return float(diag[-n:].mean())


def role(sc, threshold):
    named = [("induction", sc["inductionScore"]), ("duplicateToken", sc["duplicateTokenScore"]),
             ("previousToken", sc["previousTokenScore"]), ("sink", sc["sinkScore"])]
    best = None
    for name, v in named:
        if v >= threshold and (best is None or v > best[1]):
            best = (name, v)
    if best:
        return best[0]
    return "local" if sc["localScore"] >= threshold else "diffuse"


def main():
    for name, path in MODELS.items():
        model = GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager", dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(path)
        ids = tok(TEXT)["input_ids"][: model.config.n_positions]
        vocab = json.load(open(os.path.join(path, "vocab.json")))
        bos = vocab.get("<|endoftext|>", 0)
        n = PARAMS["inductionLength"]
        rand = splitmix64_ids(PARAMS["inductionSeed"], n, model.config.vocab_size)
        induction_ids = [bos] + rand + rand
        text_attn, ind_attn = attentions(model, ids), attentions(model, induction_ids)
        heads = []
        for l in range(text_attn.shape[0]):
            for h in range(text_attn.shape[1]):
                sc = head_scores(text_attn[l, h], ids, PARAMS)
                sc["inductionScore"] = stripe(ind_attn[l, h], n)
                sc["streamingHead"] = bool(sc["streamingMass"] >= PARAMS["streamingMinMass"])
                sc["role"] = role(sc, PARAMS["roleThreshold"])
                heads.append({"layer": l, "head": h, **sc})
        out = {"model": name, "params": PARAMS, "tokens": ids, "inductionTokens": induction_ids, "heads": heads,
               "generator": "Tests/Fixtures/analysis/generate_head_roles_golden.py",
               "versions": {"torch": torch.__version__.split("+")[0], "numpy": np.__version__}}
        with open(os.path.join(HERE, f"head_roles_{name}.json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        print(name, len(ids), "tokens;", {r: sum(1 for x in heads if x["role"] == r) for r in {x["role"] for x in heads}})


if __name__ == "__main__":
    main()
