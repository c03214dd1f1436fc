"""Mask-export golden: the `.npy` files `pruneSweep` writes with `exportMask` (Protocol/README.md
§10, `exportMask`), loaded by PyTorch's own `BlockMask.from_kv_blocks` and run through
`torch.compile(flex_attention)` (the eager fallback ignores the block mask).

For tiny-peaked english (T = 52) the daemon exports two sweeps at Bq = 4 over Bk = 4 and 8:
meanPool coverage 0.8 and quest topK 2 (every mask keeps every row's own key block, so no row
falls back to dense). This script, for every exported point:
  1. reads mask.json and the five int32 arrays with numpy, and checks their shapes and dtype;
  2. checks they are the tiles the independent reference (tile_reference.py) chooses from HF's own
     Q and K, with no decision near a boundary;
  3. builds `BlockMask.from_kv_blocks(kv_num_blocks, kv_indices, full_kv_num_blocks,
     full_kv_indices, BLOCK_SIZE, mask_mod=causal)` per layer and checks `to_dense()` gives back
     the kept tiles;
  4. runs compiled flex_attention on HF's Q, K, V of each layer (as generate_flex_golden.py
     recorded them in flex_tiny-peaked_english.json) and checks it against a float64 masked
     softmax over the same entries (1e-5).
Writes Tests/Fixtures/analysis/mask_export_tiny-peaked_english.json: per point the settings,
the four arrays as read, and flex_attention's output (L, H, T, D); the Swift tests check the
daemon's files against the arrays and BlockSparseAttention (the daemon's pruned attention)
against the output.

Run (venv /work/venv; torch 2.15.0, numpy; requirements.txt; a minute, mostly compiling),
after exporting with the debug build:
    T=$(python3 -c "import json;print(','.join(map(str,json.load(open('Tests/Fixtures/reference/tiny-peaked/index.json'))['english']['tokens'])))")
    .build/debug/attn sweep --model Tests/Fixtures/models/tiny-peaked --no-history --tokens $T --query-block-size 4 \
        --block-sizes 4,8 --estimator meanPool --selection coverage --thresholds 0.8 --export-mask /tmp/masks-meanPool
    .build/debug/attn sweep ... --estimator quest --selection topK --thresholds 2 --export-mask /tmp/masks-quest
    /work/venv/bin/python Tests/Fixtures/analysis/generate_mask_export_golden.py /tmp/masks-meanPool /tmp/masks-quest
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch.nn.attention.flex_attention import BlockMask, flex_attention

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import tile_reference as ref  # noqa: E402

MODEL, CASE = "tiny-peaked", "english"
ARRAYS = ["kv_num_blocks", "kv_indices", "full_kv_num_blocks", "full_kv_indices", "dense_rows"]


def causal(b, h, q, k):
    return q >= k


def hf_projections():
    """HF's Q, K, V (L, H, T, D) float32 of the english case, as generate_flex_golden.py captured
    them from each block's c_attn (flex_tiny-peaked_english.json), and the shape."""
    flex = json.load(open(os.path.join(HERE, f"flex_{MODEL}_{CASE}.json")))
    s = flex["shape"]
    shape = (s["layers"], s["heads"], s["tokens"], s["headDim"])
    return [np.asarray(flex[name], dtype=np.float32).reshape(shape) for name in ("queries", "keys", "values")]


def reference_tiles(g, settings, Q, K):
    """kept[i] of one head by tile_reference, and whether a decision is near a boundary."""
    estimator, selection, value = settings["estimator"], settings["selection"], settings["threshold"]
    if estimator == "meanPool":
        kept, near, _ = ref.mean_pool(g, Q, K, selection, value)
    elif estimator == "quest":
        kept, near, _ = ref.quest(g, Q, K, selection, int(value))
    else:
        raise SystemExit(f"this golden covers meanPool and quest, not {estimator}")
    return kept, near


