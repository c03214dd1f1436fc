import Foundation
import Kernels
@testable import AttentionAnalysis

/// Small Q/K heads and masks for the tile tests.
enum TileTestSupport {
    /// Runs `body` with Q and K (T, D) given row-major.
    static func withHead<R>(q: [Float], k: [Float], headDim d: Int, _ body: (HeadQueriesKeys) throws -> R) rethrows -> R {
        precondition(q.count == k.count && q.count % d == 0)
        return try q.withUnsafeBufferPointer { qp in
            try k.withUnsafeBufferPointer { kp in
                try body(HeadQueriesKeys(q: qp.baseAddress!, k: kp.baseAddress!, rowStride: d, tokens: q.count / d, headDim: d))
            }
        }
    }

    /// The kept tiles of `mask` as (i, j) pairs, query block then key block ascending.
    static func kept(_ mask: TileMask) -> [[Int]] {
        let g = mask.geometry
        return (0..<g.queryBlocks).flatMap { i in
            (0..<g.visibleKeyBlocks(queryBlock: i)).filter { mask.isKept(queryBlock: i, keyBlock: $0) }.map { [i, $0] }
        }
    }

    /// The exact causal attention softmax(q·k/√D) (T, T), row-major, from Q and K (T, D).
    static func exactAttention(q: [Float], k: [Float], headDim d: Int) -> [Float] {
        let t = q.count / d
        var out = [Float](repeating: 0, count: t * t)
        for row in 0..<t {
            let logits = (0...row).map { col in
                (0..<d).reduce(0.0) { $0 + Double(q[row * d + $1]) * Double(k[col * d + $1]) } / Double(d).squareRoot()
            }
            let top = logits.max()!, z = logits.reduce(0.0) { $0 + exp($1 - top) }
            for col in 0...row { out[row * t + col] = Float(exp(logits[col] - top) / z) }
        }
        return out
    }

    /// Deterministic values in [-scale, scale].
    static func random(_ n: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1) * scale
        }
    }
}
