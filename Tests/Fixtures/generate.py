#!/usr/bin/env python3
"""Generate the reference fixtures under Tests/Fixtures/ with HuggingFace transformers.

Run from anywhere with the pinned environment (requirements.txt beside this file):

    /root/venvs/sa/bin/python Tests/Fixtures/generate.py

Everything is deterministic (fixed seeds, single-threaded torch). Outputs:

    tokenizer/vocab.json, tokenizer/merges.txt     a 512-entry byte-level BPE trained on CORPUS
    models/tiny-peaked/                            transformers-5 layout, large init -> peaked attention
    models/tiny-legacy/                            older layout: no `transformer.` prefix, attn.bias and
                                                   attn.masked_bias buffers, explicit lm_head.weight
    reference/<model>/<case>.safetensors           logits (T, V), attentions (L, H, T, T),
                                                   hidden_states (L+1, T, C), all F32
    reference/<model>/index.json                   case -> {text, tokens}
    reference/tokenizer_cases.json                 [{text, ids, offsets, pretokens}]: offsets are each
                                                   token's UTF-8 byte span [start, end); pretokens the
                                                   byte spans of HF's pre-tokeniser on the whole text

Every bias and every LayerNorm weight/bias is perturbed with random noise, so a loader that
drops or mixes up any of them cannot reproduce the reference outputs.
"""

import json
import os
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tokenizers import ByteLevelBPETokenizer
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

HERE = Path(__file__).resolve().parent
EOT = "<|endoftext|>"
VOCAB_SIZE = 512
SEED = 20240611

# ---------------------------------------------------------------------------------------------
# Training text for the tokenizer: varied on purpose so that merges cover letters, accents, CJK,
# emoji byte sequences, code, numbers, contractions and whitespace runs.
# ---------------------------------------------------------------------------------------------
CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog didn't move; it's a very lazy dog.",
    "Attention is all you need, they said. But how much of the attention can we skip?",
    "In the beginning the model reads every token, and every token attends to the tokens before it.",
    "She'd said that we'll see, and they've seen it. I'm sure you're right, and he's wrong.",
    "SHE'D SAID THAT WE'LL SEE. I'M SURE YOU'RE RIGHT. DON'T STOP. IT'S FINE. THEY'VE GONE.",
    "don't won't can't shouldn't wouldn't isn't aren't wasn't weren't hasn't haven't hadn't",
    "Café, naïve, résumé, jalapeño, façade, coöperate, Ångström, Øresund, Dvořák, Łódź, Þór.",
    "Cafe\u0301 with a combining accent, nai\u0308ve with a combining diaeresis, e\u0300 and a\u030a.",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein. Straße, Größe, Fußgänger, Äpfel.",
    "Это пример текста на русском языке. Привет, мир! Ελληνικά: καλημέρα κόσμε.",
    "日本語のテキストです。東京は大きな都市です。漢字とひらがなとカタカナ。",
    "中文文本：你好，世界！今天天气很好。我们在学习注意力机制。",
    "한국어 텍스트입니다. 안녕하세요, 세계!",
    "مرحبا بالعالم. الأرقام العربية: ٠١٢٣٤٥٦٧٨٩ وهذه جملة.",
    "हिन्दी में एक वाक्य। नमस्ते दुनिया।",
    "Emoji: 😀 😃 😄 👍 👍🏻 👍🏽 👍🏿 👋🏼 ❤️ 🔥 ✨ 🎉 🚀 🐍 🦀",
    "Families and ZWJ: 👨‍👩‍👧‍👦 👩‍❤️‍👨 🧑‍💻 👩🏾‍🔬 🏳️‍🌈 🏴‍☠️ and flags 🇫🇷 🇯🇵 🇺🇸 🇩🇪",
    "def forward(self, x):\n    h = self.ln_1(x)\n    return x + self.attn(h)\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }\r\n",
    "if x != y && z >= 10 || w <= -3: print(f\"{x:.3f}\")\n",
    "let scores = q.dot(k) / sqrt(64.0) // (H, T, T)\n",
    "Numbers: 0 1 2 3 42 1024 3.14159 2.71828 1e-5 -0.5 +7 100,000 2024-06-11 12:34:56",
    "Fullwidth digits ０１２３４５６７８９ and superscripts x² y³ and fractions ½ ¾ and Ⅻ.",
    "Tabs\tbetween\twords\tand\t\tdouble\ttabs.\r\nWindows line endings\r\nand more.\r\n",
    "Spaces:  two   three    four     five      six. Trailing spaces   \n   Leading spaces.",
    "Non-breaking\u00a0space, em\u2003space, ideographic\u3000space, thin\u2009space.",
    "Punctuation runs!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}",
    "Quotes: 'single' \"double\" “curly” ‘curly’ «guillemets» „low“ — en–dash — em—dash.",
    "URLs: https://example.com/path?query=value&other=1#anchor and emails a.b@c.org.",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic.",
    "The attention weights are peaked: one key gets most of the mass, the rest share little.",
    "Block sparse attention prunes blocks whose maximum weight is below a threshold tau.",
    "Kullback-Leibler divergence measures how much the pruned distribution differs from the dense one.",
]