def masked_reference(q, k, v, kept, g):
    """float64 softmax over each row's kept visible keys, then · V. (T, D)"""
    T, D = q.shape
    scores = (q.astype(np.float64) @ k.astype(np.float64).T) / np.sqrt(D)
    out = np.zeros((T, D))
    for t in range(T):
        keys = [key for j in kept[t // g.bq] for key in g.keys(j) if key <= t]
        row = scores[t, keys]
        w = np.exp(row - row.max())
        out[t] = (w / w.sum()) @ v[keys].astype(np.float64)
    return out


def main(folders):
    warnings.filterwarnings("ignore")
    index = json.load(open(os.path.join(FIXTURES, "reference", MODEL, "index.json")))
    tokens = index[CASE]["tokens"]
    queries, keys, values = hf_projections()
    L, H, T, D = queries.shape
    assert T == len(tokens)
    compiled = torch.compile(flex_attention)
    points = []
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            meta = json.load(open(os.path.join(path, "mask.json")))
            assert meta["tokens"] == tokens, f"{path}: exported for other tokens"
            bq, bk = meta["BLOCK_SIZE"]
            g = ref.Geometry(T, bq, bk)
            arrays = {a: np.load(os.path.join(path, a + ".npy"), allow_pickle=False) for a in ARRAYS}
            for a, shape in [("kv_num_blocks", (L, H, g.nq)), ("kv_indices", (L, H, g.nq, g.nk)), ("dense_rows", (L, H, T))]:
                assert arrays[a].dtype == np.int32 and arrays[a].shape == shape, f"{path}/{a}: {arrays[a].dtype} {arrays[a].shape}"
            assert meta["fallbackRows"] == 0 and not arrays["dense_rows"].any(), f"{path}: rows fall back to dense"
            outputs = []
            for l in range(L):
                parts = [torch.from_numpy(arrays[a][l])[None] for a in ARRAYS[:4]]
                mask = BlockMask.from_kv_blocks(*parts, BLOCK_SIZE=(bq, bk), mask_mod=causal, seq_lengths=(T, T))
                dense = mask.to_dense()[0].numpy()                                     # (H, Nq, Nk)
                q, k, v = (torch.from_numpy(x[l])[None] for x in (queries, keys, values))
                out = compiled(q, k, v, block_mask=mask)[0].detach().numpy()           # (H, T, D)
                for h in range(H):
                    kept, near = reference_tiles(g, meta["settings"], queries[l, h], keys[l, h])
                    assert not near, f"{path} layer {l} head {h}: a decision is near its boundary"
                    for i in range(g.nq):
                        exported = sorted(np.nonzero(dense[h, i])[0].tolist())
                        assert exported == kept[i], f"{path} layer {l} head {h} block {i}: exported {exported}, reference {kept[i]}"
                    worst = np.abs(out[h] - masked_reference(queries[l, h], keys[l, h], values[l, h], kept, g)).max()
                    assert worst <= 1e-5, f"{path} layer {l} head {h}: flex_attention vs float64 reference {worst}"
                outputs.append(out)
            s = meta["settings"]
            points.append({
                "estimator": s["estimator"], "selection": s["selection"], "value": s["threshold"],
                "queryBlockSize": bq, "blockSize": bk, "folder": name,
                "kvNumBlocks": arrays["kv_num_blocks"].reshape(-1).tolist(),
                "kvIndices": arrays["kv_indices"].reshape(-1).tolist(),
                "fullKvNumBlocks": arrays["full_kv_num_blocks"].reshape(-1).tolist(),
                "fullKvIndices": arrays["full_kv_indices"].reshape(-1).tolist(),
                "output": [ref.f32(x) for x in np.stack(outputs).reshape(-1)],
            })
    golden = {"model": MODEL, "case": CASE, "tokens": tokens, "shape": {"layers": L, "heads": H, "tokens": T, "headDim": D},
              "projections": f"flex_{MODEL}_{CASE}.json", "points": points}
    out = os.path.join(HERE, f"mask_export_{MODEL}_{CASE}.json")
    with open(out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"{out}: {len(points)} points, torch {torch.__version__}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
