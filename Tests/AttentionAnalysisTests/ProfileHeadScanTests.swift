import Foundation
import XCTest
@testable import AttentionAnalysis

/// The one-pass profile scan (`ProfileHeadScanner`, `CoverageSelector`, the Float32 logarithm)
/// against the definitions written out plainly in Float64 here, on random causal heads with
/// garbage above the diagonal, at block sizes on every path (multiples of 16, 8, 4; others).
final class ProfileHeadScanTests: XCTestCase {
    /// The coverage counts by their definition: sort descending, walk until the running sum
    /// reaches `f · total`.
    private func sortedCoverage(_ masses: [Double], total: Double) -> (Int, Int, Int) {
        let sorted = masses.sorted(by: >)
        func count(_ f: Double) -> Int {
            var running = 0.0, kept = 0
            while kept < sorted.count && running < f * total {
                running += sorted[kept]
                kept += 1
            }
            return kept
        }
        return (count(0.9), count(0.95), count(0.99))
    }

    /// `selector`'s counts for `masses` (their sum as the total) equal `sortedCoverage`'s.
    private func assertSelectionEqualsTheSortedWalk(_ selector: CoverageSelector, _ masses: [Double], _ label: String,
                                                    line: UInt = #line) {
        let total = masses.reduce(0, +)
        let got = masses.withUnsafeBufferPointer { selector.counts(mass: $0.baseAddress!, blocks: masses.count, total: total) }
        let want = sortedCoverage(masses, total: total)
        XCTAssertEqual(got.0, want.0, "\(label) p90", line: line)
        XCTAssertEqual(got.1, want.1, "\(label) p95", line: line)
        XCTAssertEqual(got.2, want.2, "\(label) p99", line: line)
    }

    func testCoverageSelectionEqualsTheSortedWalk() {
        var rng = SplitMix(seed: 7)
        let selector = CoverageSelector(capacity: 600)
        var checked = 0
        for trial in 0..<3000 {
            let n = 1 + Int(rng.next() % 600)
            var masses: [Double]
            switch trial % 6 {
            case 0: masses = (0..<n).map { _ in rng.unit() }                                   // diffuse
            case 1: masses = (0..<n).map { _ in pow(rng.unit(), 12) }                          // peaked
            case 2: masses = (0..<n).map { _ in Double(rng.next() % 4) / 8 }                   // many ties, zeros
            case 3: masses = (0..<n).map { i in i == 0 ? 10 : rng.unit() * 1e-3 }              // a sink
            case 4: masses = (0..<n).map { i in Double(n - i) }                                // sorted already
            default: masses = [Double](repeating: 0.25, count: n)                             // all equal
            }
            // The selection sums in another order: a count may move by one only when a running
            // sum lands within rounding of its target, which these rows never do but for exact ties.
            assertSelectionEqualsTheSortedWalk(selector, masses, "trial \(trial) n \(n)")
            checked += 1
        }
        XCTAssertEqual(checked, 3000)
    }

    /// Rows as a head gives them (one more block every few rows, alike from row to row), so the
    /// previous row's hint narrows the selection: the counts still equal the sorted walk's, and
    /// the narrowed path is taken on most rows. A reset hint and a misleading one change nothing.
    func testCoverageWithTheRowHintEqualsTheSortedWalk() {
        var rng = SplitMix(seed: 11)
        for shape in 0..<3 {
            let selector = CoverageSelector(capacity: 300)
            selector.resetHint()
            for row in 0..<1200 {
                let n = 1 + row / 4
                let masses: [Double] = (0..<n).map { _ in
                    switch shape {
                    case 0: return 0.8 + 0.4 * rng.unit()                  // diffuse, like a random model's heads
                    case 1: return pow(rng.unit(), 6)                      // peaked
                    default: return row % 50 == 0 ? pow(rng.unit(), 20) : rng.unit()   // a different row now and then
                    }
                }
                assertSelectionEqualsTheSortedWalk(selector, masses, "shape \(shape) row \(row)")
            }
            // Measured: 1174 of 1200 rows narrowed when diffuse, 698 peaked, 798 mixed.
            XCTAssertGreaterThan(selector.rowsNarrowedByHint, [1100, 500, 500][shape], "shape \(shape): the hint narrowed few rows")
        }
    }

