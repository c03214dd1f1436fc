import XCTest
@testable import AttentionAnalysis

final class ProfileTests: XCTestCase {
    /// The 4×4 hand matrix, B = 2, thresholds [0.2], entry threshold 0.1.
    /// entrySparsity: of 10 visible entries only q3's two .0625 are < .1 → .2;
    ///   seed: (2 + 6 future zeros) / 16 = .5.
    /// entropy: q0 0; q1 −(.75 ln .75 + .25 ln .25) = 0.5623351446188083;
    ///   q2 −(2·.125 ln .125 + .75 ln .75) = 0.7356219397587946;
    ///   q3 −(2·.0625 ln .0625 + .125 ln .125 + .75 ln .75) = 0.8222653373287878 → mean 0.5300556054265977.
    /// sinkMass (1 + .75 + .125 + .0625)/4 = .484375.
    /// localMass: q0 1, q1 1 (block {0,1}), q2 .75 (block {2}), q3 .875 → 3.625/4 = .90625.
    /// blocks τ = .2: visible pairs 6, below: q2 block 0 (.125), q3 block 0 (.0625) → 1/3; seed (2 + 2)/8 = .5.
    /// coverage: q0, q1 need 1 block; q2 (.75 then .25) and q3 (.875 then .125) need 2 for 90/95/99% → 1.5.
    func testFourByFourProfile() throws {
        let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2], entryThreshold: 0.1),
                                         tokens: 4, heads: 1, layers: 1)
        try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        let profile = try acc.result()
        let h = profile.layers[0].heads[0]
        XCTAssertEqual(h.head, 0)
        XCTAssertEqual(h.entrySparsity, 0.2, accuracy: 1e-15)
        XCTAssertEqual(h.entrySparsitySeed, 0.5, accuracy: 1e-15)
        // The entropy's logarithm is Float32's (`vectorLog`, ≤ 2 ulps): the probabilities are Float32 too.
        XCTAssertEqual(h.entropy, 0.5300556054265977, accuracy: 1e-7)
        XCTAssertEqual(h.sinkMass, 0.484375, accuracy: 1e-15)
        XCTAssertEqual(h.localMass, 0.90625, accuracy: 1e-15)
        XCTAssertEqual(h.blocks, [ProfileBlockFraction(threshold: 0.2, fraction: 1.0 / 3, fractionSeed: 0.5)])
        XCTAssertEqual(h.coverage, CoverageCounts(p90: 1.5, p95: 1.5, p99: 1.5))
        XCTAssertEqual(profile.summary.entropy, h.entropy)
    }

    func testProfileMatchesTheReference() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase.load(name)
            let p = golden.profile
            let acc = try ProfileAccumulator(
                options: ProfileOptions(blockSize: p.blockSize, thresholds: p.thresholds, entryThreshold: p.entryThreshold),
                tokens: golden.shape.tokens, heads: golden.shape.heads, layers: golden.shape.layers)
            for l in 0..<golden.shape.layers {
                try golden.layer(l).withUnsafeBufferPointer { try acc.consume(layer: l, attention: $0) }
            }
            let got = try acc.result()
            for (gl, wl) in zip(got.layers, p.layers) {
                XCTAssertEqual(gl.heads.count, wl.heads.count)
                for (g, w) in zip(gl.heads, wl.heads) {
                    let label = "\(name) layer \(wl.layer) head \(w.head)"
                    assertProfileFieldsMatch(g, w, label, ratio: { assertClose($0, $1, $2) }, metric: { assertClose($0, $1, $2) })
                }
            }
        }
    }

    func testRejectsBadOptionsAndLayers() throws {
        XCTAssertThrowsError(try ProfileAccumulator(options: ProfileOptions(thresholds: [0]), tokens: 4, heads: 1, layers: 1))
        let acc = try ProfileAccumulator(tokens: 4, heads: 1, layers: 2)
        XCTAssertThrowsError(try [Float](repeating: 0, count: 15).withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) })
        try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        XCTAssertThrowsError(try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) })
        XCTAssertThrowsError(try acc.result()) { error in
            XCTAssertEqual(error as? AnalysisError, .missingLayers([1]))
        }
    }
}