def corpus_iterator():
    # Several passes with the sentences in shuffled order give enough pair counts for ~250 merges.
    rng = random.Random(SEED)
    for _ in range(6):
        order = list(range(len(CORPUS)))
        rng.shuffle(order)
        for i in order:
            yield CORPUS[i]


def train_tokenizer(out_dir: Path) -> None:
    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    tok.train_from_iterator(corpus_iterator(), vocab_size=VOCAB_SIZE, min_frequency=2,
                            show_progress=False, special_tokens=[EOT])
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save_model(str(out_dir))
    vocab = json.loads((out_dir / "vocab.json").read_text(encoding="utf-8"))
    merges = (out_dir / "merges.txt").read_text(encoding="utf-8").split("\n")
    assert merges[0].startswith("#version"), "merges.txt must start with the #version line"
    assert EOT in vocab, "the special token must be in the vocabulary"
    print(f"tokenizer: {len(vocab)} entries, {len([m for m in merges[1:] if m])} merges")


def load_hf_tokenizer(directory: Path) -> GPT2TokenizerFast:
    tokenizer = GPT2TokenizerFast.from_pretrained(str(directory), add_prefix_space=False)
    assert len(tokenizer) == VOCAB_SIZE, f"GPT2TokenizerFast loaded {len(tokenizer)} entries"
    return tokenizer