    /// By hand: masses .5, .3, .1, .1 → 90% needs 3 (.5 + .3 + .1 = .9 ≥ .9), 95% and 99% need 4.
    /// Masses 1, 0, 0 → 1 block for every fraction.
    func testCoverageByHand() {
        let selector = CoverageSelector(capacity: 4)
        let a: [Double] = [0.1, 0.5, 0.1, 0.3]
        let r = a.withUnsafeBufferPointer { selector.counts(mass: $0.baseAddress!, blocks: 4, total: 1) }
        XCTAssertEqual(r.0, 3); XCTAssertEqual(r.1, 4); XCTAssertEqual(r.2, 4)
        let b: [Double] = [0, 1, 0]
        let s = b.withUnsafeBufferPointer { selector.counts(mass: $0.baseAddress!, blocks: 3, total: 1) }
        XCTAssertEqual(s.0, 1); XCTAssertEqual(s.1, 1); XCTAssertEqual(s.2, 1)
    }

    func testFloatLogarithmIsWithinTwoUlpsOfFloat64() {
        var values: [Float] = [1, 0.5, 0.75, 2, 0.999_999, 1.000_001, 0.707_106_7, 0.707_106_8,
                               Float.leastNormalMagnitude, Float.leastNonzeroMagnitude, 1e-40, 3e-39, 1e-20, 0.3]
        var rng = SplitMix(seed: 3)
        for _ in 0..<20_000 { values.append(Float(pow(10, -40 * rng.unit()))) }
        while values.count % 16 != 0 { values.append(0.5) }
        var worst = 0.0
        for start in stride(from: 0, to: values.count, by: 16) {
            let x = values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + start).loadUnaligned(as: SIMD16<Float>.self) }
            let y = vectorLog(x)
            for lane in 0..<16 {
                let exact = log(Double(x[lane]))
                // Relative to |ln x| away from 1; near 1 (ln x → 0) relative to the spacing of x.
                let scale = max(abs(exact), Double(x[lane].ulp) / Double(x[lane]))
                worst = max(worst, abs(Double(y[lane]) - exact) / scale)
            }
        }
        XCTAssertLessThan(worst, 2.4e-7)   // 2 ulps of a Float
    }

    func testFloatCutComparesLikeFloat64() {
        for threshold in [0.05, 0.1, 0.2, 0.5, 1.0, 1e-3, 0.3333333333, Double(Float(0.1)), Double(Float(0.1).nextUp) - 1e-12] {
            let cut = floatCut(threshold)
            var x = cut
            for _ in 0..<4 { x = x.nextDown }
            for _ in 0..<8 {
                XCTAssertEqual(Double(x) < threshold, x < cut, "threshold \(threshold) x \(x)")
                x = x.nextUp
            }
        }
    }

    /// Every field against the definitions in Float64, at block sizes on every path, with
    /// garbage (NaN, 7) above the diagonal that must not be read.
    func testScanMatchesTheDefinitions() throws {
        let t = 53
        var rng = SplitMix(seed: 11)
        var a = [Float](repeating: .nan, count: t * t)
        for q in 0..<t {
            var row = (0...q).map { k in Float(pow(rng.unit(), q % 3 == 0 ? 8 : 1)) + (k == 0 ? 0.5 : 0) }
            if q % 5 == 0 && q > 0 { row[q / 2] = 0 }     // exact zeros too
            let s = row.reduce(0, +)
            for k in 0...q { a[q * t + k] = row[k] / s }
            for k in (q + 1)..<t { a[q * t + k] = k % 2 == 0 ? .nan : 7 }
        }
        let ids = (0..<t).map { $0 % 9 }
        for b in [1, 3, 4, 5, 8, 12, 16, 32, 48] {
            let options = ProfileOptions(blockSize: b, thresholds: [0.05, 0.2], entryThreshold: 0.03)
            let scanner = ProfileHeadScanner(tokens: t, blockSize: b)
            let outcome = a.withUnsafeBufferPointer {
                scanner.scan($0.baseAddress!, head: 2, options: options, pairs: DuplicatePairs(ids: ids))
            }
            XCTAssertTrue(outcome.finite)
            let want = referenceProfile(a, tokens: t, options: options, ids: ids)
            let got = outcome.profile
            XCTAssertEqual(got.head, 2)
            XCTAssertEqual(got.entrySparsity, want.profile.entrySparsity, "B \(b)")
            XCTAssertEqual(got.entrySparsitySeed, want.profile.entrySparsitySeed, "B \(b)")
            XCTAssertEqual(got.entropy, want.profile.entropy, accuracy: 2e-7 * want.profile.entropy, "B \(b)")
            XCTAssertEqual(got.sinkMass, want.profile.sinkMass, accuracy: 1e-14, "B \(b)")
            XCTAssertEqual(got.localMass, want.profile.localMass, accuracy: 1e-14, "B \(b)")
            XCTAssertEqual(got.blocks, want.profile.blocks, "B \(b)")
            XCTAssertEqual(got.coverage, want.profile.coverage, "B \(b)")
            let scores = try XCTUnwrap(outcome.scores)
            XCTAssertEqual(scores.sinkScore, want.scores.sinkScore, accuracy: 1e-14)
            XCTAssertEqual(scores.localScore, want.scores.localScore, accuracy: 1e-14)
            XCTAssertEqual(scores.previousTokenScore, want.scores.previousTokenScore, accuracy: 1e-14)
            XCTAssertEqual(scores.duplicateTokenScore, want.scores.duplicateTokenScore, accuracy: 1e-14)
            XCTAssertEqual(scores.streamingMass, want.scores.streamingMass, accuracy: 1e-14)
        }
    }

    func testANonFiniteVisibleEntryIsReported() {
        let t = 20
        var a = [Float](repeating: 0, count: t * t)
        for q in 0..<t { for k in 0...q { a[q * t + k] = 1 / Float(q + 1) } }
        let scanner = ProfileHeadScanner(tokens: t, blockSize: 4)
        let clean = a.withUnsafeBufferPointer { scanner.scan($0.baseAddress!, head: 0, options: ProfileOptions(), pairs: nil) }
        XCTAssertTrue(clean.finite)
        XCTAssertEqual(clean.profile.entropy, (0..<t).map { log(Double($0 + 1)) }.reduce(0, +) / Double(t), accuracy: 1e-6)
        for bad in [Float.nan, .infinity] {
            var b = a
            b[17 * t + 3] = bad
            let outcome = b.withUnsafeBufferPointer { scanner.scan($0.baseAddress!, head: 0, options: ProfileOptions(), pairs: nil) }
            XCTAssertFalse(outcome.finite, "\(bad)")
            XCTAssertTrue(outcome.profile.entropy.isNaN, "a non-finite head's entropy is NaN, refused by the result check")
        }
    }

    /// Head by head (from a head observer, out of order) gives the same profile as layer by layer.
    func testHeadFeedingEqualsLayerFeeding() throws {
        let t = 40, h = 3, l = 2
        var rng = SplitMix(seed: 5)
        let layers: [[Float]] = (0..<l).map { _ in
            var a = [Float](repeating: 0, count: h * t * t)
            for head in 0..<h { for q in 0..<t {
                let row = (0...q).map { _ in Float(rng.unit()) }
                let s = row.reduce(0, +)
                for k in 0...q { a[(head * t + q) * t + k] = row[k] / s }
            } }
            return a
        }
        let ids = (0..<t).map { $0 % 6 }
        let byLayer = try ProfileAccumulator(tokens: t, heads: h, layers: l, ids: ids, threadCount: 2)
        let byHead = try ProfileAccumulator(tokens: t, heads: h, layers: l, ids: ids, threadCount: 2)
        for (i, layer) in layers.enumerated() {
            try layer.withUnsafeBufferPointer { XCTAssertTrue(try byLayer.consume(layer: i, attention: $0)) }
            for head in [2, 0, 1] {
                try layer.withUnsafeBufferPointer { all in
                    let one = UnsafeBufferPointer(rebasing: all[(head * t * t)..<((head + 1) * t * t)])
                    XCTAssertTrue(try byHead.consume(layer: i, head: head, worker: head % 2, attention: one))
                }
            }
        }
        XCTAssertThrowsError(try layers[0].withUnsafeBufferPointer {
            try byHead.consume(layer: 0, head: 1, worker: 0, attention: UnsafeBufferPointer(rebasing: $0[0..<(t * t)]))
        })
        XCTAssertEqual(try byHead.result(induction: nil), try byLayer.result(induction: nil))
    }
}

