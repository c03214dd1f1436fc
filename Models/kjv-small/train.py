#!/usr/bin/env python3
"""Train `kjv-small`: a small GPT-2 (4 layers, 4 heads, n_embd 128, n_positions 512, tied
embeddings, GPT-2's real 50,257-id tokenizer) on the King James Bible, CPU only.

Data: Debian's `bible-kjv` + `bible-kjv-text` packages (`apt-get install bible-kjv bible-kjv-text`);
`bible -f "gen1:1-rev22:21"` prints every verse as `Ge1:1 In the beginning ...`; the label is
stripped, verses are joined by "\\n" and chapters by "\\n\\n". Every 20th chapter (chapter index
i % 20 == 19 in canonical order, 59 of 1,189) is held out for evaluation and never trained on.

Outputs (beside this script unless --out says otherwise):

    model.safetensors     the trained weights in F16, transformers-5 layout (tied: no lm_head.weight)
    config.json           GPT2Config
    vocab.json, merges.txt  GPT-2's tokenizer (copied from Tests/Fixtures/gpt2-tokenizer)
    training_log.json     every logged loss, the evaluations, the held-out perplexity (F32 and F16
                          weights) and the per-head attention structure measured below

Training is over a restricted vocabulary: only the 9,747 GPT-2 ids that occur in the training
text get a row during training (the "compact" model, ids remapped), so the LM head costs 9,747
instead of 50,257 dot products per token (it was ~90% of the compute). Channel BIAS_CHANNEL of
ln_f is frozen at weight 0, bias 1, so that channel of the final hidden state is exactly 1 and
column BIAS_CHANNEL of the tied embedding acts as a per-token logit bias (GPT-2 has no lm_head
bias). The exported model is an ordinary full-vocabulary GPT-2 (50,257 rows): trained rows are
scattered to their GPT-2 ids; every unused id's row is the mean trained row with its bias column
set to UNUSED_BIAS, chosen on training text (Good-Turing: the unused ids together get, on average,
the share of probability that singletons have in the training text). The exported model's
held-out perplexity is measured with the full 50,257-way softmax, unused ids included.

Sequences are --seq-len tokens (default 128) at a random position offset in 0 … 512 - seq-len
(offset 0 for a quarter of the batch rows... per step, see sample_batch), so all 512 position
embeddings train.

Checkpoints go to --work-dir (outside the repository); --resume continues from the newest one.
The run stops at --max-steps or after --max-minutes of wall clock, whichever comes first, and
saves. Deterministic for a given thread count (seeds fixed; torch.set_num_threads(--threads)).

Run (the machine is shared: be nice), with the pinned environment of requirements.txt:

    nice -n 10 /work/venv/bin/python Models/kjv-small/train.py
    /work/venv/bin/python Models/kjv-small/train.py --measure-only   # re-measure the saved model
"""

import os

# The machine is shared: spinning OpenMP workers waste the cores others are using and, when
# those are busy, slow this run several-fold (measured: ~200 vs ~1,400 tokens/s under load).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOKENIZER_DIR = REPO / "Tests" / "Fixtures" / "gpt2-tokenizer"
SEED = 1611
BIAS_CHANNEL = 0  # ln_f channel frozen at weight 0, bias 1: a logit-bias column in the tied embedding
HELD_OUT_EVERY = 20  # chapter i is held out when i % 20 == 19
VERSE = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")
# SHA-256 of the stripped text (all chapters, in order) from bible-kjv-text 4.38.
TEXT_SHA256 = "480310282a11e4f648f64c16ccba6627e83d5275369621549e6addce95af0915"