# ---------------------------------------------------------------------------------------------
# Tokenizer reference cases
# ---------------------------------------------------------------------------------------------
HAND_CASES = [
    "",
    "a",
    " ",
    "Hello world",
    " Hello world",
    "Café résumé naïve",                                         # precomposed
    "Cafe\u0301 re\u0301sume\u0301 nai\u0308ve",                  # combining marks (Mn is not \p{L})
    "\u0301start with a combining mark",
    "日本語のテキスト。中文文本，你好！한국어",
    "👍 👍🏻 👍🏽 👍🏿 waving 👋🏼",                                   # skin tones
    "👨‍👩‍👧‍👦 family, 👩‍❤️‍👨 couple, 🧑‍💻 coder, 👩🏾‍🔬 scientist",  # ZWJ sequences
    "🇫🇷🇯🇵🇺🇸 flags 🏳️‍🌈 🏴‍☠️",
    "don't DON'T I'm we'll they've it's She'D",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D",
    "it's'sa''s '''s x'sy 'ss 'lll 'dd",
    "a b",
    "a  b",
    "a   b",
    "a    b",
    "a     b",
    "trailing   ",
    "   leading",
    "  both  ",
    "     ",
    "line one\r\nline two\r\n",
    "\r\n\r\n",
    "\n\n\nx",
    "tab\tseparated\t\tvalues\t",
    "\t \tmixed \t whitespace \n",
    "control\x00null\x07bell\x1bescape\x7fdel",
    "\x1c\x1d\x1e\x1f information separators",
    "nbsp\u00a0here \u00a0 and em\u2003space and ideographic\u3000space",
    "\u2028line sep\u2029para sep\u0085next line\u000bvt\u000cff",
    "\u200bzero width\u200c\u200d joiners \ufeffbom \u180emongolian",
    "digits 0123456789 arabic-indic ٠١٢٣٤٥٦٧٨٩ fullwidth ０１２３ devanagari ०१२",
    "superscript x² fraction ½ roman Ⅻ circled ① ",
    "3.14159 1,000,000 1e-5 -42 +7 2024-06-11",
    "text<|endoftext|>more",
    "<|endoftext|>",
    "<|endoftext|><|endoftext|>",
    " <|endoftext|> spaced <|endoftext|>",
    "<|endoftext|incomplete <|endoftext",
    "Supercalifragilisticexpialidocious" * 3,
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "wow!!! really??? ... --- *** (((nested))) [[[ ]]] {{{}}} ~~~ ```code```",
    "!?.,;:", " !?", "a!b?c",
    "Ǆemo ǅemo ǆemo titlecase, ʰmodifier ʲ letters, ª º ordinals",
    "µ micro ß sharp ſ long s ﬁ ligature",
    "Ελληνικά Русский עברית العربية हिन्दी ไทย",
    "x\u0308\u0301 stacked marks ẍ́",
    "mixed123numbers456and789letters",
    "ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ",
    "emoji at end 🦀",
    "🐍",
    "é",
    "e\u0301",
    "\U0001F3FB lone skin tone",
    "\ufe0f lone variation selector",
    # A space before a scalar decides whether that scalar is \s: " X" joins as one pre-token
    # only when X is not whitespace.
    " \u00a0b", " \u3000x", " \u2003\u2003x", " \u0085x", " \u000bx", " \u000cx", " \u2028x",
    " \u1680x", " \u202fx", " \u205fx", " \u2000x", " \u200ax",
    " \x1cx", " \x1fx", " \u180ex", " \u200bx", " \ufeffx", " \u00adx", " \u2060x",
    " \u0301x", " \u00b2x", " \u2160x", " \u02b0x", " \u01c5x", " \u00aax", " \u3007x",
]

RANDOM_POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") +
    list("0123456789") +
    [" "] * 12 + ["\t", "\n", "\r", "\r\n", "\x0b", "\x0c"] +
    list("'''''.,;:!?-_()[]{}<>/\\\"@#$%^&*+=|~`") +
    ["s", "t", "re", "ve", "m", "ll", "d", "S", "T", "LL", "D"] +
    list("éèêëàâäôöûüçñÉÈÀÖÜÇÑåøæÅØÆßðþ") +
    ["\u0301", "\u0308", "\u0300", "\u030a"] +
    list("日本語中文字你好世界한국어カタナ。，！") +
    list("αβγΩжЖяЯשאعبحअ") +
    ["😀", "👍", "👍🏻", "👍🏿", "🏽", "\u200d", "👨‍👩‍👧", "❤️", "\ufe0f", "🇫", "🇷", "🇫🇷", "🦀"] +
    ["\x00", "\x07", "\x1b", "\x7f", "\x1c", "\x1f", "\x85"] +
    ["\u00a0", "\u2003", "\u3000", "\u2009", "\u202f", "\u2028", "\u200b", "\u180e", "\ufeff"] +
    list("٠١٢٣٤٥٦٧٨٩０１２３４５६७²³½Ⅻ①") +
    ["<|endoftext|>", "<|", "|>", "endoftext"] +
    list("ǅʰªµſﬁ€£¥©®™°±×÷…–—“”‘’«»")
)


