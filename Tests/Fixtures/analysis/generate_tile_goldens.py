"""Tile goldens: tile_reference.py fed HuggingFace's own Q, K and attention of the tiny-peaked
fixture, for the oracle and every estimator on several tile shapes.

Writes Tests/Fixtures/analysis/tiles_tiny-peaked_<case>.json with the case's tokens, HF's Q and K
(L, H, T, D) (captured from each block's c_attn output), and per point: per (layer, head) the kept
key blocks of every query block as a bit mask (bit j = key block j), the query blocks whose
decision lies within tile_reference.NEAR of a boundary (`near`), and the pooled metrics. The
attention fed to the oracle and the metrics is the stored `attentions` tensor of
Tests/Fixtures/reference/tiny-peaked/<case>.safetensors (the bytes the Swift test reads); the
script checks HF's re-run attention matches it.

Run (venv /work/venv; numpy 2.4.6, torch 2.15.0, transformers 5.25.0, safetensors 0.8.0; seconds):
    /work/venv/bin/python Tests/Fixtures/analysis/generate_tile_goldens.py
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import tile_reference as ref  # noqa: E402

MODEL = "tiny-peaked"
CASES = ["english", "mixed"]                       # T = 52, 41: partial last blocks below
GEOMETRIES = [(4, 4), (8, 8), (8, 4), (1, 4)]


def points_for(bq, bk):
    out = []
    for sel, v in [("threshold", 0.2), ("threshold", 0.05), ("coverage", 0.8), ("coverage", 0.95), ("topK", 2),
                   ("relativeThreshold", 1), ("relativeThreshold", 4)]:
        out.append({"estimator": "oracle", "selection": sel, "value": v})
    out.append({"estimator": "oracle", "selection": "coverage", "value": 0.5, "keepSink": True, "keepLocal": True})
    for sel, v in [("coverage", 0.8), ("coverage", 0.95), ("threshold", 0.1), ("topK", 2), ("relativeThreshold", 4)]:
        out.append({"estimator": "meanPool", "selection": sel, "value": v})
    for stride in [1, 2, 4]:
        if bq % stride == 0 and bk % stride == 0:
            for sel, v in [("coverage", 0.8), ("coverage", 0.95), ("topK", 1)]:
                out.append({"estimator": "antidiagonal", "stride": stride, "selection": sel, "value": v})
    for sel, v in [("topK", 2), ("topK", 8), ("coverage", 0.9), ("threshold", 0.05), ("relativeThreshold", 2)]:
        out.append({"estimator": "lastQueries", "lastQueries": 8, "selection": sel, "value": v})
    for sel, v in [("topK", 1), ("topK", 3), ("threshold", 0.3), ("coverage", 0.9), ("relativeThreshold", 8)]:
        out.append({"estimator": "quest", "selection": sel, "value": v})
    for sink, w in [(4, 4), (4, 16), (0, 8)]:
        out.append({"estimator": "streaming", "sinkTokens": sink, "selection": "window", "value": w})
    for p in out:
        p["queryBlockSize"], p["keyBlockSize"] = bq, bk
        p.setdefault("keepSink", False)
        p.setdefault("keepLocal", False)
    return out


def run_point(p, g, Q, K, A, D):
    e, sel, v = p["estimator"], p["selection"], p["value"]
    if e == "oracle":
        return ref.oracle(g, A, sel, v, p["keepSink"], p["keepLocal"])
    if e == "meanPool":
        return ref.mean_pool(g, Q, K, sel, v)
    if e == "antidiagonal":
        return ref.antidiagonal(g, Q, K, p["stride"], sel, v)
    if e == "lastQueries":
        return ref.last_queries(g, Q, K, p["lastQueries"], sel, v)
    if e == "quest":
        return ref.quest(g, Q, K, sel, v)
    return ref.streaming(g, p["sinkTokens"], int(v))


def main():
    model = GPT2LMHeadModel.from_pretrained(os.path.join(FIXTURES, "models", MODEL), attn_implementation="eager")
    model.eval()
    cfg = model.config
    H, C = cfg.n_head, cfg.n_embd
    D = C // H
    index = json.load(open(os.path.join(FIXTURES, "reference", MODEL, "index.json")))
    for case in CASES:
        tokens = index[case]["tokens"]
        T = len(tokens)
        captured = []
        hooks = [block.attn.c_attn.register_forward_hook(lambda _m, _i, out: captured.append(out[0].detach().numpy()))
                 for block in model.transformer.h]
        with torch.no_grad():
            out = model(torch.tensor([tokens]), output_attentions=True)
        for h in hooks:
            h.remove()
        stored = load_file(os.path.join(FIXTURES, "reference", MODEL, f"{case}.safetensors"))["attentions"]
        rerun = np.stack([a[0].numpy() for a in out.attentions])
        assert np.abs(rerun - stored).max() <= 1e-6, f"{case}: HF attention moved {np.abs(rerun - stored).max()}"
        L = len(captured)
        qkv = np.stack(captured).astype(np.float32)                            # (L, T, 3C)
        queries = qkv[:, :, :C].reshape(L, T, H, D).transpose(0, 2, 1, 3)       # (L, H, T, D)
        keys = qkv[:, :, C:2 * C].reshape(L, T, H, D).transpose(0, 2, 1, 3)     # (L, H, T, D)
        points = []
        for bq, bk in GEOMETRIES:
            g = ref.Geometry(T, bq, bk)
            for p in points_for(bq, bk):
                masks, nears, heads, macs = [], [], [], 0
                for l in range(L):
                    for h in range(H):
                        kept, near, m = run_point(p, g, queries[l, h], keys[l, h], stored[l, h], D)
                        masks.append([sum(1 << j for j in blocks) for blocks in kept])
                        nears.append(near)
                        heads.append(ref.head_metrics(g, kept, stored[l, h], D))
                        macs += m
                p["masks"], p["near"], p["metrics"] = masks, nears, ref.pooled(heads, macs)
                points.append(p)
        golden = {
            "model": MODEL, "case": case, "tokens": tokens,
            "shape": {"layers": L, "heads": H, "tokens": T, "headDim": D},
            "queries": [ref.f32(x) for x in queries.reshape(-1)],
            "keys": [ref.f32(x) for x in keys.reshape(-1)],
            "points": points,
        }
        path = os.path.join(HERE, f"tiles_{MODEL}_{case}.json")
        with open(path, "w") as f:
            json.dump(golden, f, separators=(",", ":"))
        near_points = sum(1 for p in points if any(p["near"]))
        print(f"{path}: {len(points)} points, {near_points} with decisions within {ref.NEAR} of a boundary")


if __name__ == "__main__":
    main()
