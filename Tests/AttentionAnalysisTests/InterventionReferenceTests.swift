import XCTest
@testable import AttentionAnalysis
import SyntheticAttention

/// `AttentionIntervention` against a plain per-row evaluation of the rules written here
/// (Protocol/README.md §11 "Metric definitions": visible blocks, rule, keep policy, dense fallback,
/// renormalisation by the kept mass), on seeded causal softmax attention (2 heads, T = 70) at
/// block sizes that are and are not multiples of 8. Rows the reference leaves alone must be
/// bit-identical; changed rows must have exactly the reference's zeros, and kept entries
/// within 1e-6 relative (Float rounding of `x / keptMass`, which the intervention computes as
/// a multiplication by the reciprocal).
final class InterventionReferenceTests: XCTestCase {
    private func referenceRow(_ row: [Float], query q: Int, _ point: SweepSetting) -> [Float]? {
        let b = point.blockSize, n = q + 1, blocks = (n + b - 1) / b
        var mass = [Double](repeating: 0, count: blocks), maximum = [Float](repeating: 0, count: blocks)
        for k in 0..<n {
            mass[k / b] += Double(row[k])
            maximum[k / b] = max(maximum[k / b], row[k])
        }
        let byMass = (0..<blocks).sorted { mass[$0] > mass[$1] || (mass[$0] == mass[$1] && $0 < $1) }
        var kept = Set<Int>()
        switch point.selection {
        case .threshold:
            kept = Set((0..<blocks).filter { Double(maximum[$0]) >= point.value })
        case .relativeThreshold:
            kept = Set((0..<blocks).filter { Double(maximum[$0]) >= point.value / Double(n) })
        case .topK:
            kept = Set(byMass.prefix(Int(point.value)))
        case .coverage:
            let target = point.value * byMass.reduce(0.0) { $0 + mass[$1] }
            var running = 0.0
            for j in byMass where running < target {
                kept.insert(j)
                running += mass[j]
            }
        }
        if point.keep.keepSink { kept.insert(0) }
        if point.keep.keepLocal { kept.insert(blocks - 1) }
        let keptMass = kept.reduce(0.0) { $0 + mass[$1] }
        guard kept.count < blocks, !kept.isEmpty, keptMass > 0 else { return nil }
        var out = row
        for k in 0..<n { out[k] = kept.contains(k / b) ? Float(Double(row[k]) / keptMass) : 0 }
        return out
    }

    func testMatchesPlainRuleEvaluation() throws {
        let h = 2, t = 70
        let attention = SyntheticAttention.layer(heads: h, tokens: t, spread: 3, seed: 7)
        var points: [SweepSetting] = []
        for b in [5, 8, 16] {
            for keep in [KeepPolicy.none, KeepPolicy(keepSink: true), KeepPolicy(keepSink: true, keepLocal: true)] {
                points += [SweepSetting(selection: .threshold, blockSize: b, value: 0.02, keep: keep),
                           SweepSetting(selection: .threshold, blockSize: b, value: 0.1, keep: keep),
                           SweepSetting(selection: .coverage, blockSize: b, value: 0.8, keep: keep),
                           SweepSetting(selection: .coverage, blockSize: b, value: 1, keep: keep),
                           SweepSetting(selection: .topK, blockSize: b, value: 2, keep: keep),
                           SweepSetting(selection: .topK, blockSize: b, value: 20, keep: keep),
                           SweepSetting(selection: .relativeThreshold, blockSize: b, value: 1, keep: keep),
                           SweepSetting(selection: .relativeThreshold, blockSize: b, value: 3, keep: keep)]
            }
        }
        var changedRows = 0
        for point in points {
            let out = try HandWorked.pruned(attention, heads: h, tokens: t, point)
            for r in 0..<(h * t) {
                let row = Array(attention[(r * t)..<(r * t + t)]), got = Array(out[(r * t)..<(r * t + t)])
                guard let want = referenceRow(row, query: r % t, point) else {
                    XCTAssertEqual(got.map(\.bitPattern), row.map(\.bitPattern), "\(point) row \(r) must be untouched")
                    continue
                }
                changedRows += 1
                for k in 0..<t {
                    XCTAssertEqual(got[k] == 0, want[k] == 0, "\(point) row \(r) key \(k)")
                    XCTAssertEqual(got[k], want[k], accuracy: want[k] * 1e-6, "\(point) row \(r) key \(k)")
                }
            }
        }
        XCTAssertGreaterThan(changedRows, 1000)   // the rules really pruned something
    }

    /// Pruning head by head (`apply(toHead:worker:)`) gives the layer call's result bit for bit;
    /// a worker outside `0..<threadCount` or a wrong size is an error, not a crash.
    func testPerHeadApplyMatchesTheLayerCall() throws {
        let h = 3, t = 40
        let attention = SyntheticAttention.layer(heads: h, tokens: t, spread: 3, seed: 11)
        let point = SweepSetting(selection: .threshold, blockSize: 8, value: 0.05)
        let layerResult = try HandWorked.pruned(attention, heads: h, tokens: t, point)
        let intervention = try AttentionIntervention(point: point, heads: h, tokens: t, threadCount: 2)
        var perHead = attention
        try perHead.withUnsafeMutableBufferPointer { all in
            for head in 0..<h {
                try intervention.apply(toHead: UnsafeMutableBufferPointer(rebasing: all[(head * t * t)..<((head + 1) * t * t)]),
                                       worker: head % 2)
            }
            XCTAssertThrowsError(try intervention.apply(toHead: UnsafeMutableBufferPointer(rebasing: all[0..<(t * t)]), worker: 2))
            XCTAssertThrowsError(try intervention.apply(toHead: UnsafeMutableBufferPointer(rebasing: all[0..<(t * t - 1)]), worker: 0))
        }
        XCTAssertEqual(perHead.map(\.bitPattern), layerResult.map(\.bitPattern))
        XCTAssertNotEqual(layerResult, attention)   // the point prunes something
    }
}