# Texts the structure is measured on (besides held-out windows); the first is the README's.
PROBE_TEXTS = [
    "The quick brown fox jumps over the lazy dog",
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=HERE, help="folder for the model files")
    p.add_argument("--work-dir", type=Path, default=Path("/tmp/kjv-small-train"), help="checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint")
    p.add_argument("--measure-only", action="store_true", help="load --out and measure, no training")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=100000)
    p.add_argument("--stop-step", type=int, default=None,
                   help="stop at this step without changing the schedule (reproduces a run the time budget ended)")
    p.add_argument("--max-minutes", type=float, default=26.0,
                   help="wall-clock budget: the decay starts at (1 - --decay-fraction) of it; hard stop at +3 min")
    p.add_argument("--decay-fraction", type=float, default=0.2, help="share of the run spent decaying the lr")
    p.add_argument("--decay-start", type=int, default=None,
                   help="step the decay starts (default: when the time budget says; the log records it, "
                        "pass it back with --max-steps = the logged end to reproduce a run)")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per step")
    p.add_argument("--seq-len", type=int, default=128, help="tokens per training sequence (<= n_positions)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--no-bf16", dest="bf16", action="store_false",
                   help="train in F32 (default: bf16 autocast for the matmuls, ~3x faster with AVX512-BF16)")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--checkpoint-minutes", type=float, default=4.0)
    return p.parse_args()


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------
def kjv_chapters():
    """[(book, chapter, text)] in canonical order; text = the chapter's verses joined by \\n."""
    raw = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], check=True, capture_output=True, text=True).stdout
    chapters, current, key = [], [], None
    for n, line in enumerate(raw.splitlines(), 1):
        m = VERSE.match(line)
        if not m:
            sys.exit(f"bible output line {n} has no verse label: {line[:60]!r}")
        book, chap, _, verse = m.groups()
        if (book, chap) != key:
            if current:
                chapters.append((*key, "\n".join(current)))
            current, key = [], (book, chap)
        current.append(verse.strip())
    chapters.append((*key, "\n".join(current)))
    return chapters


def token_streams(tokenizer):
    chapters = kjv_chapters()
    digest = hashlib.sha256("\n\n".join(c[2] for c in chapters).encode()).hexdigest()
    if TEXT_SHA256 is not None and digest != TEXT_SHA256:
        print(f"warning: KJV text SHA-256 {digest} differs from the one trained on ({TEXT_SHA256})", file=sys.stderr)
    train, held = [], []
    for i, (_, _, text) in enumerate(chapters):
        ids = tokenizer(text + "\n\n")["input_ids"]
        (held if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else train).extend(ids)
    info = {
        "chapters": len(chapters),
        "heldOutChapters": sum(1 for i in range(len(chapters)) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1),
        "textBytes": len("\n\n".join(c[2] for c in chapters).encode()),
        "textSha256": digest,
        "trainTokens": len(train),
        "heldOutTokens": len(held),
        "distinctTrainTokens": len(set(train)),
    }
    return torch.tensor(train, dtype=torch.long), torch.tensor(held, dtype=torch.long), info


def held_out_windows(held, length):
    """Non-overlapping windows of `length` tokens over the held-out stream: (N, length)."""
    n = held.numel() // length
    return held[: n * length].view(n, length)