def random_cases(count: int) -> list:
    rng = random.Random(SEED + 1)
    cases = []
    for _ in range(count):
        n = rng.randint(1, 40)
        cases.append("".join(rng.choice(RANDOM_POOL) for _ in range(n)))
    return cases


def bytes_to_unicode() -> dict:
    """GPT-2's byte -> printable character map (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def byte_offsets(tokenizer: GPT2TokenizerFast, text: str, ids: list) -> list:
    """UTF-8 byte spans [start, end) of each token, from the byte-level pieces.

    Each byte-level piece decodes to a whole number of bytes, so the spans tile the input.
    Cross-checked against HF's character offsets: a token's byte span lies inside the byte span
    of HF's character span (a token may hold part of a multi-byte character), and equals it
    when the token starts and ends on character boundaries.
    """
    byte_of = {c: b for b, c in bytes_to_unicode().items()}
    encoded = text.encode("utf-8")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert enc["input_ids"] == ids
    char_to_byte = [0]
    for ch in text:
        char_to_byte.append(char_to_byte[-1] + len(ch.encode("utf-8")))
    spans, pos = [], 0
    for tid, (cs, ce) in zip(ids, enc["offset_mapping"]):
        piece = tokenizer.convert_ids_to_tokens(tid)
        if piece == EOT:
            raw = EOT.encode("utf-8")
        else:
            raw = bytes(byte_of[c] for c in piece)
        start, end = pos, pos + len(raw)
        assert encoded[start:end] == raw, f"pieces do not tile {text!r} at byte {start}"
        hf_start, hf_end = char_to_byte[cs], char_to_byte[ce]
        assert hf_start <= start and end <= hf_end, (text, tid, (start, end), (hf_start, hf_end))
        on_boundaries = start in char_to_byte and end in char_to_byte
        assert not on_boundaries or (start, end) == (hf_start, hf_end), (text, tid)
        spans.append([start, end])
        pos = end
    assert pos == len(encoded), f"pieces cover {pos} of {len(encoded)} bytes of {text!r}"
    return spans


def pretoken_spans(tokenizer: GPT2TokenizerFast, text: str) -> list:
    """UTF-8 byte spans of HF's pre-tokens (the pattern alone, applied to the whole text: no
    special-token split), so the pre-tokeniser is checked independently of the merges."""
    char_to_byte = [0]
    for ch in text:
        char_to_byte.append(char_to_byte[-1] + len(ch.encode("utf-8")))
    spans = [[char_to_byte[s], char_to_byte[e]]
             for _, (s, e) in tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(text)]
    ends = [0] + [end for _, end in spans]
    starts = [start for start, _ in spans] + [len(text.encode("utf-8"))]
    assert ends == starts, f"pre-tokens do not tile {text!r}"
    return spans


def write_tokenizer_cases(tokenizer: GPT2TokenizerFast, path: Path) -> None:
    cases = []
    for text in HAND_CASES + random_cases(200):
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids) == text, f"HF does not round-trip {text!r}"
        cases.append({"text": text, "ids": ids, "offsets": byte_offsets(tokenizer, text, ids),
                      "pretokens": pretoken_spans(tokenizer, text)})
    path.write_text(json.dumps(cases, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")
    print(f"tokenizer cases: {len(cases)}")


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------
def perturb_biases_and_norms(model: GPT2LMHeadModel, generator: torch.Generator) -> None:
    """Adds noise to every bias and LayerNorm parameter (HF initialises them to 0 and 1)."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            is_norm = ".ln_" in name or name.startswith("transformer.ln_f")
            if name.endswith(".bias"):
                param.add_(0.1 * torch.randn(param.shape, generator=generator))
            elif is_norm and name.endswith(".weight"):
                param.add_(0.2 * torch.randn(param.shape, generator=generator))
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            assert param.abs().min() > 0, f"{name} still has zeros"
        if ".ln_" in name and name.endswith(".weight"):
            assert (param - 1).abs().min() > 0, f"{name} still has ones"


