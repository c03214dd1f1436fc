import Foundation
import XCTest
@testable import AttentionAnalysis

/// The one-read row pass (`scanRow`) behind `DenseLogitsReference`: its top `k` against the
/// entry-by-entry definition (`largestIndices`) and a sort, on rows with ties placed across
/// 16-lane chunks and in the tail; its finiteness test against NaN, +Inf and −Inf anywhere.
final class LogitsRowScanTests: XCTestCase {
    /// Indices by value descending, ties by lower index: the definition of the top `k`.
    private func sortedTop(_ row: [Float], _ k: Int) -> [Int] {
        Array(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k))
    }

    private func scan(_ row: [Float], _ k: Int) -> LogitsRowScan {
        row.withUnsafeBufferPointer { scanRow($0.baseAddress!, count: row.count, topK: k) }
    }

    private func scalarTop(_ row: [Float], _ k: Int) -> [Int] {
        row.withUnsafeBufferPointer { largestIndices($0.baseAddress!, count: row.count, k: k) }
    }

    func testHandMadeRowsWithTies() {
        // V = 40: chunks [0, 16), [16, 32) and a tail [32, 40).
        var row = [Float](repeating: 0, count: 40)
        row[3] = 5; row[20] = 5; row[35] = 5     // a three-way tie for the max, one per chunk and the tail
        row[15] = 4; row[16] = 4                 // a tie across the first chunk boundary
        row[39] = 4.5                            // the last entry, in the tail
        // By hand: 5 at 3, 20, 35; then 4.5 at 39; then 4 at 15, 16; then the zeros from index 0.
        XCTAssertEqual(scan(row, 6).top, [3, 20, 35, 39, 15, 16])
        XCTAssertEqual(scan(row, 8).top, [3, 20, 35, 39, 15, 16, 0, 1])
        XCTAssertEqual(scan(row, 1).top, [3])
        XCTAssertEqual(scan(row, 1).argmax, 3)
        XCTAssertEqual(scan(row, 0).argmax, 3)
        XCTAssertEqual(scan(row, 0).top, [])
        XCTAssertEqual(scan(row, 0).maximum, 5)
        for k in [1, 2, 3, 4, 6, 7, 16, 17, 39, 40] {
            XCTAssertEqual(scan(row, k).top, sortedTop(row, k), "k = \(k)")
            XCTAssertEqual(scan(row, k).top, scalarTop(row, k), "k = \(k)")
        }
        // All equal: the lowest indices; −0 and +0 tie (0 first, then 1).
        let flat: [Float] = [-0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(scan(flat, 3).top, [0, 1, 2])
        XCTAssertEqual(scan(flat, 0).argmax, 0)
        // The max only in the tail, everything else negative.
        var tail = [Float](repeating: -3, count: 19)
        tail[18] = -1; tail[17] = -2
        XCTAssertEqual(scan(tail, 2).top, [18, 17])
        XCTAssertEqual(scan(tail, 0).argmax, 18)
        XCTAssertEqual(scan(tail, 0).maximum, -1)
        // k larger than V: every index, sorted.
        let short: [Float] = [1, 3, 2]
        XCTAssertEqual(scan(short, 5).top, [1, 2, 0])
    }

    func testAgreesWithTheScalarDefinitionOnRandomRows() {
        var state: UInt64 = 2024
        for v in [1, 15, 16, 17, 33, 1003] {
            for _ in 0..<20 {
                // Coarse values (steps of 1/4 in ±10) so ties are common.
                let row: [Float] = (0..<v).map { _ in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return Float(Int(state >> 59) - 16) / 4 + Float(Int((state >> 33) & 15) - 8)
                }
                for k in [0, 1, 5, 16, 17] {
                    let got = scan(row, k)
                    XCTAssertEqual(got.top, scalarTop(row, k), "V = \(v), k = \(k)")
                    XCTAssertEqual(got.top, sortedTop(row, k), "V = \(v), k = \(k)")
                    XCTAssertEqual(got.argmax, sortedTop(row, 1)[0], "V = \(v), k = \(k)")
                    XCTAssertEqual(got.maximum, row.max())
                    XCTAssertTrue(got.isFinite)
                }
            }
        }
    }

    func testFinitenessSeesNaNAndBothInfinitiesAnywhere() {
        for v in [1, 7, 16, 40] {
            for position in Set([0, v / 2, v - 1]) {
                for bad in [Float.nan, .infinity, -.infinity] {
                    var row = [Float](repeating: 1, count: v)
                    row[position] = bad
                    for k in [0, 3] {
                        XCTAssertFalse(scan(row, k).isFinite, "V = \(v), \(bad) at \(position), k = \(k)")
                    }
                }
            }
            XCTAssertTrue(scan([Float](repeating: -Float.greatestFiniteMagnitude, count: v), 2).isFinite)
        }
    }

    /// The reference's init and `compare` throw the first non-finite logit in row-major order,
    /// whichever thread's row holds it.
    func testReferenceAndCompareReportTheFirstNonFiniteLogit() throws {
        let t = 9, v = 21
        let clean = (0..<(t * v)).map { Float(($0 * 7) % 11) - 5 }
        for (index, bad) in [(0, Float.nan), (4 * v + 17, .infinity), (t * v - 1, -.infinity)] {
            var logits = clean
            logits[index] = bad
            logits[t * v - 2] = .nan                 // a later one, not the first unless index is the last
            let expected = index < t * v - 2 ? index : t * v - 2
            XCTAssertThrowsError(try DenseLogitsReference(logits: logits, tokens: [Int](repeating: 1, count: t),
                                                          vocabularySize: v, threadCount: 2, topK: 3)) { error in
                let found = error as? NonFiniteLogits
                XCTAssertEqual(found?.index, expected, "\(bad) at \(index)")
                XCTAssertEqual(found?.value.bitPattern, logits[expected].bitPattern, "\(bad) at \(index)")
            }
            let reference = try DenseLogitsReference(logits: clean, tokens: [Int](repeating: 1, count: t), vocabularySize: v,
                                                     threadCount: 2)
            XCTAssertThrowsError(try reference.compare(prunedLogits: logits)) { error in
                let found = error as? NonFiniteLogits
                XCTAssertEqual(found?.index, expected, "\(bad) at \(index)")
                XCTAssertEqual(found?.value.bitPattern, logits[expected].bitPattern, "\(bad) at \(index)")
            }
        }
    }

    /// The top tokens found in the init's row pass give the same predictions as the separate pass.
    func testFusedTopKGivesTheSamePredictions() throws {
        var state: UInt64 = 99
        let t = 13, v = 301
        let logits: [Float] = (0..<(t * v)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 58) - 32) / 8
        }
        let tokens = (0..<t).map { ($0 * 31) % v }
        let plain = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: v, threadCount: 2)
        for k in [1, 5, 16, 300, 301] {
            let fused = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: v, threadCount: 2, topK: k)
            XCTAssertEqual(fused.predictions(topK: k), plain.predictions(topK: k), "k = \(k)")
            XCTAssertEqual(fused.predictions(topK: 1), plain.predictions(topK: 1), "k = \(k), asked 1")
            XCTAssertEqual(fused.nll, plain.nll)
        }
        // Asking more than the init found falls back to the separate pass.
        let fused = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: v, threadCount: 2, topK: 2)
        XCTAssertEqual(fused.predictions(topK: 9), plain.predictions(topK: 9))
    }
}
