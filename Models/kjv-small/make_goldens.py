#!/usr/bin/env python3
"""HuggingFace goldens on `Models/kjv-small` for the Swift tests (GPT2Tests.KJVSmallGoldenTests,
EndToEndTests.KJVSmallDaemonTests). Deterministic; no training, seconds to run:

    /work/venv/bin/python Models/kjv-small/make_goldens.py

The model is loaded as transformers does by default for an F16 checkpoint asked for in float32:
every weight widened exactly to float32, eager attention. Writes Tests/Fixtures/reference/kjv-small/:

    <case>.safetensors   attentions (L, H, T, T), hidden_states (L+1, T, C; last = ln_f output),
                         sampled_logits (T, S) at index.json's sampledIds, logsumexp (T,); all F32
    index.json           case -> {text, tokens, sampledIds, top5 (T × 5 ids), nll (nats, mean over
                         q in 0…T-2 of -ln softmax(z_q)[token[q+1]]), profile}
                         profile: per layer, per head {sinkMass, localMass (block 4), entropy,
                         prevToken}, Float64, the definitions of Protocol/README.md §11;
                         uniformBaseline: the same numbers for causal uniform attention at T;
                         leaders: the head with the largest sinkMass / localMass / prevToken

Full logits (T × 50,257 floats) would be megabytes per case; the sampled columns (seeded ids,
the text's own ids and each row's top 5), the log-sum-exp and the top-5 ids pin them down.
"""

import json
import math
import random
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel, GPT2TokenizerFast

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "Tests" / "Fixtures" / "reference" / "kjv-small"
SEED = 1611
CASES = {
    # The README's demo sentence: modern English the model never saw.
    "readme": "The quick brown fox jumps over the lazy dog",
    # Genesis 20:1-2, from a held-out chapter (chapter index 19, i % 20 == 19 in train.py).
    "heldout": (
        "And Abraham journeyed from thence toward the south country, and dwelled between Kadesh and "
        "Shur, and sojourned in Gerar.\nAnd Abraham said of Sarah his wife, She is my sister: and "
        "Abimelech king of Gerar sent, and took Sarah."
    ),
}


def profile(attn, block_size=4):
    """attn (L, H, T, T) float64 → [[{sinkMass, localMass, entropy, prevToken}] per head] per layer."""
    L, H, T, _ = attn.shape
    out = []
    for l in range(L):
        heads = []
        for h in range(H):
            a = attn[l, h]
            local = np.mean([a[q, (q // block_size) * block_size : q + 1].sum() for q in range(T)])
            nz = a[a > 0]
            entropy = -(nz * np.log(nz)).sum() / T
            prev = float(np.mean([a[q, q - 1] for q in range(1, T)])) if T > 1 else 0.0
            heads.append({"sinkMass": float(a[:, 0].mean()), "localMass": float(local),
                          "entropy": float(entropy), "prevToken": prev})
        out.append(heads)
    return out


def uniform_baseline(T, block_size=4):
    """sinkMass, localMass, prevToken of causal uniform attention (A[q, k] = 1/(q+1)) at T tokens."""
    inv = [1.0 / (q + 1) for q in range(T)]
    return {"sinkMass": sum(inv) / T, "localMass": sum((q % block_size + 1) * inv[q] for q in range(T)) / T,
            "prevToken": sum(inv[1:]) / (T - 1)}


@torch.no_grad()
def main():
    torch.manual_seed(SEED)
    tokenizer = GPT2TokenizerFast.from_pretrained(str(HERE), add_prefix_space=False)
    model = GPT2LMHeadModel.from_pretrained(HERE, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    V = model.config.vocab_size
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    index = {}
    for name, text in CASES.items():
        tokens = tokenizer(text)["input_ids"]
        ids = torch.tensor(tokens)[None]
        out = model(input_ids=ids, output_attentions=True, output_hidden_states=True)
        logits = out.logits[0]  # (T, V)
        attn = torch.stack(out.attentions)[:, 0].contiguous()  # (L, H, T, T)
        hidden = torch.stack(out.hidden_states)[:, 0].contiguous()  # (L+1, T, C)
        top5 = logits.topk(5, dim=-1).indices  # (T, 5)
        sampled = sorted(set(rng.sample(range(V), 500)) | set(tokens) | set(top5.flatten().tolist()) | {V - 1})
        lse = torch.logsumexp(logits.double(), dim=-1)  # (T,)
        logp = logits.double() - lse[:, None]
        nll = float(-np.mean([logp[q, tokens[q + 1]].item() for q in range(len(tokens) - 1)]))
        save_file({"attentions": attn, "hidden_states": hidden,
                   "sampled_logits": logits[:, sampled].contiguous(), "logsumexp": lse.float()},
                  OUT / f"{name}.safetensors")
        prof = profile(attn.double().numpy())
        leaders = {}
        for field in ("sinkMass", "localMass", "prevToken"):
            l, h = max(((l, h) for l in range(len(prof)) for h in range(len(prof[l]))), key=lambda lh: prof[lh[0]][lh[1]][field])
            leaders[field] = {"layer": l, "head": h, "value": prof[l][h][field]}
        index[name] = {"text": text, "tokens": tokens, "sampledIds": sampled, "top5": top5.tolist(),
                       "nll": nll, "profile": prof, "uniformBaseline": uniform_baseline(len(tokens)),
                       "leaders": leaders}
        print(f"{name}: T={len(tokens)} nll {nll:.4f} ({math.exp(nll):.1f} ppl)")
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