def build_model(seed: int, **config_kwargs) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=VOCAB_SIZE, bos_token_id=0, eos_token_id=0,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **config_kwargs)
    model = GPT2LMHeadModel(config)
    generator = torch.Generator().manual_seed(seed + 7)
    perturb_biases_and_norms(model, generator)
    model.eval()
    model.config._attn_implementation = "eager"
    return model


def copy_tokenizer(tokenizer_dir: Path, model_dir: Path) -> None:
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(tokenizer_dir / name, model_dir / name)


def save_modern(model: GPT2LMHeadModel, out_dir: Path) -> None:
    """transformers-5 layout: `transformer.` prefix, tied embeddings (no lm_head.weight)."""
    model.save_pretrained(str(out_dir), safe_serialization=True)
    keys = set(load_file(str(out_dir / "model.safetensors")).keys())
    assert "lm_head.weight" not in keys, "tied model must not store lm_head.weight"
    assert all(k.startswith("transformer.") for k in keys), sorted(keys)[:5]


def save_legacy(model: GPT2LMHeadModel, out_dir: Path) -> None:
    """The older layout of the GPT-2 checkpoints on the hub: no `transformer.` prefix, the causal
    mask buffer `h.{l}.attn.bias` (1, 1, P, P) and `h.{l}.attn.masked_bias` (scalar -1e4)
    present, `lm_head.weight` stored explicitly."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.config.architectures = ["GPT2LMHeadModel"]
    model.config.save_pretrained(str(out_dir))
    config = model.config
    P = config.n_positions
    tensors = {}
    for name, tensor in model.state_dict().items():
        key = name[len("transformer."):] if name.startswith("transformer.") else name
        tensors[key] = tensor.detach().clone().contiguous()
    assert "lm_head.weight" in tensors
    for layer in range(config.n_layer):
        tensors[f"h.{layer}.attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P).contiguous()
        tensors[f"h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})


def check_reload(directory: Path, original: GPT2LMHeadModel, tokens: list) -> None:
    """The saved folder must load back in transformers to the same outputs."""
    reloaded = GPT2LMHeadModel.from_pretrained(str(directory), attn_implementation="eager").eval()
    ids = torch.tensor([tokens])
    with torch.no_grad():
        a = original(ids).logits
        b = reloaded(ids).logits
    assert torch.equal(a, b), f"{directory.name}: reloaded model differs by {(a - b).abs().max()}"


def run_reference(model: GPT2LMHeadModel, tokens: list) -> dict:
    with torch.no_grad():
        out = model(torch.tensor([tokens]), output_attentions=True, output_hidden_states=True)
    return {
        "logits": out.logits[0].float().contiguous(),                                      # (T, V)
        "attentions": torch.stack([a[0] for a in out.attentions]).float().contiguous(),    # (L, H, T, T)
        "hidden_states": torch.stack([h[0] for h in out.hidden_states]).float().contiguous(),  # (L+1, T, C)
    }


ENGLISH = ("The attention weights are peaked: one key gets most of the mass. "
           "We'll prune the blocks below a threshold.")
MIXED = "Café 日本語 👍🏽 👨‍👩‍👧 don't DON'T ٣٤ ３４\tend\r\n"
FULL_SOURCE = (ENGLISH + " " + "Every token attends to the tokens before it, and the model reads "
               "every token in order. ") * 3


def exact_length_text(tokenizer: GPT2TokenizerFast, length: int) -> str:
    """The shortest prefix of FULL_SOURCE that tokenises to exactly `length` tokens."""
    for end in range(1, len(FULL_SOURCE) + 1):
        text = FULL_SOURCE[:end]
        if len(tokenizer.encode(text)) == length:
            return text
    raise SystemExit(f"no prefix of FULL_SOURCE has exactly {length} tokens; lengthen it")


def write_references(name: str, model: GPT2LMHeadModel, tokenizer: GPT2TokenizerFast,
                     cases: dict, out_root: Path) -> None:
    out_dir = out_root / name
    out_dir.mkdir(parents=True, exist_ok=True)
    index = {}
    for case, text in cases.items():
        tokens = tokenizer.encode(text, add_special_tokens=False)
        assert 1 <= len(tokens) <= model.config.n_positions, (case, len(tokens))
        ref = run_reference(model, tokens)
        save_file(ref, str(out_dir / f"{case}.safetensors"))
        attn = ref["attentions"]
        peak = attn.max(dim=-1).values.mean().item()
        print(f"  {name}/{case}: T={len(tokens)} mean max row weight {peak:.3f} "
              f"|logits|max {ref['logits'].abs().max():.2f} |h|max {ref['hidden_states'].abs().max():.2f}")
        index[case] = {"text": text, "tokens": tokens}
    (out_dir / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")


def mean_max_attention(model: GPT2LMHeadModel, tokens: list) -> float:
    attn = run_reference(model, tokens)["attentions"]        # (L, H, T, T)
    return attn.max(dim=-1).values.mean().item()


def main() -> None:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(SEED)
    np.random.seed(SEED)

    tokenizer_dir = HERE / "tokenizer"
    models_dir = HERE / "models"
    reference_dir = HERE / "reference"
    for d in (tokenizer_dir, models_dir, reference_dir):
        if d.exists():
            shutil.rmtree(d)

    train_tokenizer(tokenizer_dir)
    tokenizer = load_hf_tokenizer(tokenizer_dir)
    assert len(tokenizer) == VOCAB_SIZE, len(tokenizer)
    assert tokenizer.encode("hello <|endoftext|>") [-1] == tokenizer.convert_tokens_to_ids(EOT)

    # tiny-peaked: transformers 5 layout, large init so attention rows are far from uniform.
    peaked = build_model(1, n_layer=2, n_head=4, n_embd=32, n_positions=128, initializer_range=0.4)
    peaked_dir = models_dir / "tiny-peaked"
    save_modern(peaked, peaked_dir)
    copy_tokenizer(tokenizer_dir, peaked_dir)

    # tiny-legacy: older layout, default init, separate LM head, n_inner set.
    legacy = build_model(2, n_layer=3, n_head=2, n_embd=24, n_inner=40, n_positions=64,
                         tie_word_embeddings=False)
    assert not torch.equal(legacy.lm_head.weight, legacy.transformer.wte.weight)
    legacy_dir = models_dir / "tiny-legacy"
    save_legacy(legacy, legacy_dir)
    copy_tokenizer(tokenizer_dir, legacy_dir)

    english_tokens = tokenizer.encode(ENGLISH)
    for directory, model in ((peaked_dir, peaked), (legacy_dir, legacy)):
        check_reload(directory, model, english_tokens)
    peak = mean_max_attention(peaked, english_tokens)
    print(f"tiny-peaked mean max row weight on ENGLISH: {peak:.3f}")
    assert peak > 0.6, "tiny-peaked attention is not peaked enough; raise initializer_range"

    full_text = exact_length_text(tokenizer, legacy.config.n_positions)
    single = "The"
    assert len(tokenizer.encode(single)) == 1
    write_references("tiny-peaked", peaked, tokenizer,
                     {"english": ENGLISH, "mixed": MIXED, "single": single}, reference_dir)
    write_references("tiny-legacy", legacy, tokenizer,
                     {"english": ENGLISH, "mixed": MIXED, "single": single, "full": full_text},
                     reference_dir)

    write_tokenizer_cases(tokenizer, reference_dir / "tokenizer_cases.json")

    total = sum(f.stat().st_size for f in HERE.rglob("*") if f.is_file())
    print(f"fixtures total: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
