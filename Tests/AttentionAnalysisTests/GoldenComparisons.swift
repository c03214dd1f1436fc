import XCTest
@testable import AttentionAnalysis

/// Compares one number with its golden; the message names the field.
typealias GoldenCompare = (_ actual: Double, _ expected: Double, _ what: String) -> Void

/// A sweep point against its golden: selection, block size, value and `fullyPrunedRows` exactly,
/// fractions with `ratio`, Float64 metrics with `metric`, overall and per layer.
func assertSweepPointMatches(_ got: SweepPointResult, _ want: SweepPointResult, _ label: String,
                             ratio: GoldenCompare, metric: GoldenCompare) {
    XCTAssertEqual(got.selection, want.selection, label)
    XCTAssertEqual(got.blockSize, want.blockSize, label)
    XCTAssertEqual(got.threshold, want.threshold, label)
    XCTAssertEqual(got.fullyPrunedRows, want.fullyPrunedRows, "\(label) fullyPrunedRows")
    ratio(got.prunedBlockFraction, want.prunedBlockFraction, "\(label) prunedBlockFraction")
    ratio(got.seedPrunedFraction, want.seedPrunedFraction, "\(label) seedPrunedFraction")
    metric(got.prunedMass, want.prunedMass, "\(label) prunedMass")
    metric(got.attentionKL, want.attentionKL, "\(label) attentionKL")
    metric(got.seedKL, want.seedKL, "\(label) seedKL")
    XCTAssertEqual(got.layers.count, want.layers.count, label)
    for (g, w) in zip(got.layers, want.layers) {
        XCTAssertEqual(g.layer, w.layer)
        XCTAssertEqual(g.fullyPrunedRows, w.fullyPrunedRows, "\(label) layer \(w.layer) fullyPrunedRows")
        ratio(g.prunedBlockFraction, w.prunedBlockFraction, "\(label) layer \(w.layer) prunedBlockFraction")
        metric(g.prunedMass, w.prunedMass, "\(label) layer \(w.layer) prunedMass")
        metric(g.attentionKL, w.attentionKL, "\(label) layer \(w.layer) attentionKL")
        metric(g.seedKL, w.seedKL, "\(label) layer \(w.layer) seedKL")
    }
}

/// One head's profile fields (or the summary's) against the golden: sparsities, block fractions
/// and coverage counts with `ratio`, entropy and masses with `metric`.
func assertProfileFieldsMatch(_ g: ProfileHead, _ w: ProfileHead, _ label: String,
                              ratio: GoldenCompare, metric: GoldenCompare) {
    ratio(g.entrySparsity, w.entrySparsity, "\(label) entrySparsity")
    ratio(g.entrySparsitySeed, w.entrySparsitySeed, "\(label) entrySparsitySeed")
    metric(g.entropy, w.entropy, "\(label) entropy")
    metric(g.sinkMass, w.sinkMass, "\(label) sinkMass")
    metric(g.localMass, w.localMass, "\(label) localMass")
    XCTAssertEqual(g.blocks.map(\.threshold), w.blocks.map(\.threshold), label)
    for (a, b) in zip(g.blocks, w.blocks) {
        ratio(a.fraction, b.fraction, "\(label) blocks τ=\(b.threshold) fraction")
        ratio(a.fractionSeed, b.fractionSeed, "\(label) blocks τ=\(b.threshold) fractionSeed")
    }
    ratio(g.coverage.p90, w.coverage.p90, "\(label) coverage p90")
    ratio(g.coverage.p95, w.coverage.p95, "\(label) coverage p95")
    ratio(g.coverage.p99, w.coverage.p99, "\(label) coverage p99")
}

extension ProfileHead {
    /// The summary's fields as a head (head −1), so one comparison serves both.
    init(summary s: ProfileSummary) {
        self.init(head: -1, entrySparsity: s.entrySparsity, entrySparsitySeed: s.entrySparsitySeed, entropy: s.entropy,
                  sinkMass: s.sinkMass, localMass: s.localMass, blocks: s.blocks, coverage: s.coverage)
    }
}
