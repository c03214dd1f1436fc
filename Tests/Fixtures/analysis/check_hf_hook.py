"""Self-check of reference.py's transformers hook on a tiny random GPT-2 built in a temp dir
(nothing is written to the repository). Run:
    /root/venvs/sa/bin/python Tests/Fixtures/analysis/check_hf_hook.py
Checks: (1) a point that prunes nothing reproduces eager attention's logits; (2) with pruning,
every layer's attention in the pruned run obeys the rule on its own (cascade) attention:
pruned blocks are zero and rows sum to 1; (3) end_to_end() reports a positive outputKL."""
import os
import sys
import tempfile

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402


def main():
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=97, n_positions=64, n_embd=32, n_layer=3, n_head=4, initializer_range=0.3)
    with tempfile.TemporaryDirectory() as tmp:
        GPT2LMHeadModel(config).save_pretrained(tmp)
        dense = GPT2LMHeadModel.from_pretrained(tmp, attn_implementation="eager").eval()
        tokens = [int(t) for t in np.random.default_rng(1).integers(0, 97, size=23)]
        ids = torch.tensor([tokens])
        with torch.no_grad():
            full = dense(ids, output_attentions=True)
        logits_full = full.logits[0].numpy()

        name = reference.register_pruned_attention("threshold", 4, 1e-30, name="sa_prune_nothing")
        same = GPT2LMHeadModel.from_pretrained(tmp, attn_implementation=name).eval()
        with torch.no_grad():
            z = same(ids).logits[0].numpy()
        assert np.allclose(z, logits_full, rtol=1e-5, atol=1e-5), "pruning nothing must reproduce eager logits"

        selection, B, tau = "threshold", 4, 0.05
        name = reference.register_pruned_attention(selection, B, tau, name="sa_pruned_check")
        pruned = GPT2LMHeadModel.from_pretrained(tmp, attn_implementation=name).eval()
        with torch.no_grad():
            out = pruned(ids, output_attentions=True)
        T = len(tokens)
        zeroed = 0
        for layer, a in enumerate(out.attentions):
            a = a[0].numpy()
            assert np.allclose(a.sum(-1), 1.0, atol=1e-5), "rows must sum to 1 (layer %d)" % layer
            for h in range(a.shape[0]):
                for q in range(T):
                    for j in range(q // B + 1):
                        keys = [k for k in range(j * B, min(j * B + B, T)) if k <= q]
                        if all(a[h, q, k] == 0 for k in keys):
                            zeroed += 1
        assert zeroed > 0, "tau = %g should prune some blocks" % tau
        metrics = reference.end_to_end(logits_full, out.logits[0].numpy(), tokens)
        assert metrics["outputKL"] > 0 and 0 <= metrics["top1Agreement"] <= 1
        print("ok: %d zeroed blocks; %s" % (zeroed, metrics))


if __name__ == "__main__":
    main()
