"""FlexAttention golden: PyTorch's own block-sparse kernel run on masks in the layout the Swift
`FlexBlockMask` writes, so the Swift `BlockSparseAttention` can be compared with it.

For the tiny-peaked english case (T = 52) it captures HF's Q, K, V (L, H, T, D) from each block's
c_attn, chooses per (layer, head) the tiles of meanPool coverage 0.8 and of quest topK 2
(tile_reference.py) at Bq = Bk = 4 and 8, turns them into kv_num_blocks / kv_indices (partial
tiles) and full_kv_num_blocks / full_kv_indices (full tiles), checks that
`BlockMask.from_kv_blocks` accepts them and gives back the same dense block mask, and runs
`torch.compile(flex_attention)` with the causal mask_mod (the eager fallback ignores the block
mask) per layer. Writes Tests/Fixtures/analysis/flex_tiny-peaked_english.json: Q, K, V, and per
point the four arrays and the output (L, H, T, D).

Run (venv /work/venv; torch 2.15.0, transformers 5.25.0; about a minute, mostly compiling):
    /work/venv/bin/python Tests/Fixtures/analysis/generate_flex_golden.py
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch.nn.attention.flex_attention import BlockMask, flex_attention
from transformers import GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import tile_reference as ref  # noqa: E402

MODEL, CASE = "tiny-peaked", "english"
POINTS = [("meanPool", "coverage", 0.8), ("quest", "topK", 2)]
BLOCKS = [4, 8]


def causal(b, h, q, k):
    return q >= k


def layout(g, kept_per_head):
    """(kv_num, kv_idx, full_num, full_idx) for one layer's heads, as FlexBlockMask builds them."""
    H = len(kept_per_head)
    kv_num = np.zeros((H, g.nq), np.int32)
    kv_idx = np.zeros((H, g.nq, g.nk), np.int32)
    full_num = np.zeros((H, g.nq), np.int32)
    full_idx = np.zeros((H, g.nq, g.nk), np.int32)
    for h, kept in enumerate(kept_per_head):
        for i, blocks in enumerate(kept):
            for j in blocks:
                partial = g.keys(j)[-1] > g.queries(i)[0]
                num, idx = (kv_num, kv_idx) if partial else (full_num, full_idx)
                idx[h, i, num[h, i]] = j
                num[h, i] += 1
    return kv_num, kv_idx, full_num, full_idx


def main():
    warnings.filterwarnings("ignore")
    model = GPT2LMHeadModel.from_pretrained(os.path.join(FIXTURES, "models", MODEL), attn_implementation="eager")
    model.eval()
    H, C = model.config.n_head, model.config.n_embd
    D = C // H
    tokens = json.load(open(os.path.join(FIXTURES, "reference", MODEL, "index.json")))[CASE]["tokens"]
    T = len(tokens)
    captured = []
    hooks = [b.attn.c_attn.register_forward_hook(lambda _m, _i, out: captured.append(out[0].detach().numpy()))
             for b in model.transformer.h]
    with torch.no_grad():
        model(torch.tensor([tokens]))
    for hook in hooks:
        hook.remove()
    L = len(captured)
    qkv = np.stack(captured).astype(np.float32)                                      # (L, T, 3C)
    split = [qkv[:, :, n * C:(n + 1) * C].reshape(L, T, H, D).transpose(0, 2, 1, 3).copy() for n in range(3)]
    queries, keys, values = split                                                     # (L, H, T, D) each
    compiled = torch.compile(flex_attention)
    points = []
    for block in BLOCKS:
        g = ref.Geometry(T, block, block)
        for estimator, selection, value in POINTS:
            arrays = [[], [], [], []]
            outputs = []
            for l in range(L):
                kept = []
                for h in range(H):
                    if estimator == "meanPool":
                        k, near, _ = ref.mean_pool(g, queries[l, h], keys[l, h], selection, value)
                    else:
                        k, near, _ = ref.quest(g, queries[l, h], keys[l, h], selection, value)
                    assert not near, f"{estimator} B {block} layer {l} head {h}: a decision is near its boundary"
                    kept.append(k)
                parts = layout(g, kept)
                for store, part in zip(arrays, parts):
                    store.append(part)
                kv_num, kv_idx, full_num, full_idx = (torch.from_numpy(p)[None] for p in parts)
                mask = BlockMask.from_kv_blocks(kv_num, kv_idx, full_num, full_idx, BLOCK_SIZE=(block, block),
                                                mask_mod=causal, seq_lengths=(T, T))
                dense = mask.to_dense()[0].numpy()                                    # (H, Nq, Nk)
                for h in range(H):
                    for i in range(g.nq):
                        assert sorted(np.nonzero(dense[h, i])[0].tolist()) == kept[h][i], "BlockMask read back differs"
                q, k, v = (torch.from_numpy(x[l])[None] for x in (queries, keys, values))
                outputs.append(compiled(q, k, v, block_mask=mask)[0].detach().numpy())  # (H, T, D)
            points.append({
                "estimator": estimator, "selection": selection, "value": value, "blockSize": block,
                "kvNumBlocks": np.stack(arrays[0]).reshape(-1).tolist(),
                "kvIndices": np.stack(arrays[1]).reshape(-1).tolist(),
                "fullKvNumBlocks": np.stack(arrays[2]).reshape(-1).tolist(),
                "fullKvIndices": np.stack(arrays[3]).reshape(-1).tolist(),
                "output": [ref.f32(x) for x in np.stack(outputs).reshape(-1)],
            })
    golden = {"model": MODEL, "case": CASE, "shape": {"layers": L, "heads": H, "tokens": T, "headDim": D},
              "queries": [ref.f32(x) for x in queries.reshape(-1)], "keys": [ref.f32(x) for x in keys.reshape(-1)],
              "values": [ref.f32(x) for x in values.reshape(-1)], "points": points}
    path = os.path.join(HERE, f"flex_{MODEL}_{CASE}.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"{path}: {len(points)} points, torch {torch.__version__}")


if __name__ == "__main__":
    main()
