#!/usr/bin/env python3
"""The same GPT-2-small-shaped forward in PyTorch, the peer of `gpt2-bench --forward`:
eager attention, output_attentions=True (every layer's attention kept), torch.set_num_threads(2),
token ids (i·7919 + 13) mod V. "lm_head=False" runs the transformer body without the LM head.
With --model DIR the weights come from DIR's model.safetensors (the file `gpt2-bench --forward
--model DIR` loads; write it with `gpt2-bench --write-model DIR`), else torch's random init.

Usage: torch_forward.py [--model DIR] [--threads N] [--runs N] [--tokens 64,256,1024]
Run with the venv at /root/venvs/sa (torch, transformers). Prints
`torch_forward T=.. lm_head=.. threads=.. median_s=..` lines and `peak_rss_bytes=..`.
"""
import argparse
import resource
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--tokens", default="64,256,1024")
parser.add_argument("--model", help="GPT-2 folder (config.json, model.safetensors)")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

if args.model:
    model = GPT2LMHeadModel.from_pretrained(args.model, attn_implementation="eager").eval()
else:
    model = GPT2LMHeadModel(GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257,
                                       attn_implementation="eager")).eval()
assert model.config._attn_implementation == "eager", model.config._attn_implementation
config = model.config

with torch.inference_mode():
    for t in [int(x) for x in args.tokens.split(",")]:
        ids = (torch.arange(t) * 7919 + 13) % config.vocab_size
        ids = ids.unsqueeze(0)
        for lm_head in (True, False):
            run = (lambda: model(ids, output_attentions=True)) if lm_head else \
                  (lambda: model.transformer(ids, output_attentions=True))
            run()                                  # warm-up
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                out = run()
                times.append(time.perf_counter() - start)
                assert len(out.attentions) == 12 and out.attentions[0].shape[-1] == t
                del out
            times.sort()
            med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
            print(f"torch_forward T={t} lm_head={lm_head} threads={args.threads} median_s={med:.4f}", flush=True)
print(f"peak_rss_bytes={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")