# ------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------
def make_config(tokenizer, vocab_size):
    """The exported model has vocab_size = len(tokenizer) (50,257); the compact one trained has fewer."""
    return GPT2Config(
        vocab_size=vocab_size,
        n_positions=512,
        n_embd=128,
        n_layer=4,
        n_head=4,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


def lr_at(step, args):
    """Warm-up, stable, decay: linear warm-up over --warmup steps, constant --lr, then from
    --decay-start a linear decay to 10% at --max-steps."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    if args.decay_start is None or step < args.decay_start:
        return args.lr
    progress = min(1.0, (step - args.decay_start) / max(1, args.max_steps - args.decay_start))
    return args.lr * (1.0 - 0.9 * progress)


class CompactVocabulary:
    """The GPT-2 ids that occur in the training stream, sorted: compact id i <-> GPT-2 id used[i]."""

    def __init__(self, train, full_size):
        self.used = torch.unique(train)  # (U,) sorted GPT-2 ids
        self.full_size = full_size
        self.to_compact = torch.full((full_size,), -1, dtype=torch.long)  # (V,) -1 = unused
        self.to_compact[self.used] = torch.arange(self.used.numel())

    def __len__(self):
        return self.used.numel()

    def compact(self, ids):
        """GPT-2 ids -> compact ids (every id must be used)."""
        out = self.to_compact[ids]
        assert (out >= 0).all(), "an id outside the training vocabulary"
        return out


def freeze_bias_channel(model):
    """ln_f channel BIAS_CHANNEL: weight 0, bias 1 (so final hidden[BIAS_CHANNEL] == 1 exactly)."""
    with torch.no_grad():
        model.transformer.ln_f.weight[BIAS_CHANNEL] = 0.0
        model.transformer.ln_f.bias[BIAS_CHANNEL] = 1.0


def sample_batch(train, args, gen):
    """(x (B, S) compact ids, position_ids (B, S)): random windows at random position offsets;
    a quarter of the rows (at least one) start at position 0, where inference always starts."""
    B, S = args.batch_size, args.seq_len
    starts = torch.randint(0, train.numel() - S, (B,), generator=gen)
    x = torch.stack([train[s : s + S] for s in starts.tolist()])  # (B, S)
    offsets = torch.randint(0, 512 - S + 1, (B,), generator=gen)  # (B,)
    offsets[: max(1, B // 4)] = 0
    pos = offsets[:, None] + torch.arange(S)[None, :]  # (B, S)
    return x, pos


@torch.no_grad()
def export_full(compact_model, vocab, tokenizer, train_compact, unused_bias=None):
    """The full-vocabulary GPT-2 (F32) from the compact one: trained rows at their GPT-2 ids,
    unused rows = mean trained row with column BIAS_CHANNEL = unused_bias (computed by
    good_turing_unused_bias when None). Returns (model, unused_bias, calibration info)."""
    config = make_config(tokenizer, vocab.full_size)
    full = GPT2LMHeadModel(config)
    state = {k: v for k, v in compact_model.state_dict().items() if not k.endswith("wte.weight") and k != "lm_head.weight"}
    wte_c = compact_model.transformer.wte.weight.detach().float()  # (U, C)
    info = {}
    if unused_bias is None:
        unused_bias, info = good_turing_unused_bias(compact_model, vocab, train_compact)
    row = wte_c.mean(0).clone()  # (C,)
    row[BIAS_CHANNEL] = unused_bias
    wte = row[None, :].repeat(vocab.full_size, 1)  # (V, C)
    wte[vocab.used] = wte_c
    state["transformer.wte.weight"] = wte
    missing, unexpected = full.load_state_dict(state, strict=False)
    assert not unexpected and all(k == "lm_head.weight" for k in missing), (missing, unexpected)
    full.tie_weights()
    full.set_attn_implementation("sdpa")
    full.eval()
    return full, float(unused_bias), info


@torch.no_grad()
def good_turing_unused_bias(compact_model, vocab, train_compact, n_windows=16, window=256):
    """The unused-row bias b at which the V - U unused ids together get, averaged over positions of
    n_windows training windows, the probability share Good-Turing gives unseen ids: n1 / N
    (n1 = ids seen exactly once in the training stream, N = its length). Bisection on b."""
    counts = torch.bincount(train_compact, minlength=len(vocab))
    target = float((counts == 1).sum()) / train_compact.numel()
    compact_model.eval()
    wins = train_compact[: n_windows * window].view(n_windows, window)
    hidden = compact_model.transformer(input_ids=wins).last_hidden_state.double()  # (N, T, C)
    wte = compact_model.transformer.wte.weight.double()  # (U, C)
    lse_used = torch.logsumexp(hidden @ wte.T, dim=-1)  # (N, T)
    row = wte.mean(0).clone()
    row[BIAS_CHANNEL] = 0.0
    base = hidden @ row  # (N, T): unused logit minus b
    n_unused = vocab.full_size - len(vocab)
    def share(b):
        lu = math.log(n_unused) + base + b
        return torch.sigmoid(lu - lse_used).mean().item()
    lo, hi = -60.0, 20.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if share(mid) < target else (lo, mid)
    compact_model.train()
    b = 0.5 * (lo + hi)
    return b, {"goodTuringUnseenShare": target, "singletons": int((counts == 1).sum()),
               "unusedIds": n_unused, "unusedBias": b,
               "usedBiasColumn": {"min": float(wte[:, BIAS_CHANNEL].min()), "max": float(wte[:, BIAS_CHANNEL].max()),
                                  "mean": float(wte[:, BIAS_CHANNEL].mean())}}


@torch.no_grad()
def quick_structure(model, windows):
    """Max over heads of (sinkMass, prevToken, localMass) on windows (N, T) of the model's own ids."""
    model.set_attn_implementation("eager")
    model.eval()
    acc = None
    for w in windows:
        s = head_structure(model, w)
        acc = s if acc is None else {k: acc[k] + s[k] for k in acc}
    model.set_attn_implementation("sdpa")
    model.train()
    return {k: float((v / len(windows)).max()) for k, v in acc.items() if k != "entropy"}


@torch.no_grad()
def evaluate(model, windows, batch=8):
    """Mean next-token NLL (nats) over every predicted token of `windows` (N, T)."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, windows.shape[0], batch):
        x = windows[i : i + batch]
        out = model(input_ids=x, labels=x)
        n = x.shape[0] * (x.shape[1] - 1)
        total += out.loss.item() * n
        count += n
    model.train()
    return total / count


# ------------------------------------------------------------------------------------------------
# Attention structure (HuggingFace side), the daemon's definitions (Protocol/README.md §11):
# sinkMass = mean over rows q of A[q, 0]; localMass = mean over rows of the weight on keys
# ⌊q/B⌋B … q (B = 4); prevToken = mean over q ≥ 1 of A[q, q-1]; entropy = mean row entropy (nats).
# ------------------------------------------------------------------------------------------------
@torch.no_grad()
def head_structure(model, ids, block_size=4):
    """Per (layer, head) numbers for one input `ids` (T,), eager attention."""
    out = model(input_ids=ids[None], output_attentions=True)
    attn = torch.stack(out.attentions)[:, 0].double()  # (L, H, T, T)
    L, H, T, _ = attn.shape
    q = torch.arange(T)
    sink = attn[..., 0].mean(-1)  # (L, H)
    prev = attn[..., q[1:], q[1:] - 1].mean(-1) if T > 1 else torch.zeros(L, H, dtype=torch.float64)
    start = (q // block_size) * block_size
    keys = torch.arange(T)
    local_mask = (keys[None, :] >= start[:, None]) & (keys[None, :] <= q[:, None])  # (T, T)
    local = (attn * local_mask).sum(-1).mean(-1)  # (L, H)
    ent = -(attn * torch.log(attn.clamp_min(1e-300))).sum(-1).mean(-1)  # (L, H)
    return {"sinkMass": sink, "prevToken": prev, "localMass": local, "entropy": ent}


def uniform_baseline(T, block_size=4):
    """The four numbers for causal uniform attention (A[q, k] = 1/(q+1)): what 'no structure' scores."""
    q = np.arange(T)
    inv = 1.0 / (q + 1)
    return {"sinkMass": float(inv.mean()), "prevToken": float(inv[1:].mean()),
            "localMass": float(((q % block_size + 1) * inv).mean()), "entropy": float(np.log(q + 1).mean())}


def structure_report(model, tokenizer, held, n_windows=16, window=256):
    model.set_attn_implementation("eager")
    report = {"definitions": "Protocol/README.md §11; localMass at blockSize 4; prevToken = mean_{q>=1} A[q,q-1]"}
    wins = held_out_windows(held, window)[:n_windows]
    acc = None
    for w in wins:
        s = head_structure(model, w)
        acc = s if acc is None else {k: acc[k] + s[k] for k in acc}
    report[f"heldOut_{n_windows}x{window}"] = {k: (v / len(wins)).tolist() for k, v in acc.items()}
    report[f"uniformBaseline_T{window}"] = uniform_baseline(window)
    for text in PROBE_TEXTS:
        ids = torch.tensor(tokenizer(text)["input_ids"])
        s = head_structure(model, ids)
        report[text] = {"tokens": ids.numel(), **{k: v.tolist() for k, v in s.items()}}
    model.set_attn_implementation("sdpa")
    return report


def print_structure(report):
    for name, s in report.items():
        if name.startswith("uniformBaseline"):
            print(f"-- {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in s.items()))
        if name == "definitions" or name.startswith("uniformBaseline"):
            continue
        print(f"-- {name}")
        print("   layer head   sinkMass prevToken localMass entropy")
        for l, row in enumerate(s["sinkMass"]):
            for h in range(len(row)):
                print(f"   {l:5d} {h:4d}   {s['sinkMass'][l][h]:8.3f} {s['prevToken'][l][h]:9.3f} "
                      f"{s['localMass'][l][h]:9.3f} {s['entropy'][l][h]:7.3f}")


# ------------------------------------------------------------------------------------------------
# Checkpoints and output
# ------------------------------------------------------------------------------------------------
def save_checkpoint(work_dir, step, model, opt, log):
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = work_dir / "checkpoint.pt.tmp"
    torch.save({"step": step, "model": model.state_dict(), "opt": opt.state_dict(), "log": log,
                "rng": torch.get_rng_state()}, tmp)
    tmp.replace(work_dir / "checkpoint.pt")
    print(f"checkpoint at step {step} -> {work_dir / 'checkpoint.pt'}", flush=True)


def write_model(model, tokenizer, out):
    out.mkdir(parents=True, exist_ok=True)
    half = GPT2LMHeadModel(model.config)
    half.load_state_dict(model.state_dict())
    half = half.to(torch.float16)
    half.save_pretrained(out, safe_serialization=True)
    gen = out / "generation_config.json"
    if gen.exists():
        gen.unlink()
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(TOKENIZER_DIR / name, out / name)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    tokenizer = GPT2TokenizerFast.from_pretrained(str(TOKENIZER_DIR), add_prefix_space=False)
    assert len(tokenizer) == 50257, f"{TOKENIZER_DIR}: {len(tokenizer)} ids, expected GPT-2's 50,257"
    t0 = time.time()
    train, held, data_info = token_streams(tokenizer)
    print(f"data: {json.dumps(data_info)} ({time.time() - t0:.1f} s)", flush=True)
    eval_windows = held_out_windows(held, 512)

    if args.measure_only:
        model = GPT2LMHeadModel.from_pretrained(args.out, dtype=torch.float32)
        log = json.loads((args.out / "training_log.json").read_text())
        log["heldOutNllF16"] = evaluate(model, eval_windows)
        log["heldOutPerplexityF16"] = math.exp(log["heldOutNllF16"])
        log["structure"] = structure_report(model, tokenizer, held)
        print_structure(log["structure"])
        (args.out / "training_log.json").write_text(json.dumps(log, indent=1) + "\n")
        return

    vocab = CompactVocabulary(train, len(tokenizer))
    train_c = vocab.compact(train)  # (N,) compact ids
    held_in_vocab = vocab.to_compact[held] >= 0
    data_info["heldOutTokensOutsideTrainVocabulary"] = int((~held_in_vocab).sum())
    # Held-out windows for the compact model's running evaluation: the 512-token windows whose
    # every id is in the training vocabulary (the exported model is evaluated on all windows).
    eval_c = [vocab.compact(w) for w in eval_windows if (vocab.to_compact[w] >= 0).all()]
    small_eval_c = torch.stack(eval_c[:16])
    probe_c = small_eval_c[:2, :256]
    print(f"compact vocabulary: {len(vocab)} ids; held-out tokens outside it: "
          f"{data_info['heldOutTokensOutsideTrainVocabulary']}; {len(eval_c)} of {eval_windows.shape[0]} "
          f"held-out windows fully inside", flush=True)
    model = GPT2LMHeadModel(make_config(tokenizer, len(vocab)))
    model.set_attn_implementation("sdpa")
    freeze_bias_channel(model)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    log = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
           "seed": SEED, "data": data_info, "parameters": sum(p.numel() for p in model.parameters()),
           "train": [], "eval": []}
    step = 0
    ckpt = args.work_dir / "checkpoint.pt"
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        log, step = state["log"], state["step"]
        torch.set_rng_state(state["rng"])
        print(f"resumed at step {step}", flush=True)
    gen = torch.Generator().manual_seed(SEED + step)
    small_eval = small_eval_c
    if step == 0:
        nll = evaluate(model, small_eval)
        log["eval"].append({"step": 0, "heldOutNll": nll})
        print(f"step 0 held-out nll {nll:.3f}", flush=True)

    start = time.time()
    first_step = step
    if step > 0:
        log.setdefault("resumes", []).append({"atStep": step, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}})
    last_ckpt = start
    seen_tokens = step * args.batch_size * args.seq_len
    window_loss = []
    if args.decay_start is not None:
        log["decay"] = {"decayStart": args.decay_start, "maxSteps": args.max_steps, "atSeconds": None}
    stop_reason = "max-steps" if args.stop_step is None or args.stop_step >= args.max_steps else "stop-step"
    model.train()
    while step < min(args.max_steps, args.stop_step or args.max_steps):
        elapsed = time.time() - start
        if elapsed > (args.max_minutes + 3) * 60:
            stop_reason = f"hard time limit ({args.max_minutes} + 3 min)"
            break
        if args.decay_start is None and elapsed > (1 - args.decay_fraction) * args.max_minutes * 60:
            # Decay over as many steps again as this throughput gives in the rest of the budget.
            args.decay_start = step
            done = step - first_step  # steps of this run (after a --resume, only the resumed part)
            args.max_steps = min(args.max_steps, step + max(1, round(done * args.decay_fraction / (1 - args.decay_fraction))))
            log["decay"] = {"decayStart": args.decay_start, "maxSteps": args.max_steps, "atSeconds": round(elapsed, 1)}
            print(f"lr decay from step {args.decay_start} to step {args.max_steps}", flush=True)
        x, pos = sample_batch(train_c, args, gen)  # (B, S) compact ids, (B, S) positions
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = model(input_ids=x, position_ids=pos, labels=x).loss  # bf16 matmuls, F32 master weights
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        freeze_bias_channel(model)  # AdamW never moves them (zero grads, no decay); kept exact anyway
        step += 1
        seen_tokens += x.numel()
        window_loss.append(loss.item())
        if step % args.log_every == 0:
            elapsed = time.time() - start
            mean = sum(window_loss) / len(window_loss)
            log["train"].append({"step": step, "loss": mean, "tokens": seen_tokens, "seconds": round(elapsed, 1)})
            print(f"step {step} loss {mean:.3f} lr {lr_at(step - 1, args):.2e} tokens {seen_tokens} "
                  f"{elapsed:.0f} s ({seen_tokens / max(elapsed, 1e-9):.0f} tok/s this run)", flush=True)
            window_loss = []
        if step % args.eval_every == 0:
            nll = evaluate(model, small_eval)
            qs = quick_structure(model, probe_c)
            log["eval"].append({"step": step, "heldOutNllCompact": nll, "maxOverHeads": qs})
            print(f"step {step} held-out nll {nll:.3f} (16 windows, compact softmax); max over heads "
                  + ", ".join(f"{k} {v:.3f}" for k, v in qs.items()), flush=True)
        if time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint(args.work_dir, step, model, opt, log)
            last_ckpt = time.time()
    save_checkpoint(args.work_dir, step, model, opt, log)

    log["stopped"] = {"step": step, "reason": stop_reason, "trainTokens": seen_tokens,
                      "trainSeconds": round(time.time() - start, 1)}
    eval_all_c = torch.stack(eval_c)
    log["heldOutNllCompactSoftmax"] = evaluate(model, eval_all_c)
    log["heldOutCompactWindows"] = f"{eval_all_c.shape[0]} x 512 tokens (windows fully inside the training vocabulary)"
    full, unused_bias, calibration = export_full(model, vocab, tokenizer, train_c)
    log["unusedRows"] = calibration
    log["heldOutNllF32"] = evaluate(full, eval_windows)
    log["heldOutPerplexityF32"] = math.exp(log["heldOutNllF32"])
    log["heldOutNllF32SameWindowsAsCompact"] = evaluate(
        full, torch.stack([w for w in eval_windows if (vocab.to_compact[w] >= 0).all()]))
    log["heldOutWindows"] = f"{eval_windows.shape[0]} x 512 tokens"
    print(f"compact-softmax held-out nll {log['heldOutNllCompactSoftmax']:.3f} ({eval_all_c.shape[0]} windows); "
          f"unused-row bias {unused_bias:.2f} ({json.dumps(calibration)})", flush=True)
    print(f"full-vocabulary held-out nll {log['heldOutNllF32']:.3f} perplexity {log['heldOutPerplexityF32']:.1f} (F32, "
          f"all {eval_windows.shape[0]} windows); same windows as compact: {log['heldOutNllF32SameWindowsAsCompact']:.3f}",
          flush=True)
    write_model(full, tokenizer, args.out)
    half = GPT2LMHeadModel.from_pretrained(args.out, dtype=torch.float32)
    log["heldOutNllF16"] = evaluate(half, eval_windows)
    log["heldOutPerplexityF16"] = math.exp(log["heldOutNllF16"])
    print(f"held-out nll {log['heldOutNllF16']:.3f} perplexity {log['heldOutPerplexityF16']:.1f} (F16 weights)", flush=True)
    log["structure"] = structure_report(half, tokenizer, held)
    print_structure(log["structure"])
    (args.out / "training_log.json").write_text(json.dumps(log, indent=1) + "\n")


if __name__ == "__main__":
    main()
