import XCTest
@testable import AttentionAnalysis

final class SweepCancellationTests: XCTestCase {
    /// A uniform causal layer `(H, T, T)`: row q holds 1/(q+1) on keys 0…q.
    private func uniformLayer(heads: Int, tokens t: Int) -> [Float] {
        var a = [Float](repeating: 0, count: heads * t * t)
        for h in 0..<heads { for q in 0..<t { for k in 0...q { a[(h * t + q) * t + k] = 1 / Float(q + 1) } } }
        return a
    }

    func testCancelledConsumeThrowsAndSkipsTheRestOfTheHeads() throws {
        let points = SweepSetting.grid(selection: .threshold, values: [0.1, 0.2], blockSizes: [2])
        let acc = try SweepAccumulator(points: points, tokens: 6, heads: 4, layers: 1, threadCount: 1)
        let layer = uniformLayer(heads: 4, tokens: 6)
        let polls = CountingFlag(after: 2)
        XCTAssertThrowsError(try layer.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0, isCancelled: polls.poll) }) {
            XCTAssertEqual($0 as? AnalysisError, .cancelled)
        }
        XCTAssertEqual(polls.count, 3, "heads 0 and 1 ran; the poll before head 2 said stop; heads 3 was skipped unpolled")
        XCTAssertThrowsError(try acc.result(), "a cancelled layer is not counted as consumed")
    }

    func testUncancelledConsumeMatchesTheDefault() throws {
        let points = SweepSetting.grid(selection: .threshold, values: [0.3], blockSizes: [2, 3])
        let layer = uniformLayer(heads: 2, tokens: 7)
        let a = try SweepAccumulator(points: points, tokens: 7, heads: 2, layers: 1)
        let b = try SweepAccumulator(points: points, tokens: 7, heads: 2, layers: 1)
        try layer.withUnsafeBufferPointer { try a.consume(layer: 0, attention: $0) }
        try layer.withUnsafeBufferPointer { try b.consume(layer: 0, attention: $0, isCancelled: { false }) }
        XCTAssertEqual(try a.result(), try b.result())
    }
}

/// Says "cancelled" from the `after + 1`-th poll on, counting polls.
private final class CountingFlag: @unchecked Sendable {
    private let lock = NSLock()
    private let after: Int
    private(set) var count = 0
    init(after: Int) { self.after = after }
    func poll() -> Bool { lock.lock(); defer { lock.unlock() }; count += 1; return count > after }
}
