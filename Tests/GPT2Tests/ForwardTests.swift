import Foundation
import XCTest
@testable import GPT2

/// The Swift forward pass against a naive reference forward written plainly below (Double,
/// triple loops, HuggingFace GPT-2 semantics), on a tiny random model: 2 layers, 2 heads,
/// n_embd 16, vocab 50, 24 positions. Tolerances: logits 1e-4, attention 1e-5, hidden 1e-4.
final class ForwardTests: XCTestCase {
    func testLogitsAttentionAndHiddenStatesMatchReference() throws {
        let weights = tinyRandomWeights(seed: 1)
        let model = GPT2Model(weights: weights, threads: 2)
        let tokens = [3, 17, 42, 0, 49, 8, 8, 21, 30, 11, 5, 7, 19, 2, 44, 36, 1, 9, 23] // T = 19 crosses a 14-row panel
        var seen: [[Float]] = []
        var options = ForwardOptions()
        options.keepHiddenStates = true
        options.attentionObserver = { _, probs in seen.append(Array(probs)) }
        let output = try model.forward(tokens: tokens, options: options)
        let reference = referenceForward(weights: weights, tokens: tokens)

        let logits = try XCTUnwrap(output.logits)
        XCTAssertEqual(logits.count, tokens.count * 50)
        assertClose(logits, reference.logits, tolerance: 1e-4, "logits")
        XCTAssertEqual(seen.count, 2)
        for l in 0..<min(seen.count, 2) { assertClose(seen[l], reference.probs[l], tolerance: 1e-5, "attention layer \(l)") }
        let hidden = try XCTUnwrap(output.hiddenStates)
        XCTAssertEqual(hidden.count, 3, "L+1 hidden states")
        for i in 0..<min(hidden.count, 3) { assertClose(hidden[i], reference.hidden[i], tolerance: 1e-4, "hidden state \(i)") }
    }

    func testSingleTokenAndUntiedHeadMatchReference() throws {
        var weights = tinyRandomWeights(seed: 2)
        var rng = SeededRandom(seed: 99)
        weights = GPT2Weights(config: weights.config, wte: weights.wte, wpe: weights.wpe, layers: weights.layers,
                              lnFWeight: weights.lnFWeight, lnFBias: weights.lnFBias,
                              lmHead: FloatTensor(shape: [50, 16], values: rng.floats(800, scale: 0.5)))
        let model = GPT2Model(weights: weights, threads: 1)
        for tokens in [[7], Array(0..<24).map { ($0 * 7) % 50 }] {
            let output = try model.forward(tokens: tokens)
            assertClose(try XCTUnwrap(output.logits), referenceForward(weights: weights, tokens: tokens).logits,
                        tolerance: 1e-4, "logits T=\(tokens.count)")
        }
    }

    func testComputeLogitsFalseReturnsNilLogits() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 3))
        var options = ForwardOptions()
        options.computeLogits = false
        let output = try model.forward(tokens: [1, 2, 3], options: options)
        XCTAssertNil(output.logits)
        XCTAssertNil(output.hiddenStates)
    }
}

// MARK: - Tiny random model

/// Deterministic pseudo-random numbers (64-bit LCG) in [-1, 1).
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 &+ 1 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
    }
    mutating func floats(_ n: Int, scale: Float, around center: Float = 0) -> [Float] {
        (0..<n).map { _ in center + next() * scale }
    }
}

let tinyConfig = GPT2Config(nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 24, vocabSize: 50)

/// A tiny GPT-2 with every weight, bias and LayerNorm parameter random (none left at 0 or 1).
func tinyRandomWeights(seed: UInt64) -> GPT2Weights {
    var rng = SeededRandom(seed: seed)
    let c = 16, i = 64
    func t(_ shape: [Int], _ scale: Float, around center: Float = 0) -> FloatTensor {
        FloatTensor(shape: shape, values: rng.floats(shape.reduce(1, *), scale: scale, around: center))
    }
    let layers = (0..<2).map { _ in
        GPT2LayerWeights(ln1Weight: t([c], 0.2, around: 1), ln1Bias: t([c], 0.1), qkvWeight: t([c, 3 * c], 0.5),
                         qkvBias: t([3 * c], 0.1), attnProjWeight: t([c, c], 0.3), attnProjBias: t([c], 0.1),
                         ln2Weight: t([c], 0.2, around: 1), ln2Bias: t([c], 0.1), fcWeight: t([c, i], 0.3),
                         fcBias: t([i], 0.1), mlpProjWeight: t([i, c], 0.2), mlpProjBias: t([c], 0.1))
    }
    return GPT2Weights(config: tinyConfig, wte: t([50, c], 0.5), wpe: t([24, c], 0.2), layers: layers,
                       lnFWeight: t([c], 0.2, around: 1), lnFBias: t([c], 0.1))
}

// MARK: - Reference forward (plain loops, Double)

struct ReferenceOutput {
    var logits: [Double]          // (T, V)
    var probs: [[Double]]         // L × (H, T, T)
    var hidden: [[Double]]        // L+1 × (T, C)
}