/// The profile fields and role scores by their definitions (Protocol/README.md §11), Float64,
/// reading only visible entries.
private func referenceProfile(_ a: [Float], tokens t: Int, options: ProfileOptions, ids: [Int])
    -> (profile: ProfileHead, scores: HeadTextScores) {
    let b = options.blockSize
    var below = 0, entropy = 0.0, sink = 0.0, local = 0.0
    var blocksBelow = [Int](repeating: 0, count: options.thresholds.count)
    var covered = [0, 0, 0]
    var total = 0.0, localWindow = 0.0, previous = 0.0, streaming = 0.0, duplicate = 0.0
    let roles = options.roles
    for q in 0..<t {
        let row = (0...q).map { Double(a[q * t + $0]) }
        below += row.filter { $0 < options.entryThreshold }.count
        entropy -= row.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +)
        sink += row[0]
        let blocks = stride(from: 0, through: q, by: b).map { Array(row[$0..<min($0 + b, q + 1)]) }
        local += blocks.last!.reduce(0, +)
        for (i, tau) in options.thresholds.enumerated() { blocksBelow[i] += blocks.filter { $0.max()! < tau }.count }
        let masses = blocks.map { $0.reduce(0, +) }.sorted(by: >)
        let rowMass = row.reduce(0, +)
        for (i, f) in [0.9, 0.95, 0.99].enumerated() {
            var running = 0.0, kept = 0
            while kept < masses.count && running < f * rowMass { running += masses[kept]; kept += 1 }
            covered[i] += kept
        }
        total += rowMass
        localWindow += row[max(0, q - roles.localWindow + 1)...q].reduce(0, +)
        if q >= 1 { previous += row[q - 1] }
        let sinkEnd = min(roles.streamingSinkTokens, q + 1), localStart = max(sinkEnd, q - roles.streamingWindow + 1)
        streaming += localStart > sinkEnd ? min(1, (row[0..<sinkEnd].reduce(0, +) + row[localStart...q].reduce(0, +)) / rowMass) : 1
        for k in 0..<q where ids[k] == ids[q] { duplicate += row[k] }
    }
    let n = Double(t), visible = t * (t + 1) / 2
    let geometry = BlockGeometry(checkedTokens: t, blockSize: b)
    let profile = ProfileHead(
        head: 2, entrySparsity: Double(below) / Double(visible),
        entrySparsitySeed: Double(below + t * t - visible) / Double(t * t), entropy: entropy / n,
        sinkMass: sink / n, localMass: local / n,
        blocks: options.thresholds.enumerated().map { i, tau in
            ProfileBlockFraction(threshold: tau, fraction: Double(blocksBelow[i]) / Double(geometry.visiblePairs),
                                 fractionSeed: Double(blocksBelow[i] + geometry.allPairs - geometry.visiblePairs) / Double(geometry.allPairs))
        },
        coverage: CoverageCounts(p90: Double(covered[0]) / n, p95: Double(covered[1]) / n, p99: Double(covered[2]) / n))
    let scores = HeadTextScores(sinkScore: sink / n, localScore: localWindow / n, previousTokenScore: previous / total,
                                duplicateTokenScore: duplicate / total, streamingMass: streaming / n)
    return (profile, scores)
}

/// SplitMix64 (deterministic test data).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    mutating func unit() -> Double { Double(next() >> 11 + 1) / Double(1 << 53) }
}
