import Foundation
import GPT2

/// `--tokenize DIR`: `BPETokenizer.encode` throughput on the vocab.json + merges.txt in `DIR`
/// (GPT-2's real files: see Benchmarks/README.md), per input kind and size, in MB/s
/// (10^6 bytes of UTF-8 input per second).
///
/// Inputs, each `size` MB:
/// - `prose`: English-like text, words drawn from a fixed list by a fixed LCG, with punctuation,
///   digits and line breaks (word-cache friendly, as real text is);
/// - `word`: one word of random lower-case letters (a single pre-token of the whole size);
/// - `spaces`: spaces only (one whitespace pre-token);
/// - `emoji`: one emoji (4 UTF-8 bytes) repeated (one pre-token of non-letters).
/// Each is encoded `runs` times; the median is reported with the token count.
func runTokenizerBench(directory: URL, sizesMB: [Int], runs: Int) throws {
    // Loading: vocab.json + merges.txt parsed into the BPE tables (warm page cache after the first).
    var loads: [Double] = []
    for _ in 0..<max(runs, 3) {
        loads.append(try timed { try BPETokenizer(directory: directory) }.seconds)
    }
    let tokenizer = try BPETokenizer(directory: directory)
    print("tokenizer_load vocabulary=\(tokenizer.vocabularySize) first_s=\(fmt(loads[0])) median_s=\(fmt(median(loads))) runs=\(loads.count)")
    for size in sizesMB {
        let bytes = size * 1_000_000
        for (kind, text) in [("prose", benchProse(bytes)), ("word", benchWord(bytes)),
                             ("spaces", String(repeating: " ", count: bytes)),
                             ("emoji", String(repeating: "\u{1F600}", count: bytes / 4))] {
            var times: [Double] = []
            var count = 0
            for _ in 0..<max(runs, 1) {
                let encoded = timed { tokenizer.encode(text) }
                times.append(encoded.seconds)
                count = encoded.value.count
            }
            let utf8 = text.utf8.count
            let t = median(times)
            print("tokenize kind=\(kind) bytes=\(utf8) tokens=\(count) median_s=\(fmt(t)) "
                + "mb_per_s=\(String(format: "%.2f", Double(utf8) / t / 1e6)) runs=\(times.count)")
        }
    }
}

/// English-like text of about `bytes` bytes (deterministic).
private func benchProse(_ bytes: Int) -> String {
    let words = """
        the of and to in is was that for on as with by he it at from his an were are which this be or
        has had not but first one their its new after who they have her she two been other when there
        all during into school time may years more most only over city some world would where later up
        such used many can state about national out known university united then made however under
        attention model token layer block sparse pruning analysis measured daemon history protocol
        transformer probability divergence threshold benchmark tokenizer vocabulary merges embedding
        """.split(whereSeparator: \.isWhitespace).map(String.init)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ n: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(n))
    }
    var out = ""
    out.reserveCapacity(bytes + 64)
    var sentence = 0
    while out.utf8.count < bytes {
        var word = words[next(words.count)]
        if sentence == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
        out += word
        sentence += 1
        switch next(40) {
        case 0: out += ", "
        case 1: out += " \(next(2025)) "
        case 2, 3: out += ". "; sentence = 0
        case 4: out += ".\n\n"; sentence = 0
        case 5: out += "'s "
        default: out += " "
        }
    }
    return out
}

/// One word of `bytes` random lower-case letters (deterministic).
private func benchWord(_ bytes: Int) -> String {
    var state: UInt64 = 12345
    var letters = [UInt8](repeating: 0, count: bytes)
    for i in 0..<bytes {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        letters[i] = UInt8(ascii: "a") + UInt8((state >> 33) % 26)
    }
    return String(decoding: letters, as: UTF8.self)
}