/// GPT-2 as HuggingFace computes it, spelled out. `intervention` may rewrite a layer's
/// probabilities (H, T, T) before they multiply V, as `ForwardOptions.attentionIntervention` does.
func referenceForward(weights: GPT2Weights, tokens: [Int],
                      intervention: ((Int, inout [Double]) -> Void)? = nil) -> ReferenceOutput {
    let cfg = weights.config
    let T = tokens.count, C = cfg.nEmbd, H = cfg.nHead, D = C / H, I = cfg.nInner, V = cfg.vocabSize
    func arr(_ x: FloatTensor) -> [Double] { x.buffer.map(Double.init) }
    func layerNorm(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
        var y = x
        for t in 0..<T {
            let row = Array(x[t * C..<(t + 1) * C])
            let mean = row.reduce(0, +) / Double(C)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(C)
            for c in 0..<C { y[t * C + c] = (row[c] - mean) / (variance + Double(cfg.layerNormEpsilon)).squareRoot() * w[c] + b[c] }
        }
        return y
    }
    func linear(_ x: [Double], _ w: [Double], _ b: [Double], n: Int, k: Int) -> [Double] { // Conv1D: x (T,k) · w (k,n) + b
        var y = [Double](repeating: 0, count: T * n)
        for t in 0..<T { for j in 0..<n {
            var s = b[j]
            for kk in 0..<k { s += x[t * k + kk] * w[kk * n + j] }
            y[t * n + j] = s
        } }
        return y
    }
    let wte = arr(weights.wte), wpe = arr(weights.wpe)
    var x = [Double](repeating: 0, count: T * C)
    for t in 0..<T { for c in 0..<C { x[t * C + c] = wte[tokens[t] * C + c] + wpe[t * C + c] } }
    var hidden: [[Double]] = []
    var allProbs: [[Double]] = []
    for (l, layer) in weights.layers.enumerated() {
        hidden.append(x)
        let h1 = layerNorm(x, arr(layer.ln1Weight), arr(layer.ln1Bias))
        let qkv = linear(h1, arr(layer.qkvWeight), arr(layer.qkvBias), n: 3 * C, k: C)
        var probs = [Double](repeating: 0, count: H * T * T)
        for h in 0..<H { for q in 0..<T {
            var scores = [Double](repeating: -Double.infinity, count: T)
            for k in 0...q {
                var s = 0.0
                for d in 0..<D { s += qkv[q * 3 * C + h * D + d] * qkv[k * 3 * C + C + h * D + d] }
                scores[k] = s / Double(D).squareRoot()
            }
            let m = scores.max() ?? 0
            let e = scores.map { $0 == -.infinity ? 0 : exp($0 - m) }
            let z = e.reduce(0, +)
            for k in 0..<T { probs[(h * T + q) * T + k] = e[k] / z }
        } }
        intervention?(l, &probs)
        allProbs.append(probs)
        var attn = [Double](repeating: 0, count: T * C)
        for h in 0..<H { for q in 0..<T { for d in 0..<D {
            var s = 0.0
            for k in 0...q { s += probs[(h * T + q) * T + k] * qkv[k * 3 * C + 2 * C + h * D + d] }
            attn[q * C + h * D + d] = s
        } } }
        let proj = linear(attn, arr(layer.attnProjWeight), arr(layer.attnProjBias), n: C, k: C)
        for i in 0..<(T * C) { x[i] += proj[i] }
        let h2 = layerNorm(x, arr(layer.ln2Weight), arr(layer.ln2Bias))
        var fc = linear(h2, arr(layer.fcWeight), arr(layer.fcBias), n: I, k: C)
        for i in 0..<fc.count {
            let v = fc[i]
            fc[i] = 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
        }
        let mlp = linear(fc, arr(layer.mlpProjWeight), arr(layer.mlpProjBias), n: C, k: I)
        for i in 0..<(T * C) { x[i] += mlp[i] }
    }
    let final = layerNorm(x, arr(weights.lnFWeight), arr(weights.lnFBias))
    hidden.append(final)
    let head = arr(weights.lmHead)                    // (V, C)
    var logits = [Double](repeating: 0, count: T * V)
    for t in 0..<T { for v in 0..<V {
        var s = 0.0
        for c in 0..<C { s += final[t * C + c] * head[v * C + c] }
        logits[t * V + v] = s
    } }
    return ReferenceOutput(logits: logits, probs: allProbs, hidden: hidden)
}

/// Fails when any |got − want| exceeds `tolerance` (absolute), naming the worst index.
func assertClose(_ got: [Float], _ want: [Double], tolerance: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): count", file: file, line: line)
    var worst = 0.0, at = -1
    for i in 0..<min(got.count, want.count) where abs(Double(got[i]) - want[i]) > worst {
        worst = abs(Double(got[i]) - want[i]); at = i
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst error \(worst) at index \(at)", file: file, line: line)
}
