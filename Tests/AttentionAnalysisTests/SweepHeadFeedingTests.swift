import XCTest
@testable import AttentionAnalysis
import SyntheticAttention

/// Feeding a sweep head by head (from a forward pass's worker threads) gives exactly what
/// feeding it layer by layer gives, and misuse is refused with a named error.
final class SweepHeadFeedingTests: XCTestCase {
    private let tokens = 37, heads = 4, layerCount = 2
    private lazy var layers = (0..<layerCount).map { SyntheticAttention.layer(heads: heads, tokens: tokens, seed: UInt64(31 + $0)) }
    private let points = SweepSetting.grid(selection: .threshold, values: [0.05, 0.01], blockSizes: [8, 16])
        + [SweepSetting(selection: .topK, blockSize: 8, value: 2)]

    private func accumulator(threads: Int = 2) throws -> SweepAccumulator {
        try SweepAccumulator(points: points, tokens: tokens, heads: heads, layers: layerCount, threadCount: threads)
    }

    /// Head `h` of layer `l`, `(T, T)`.
    private func feed(_ acc: SweepAccumulator, layer l: Int, head h: Int, worker: Int) throws {
        let t = tokens
        try layers[l].withUnsafeBufferPointer {
            try acc.consume(layer: l, head: h, attention: UnsafeBufferPointer(rebasing: $0[(h * t * t)..<((h + 1) * t * t)]),
                            worker: worker)
        }
    }

    func testHeadsFedConcurrentlyEqualLayersFed() throws {
        let byLayer = try accumulator()
        for (l, layer) in layers.enumerated() { try layer.withUnsafeBufferPointer { try byLayer.consume(layer: l, attention: $0) } }
        let byHead = try accumulator()
        // Two workers take (layer, head) pairs in an interleaved order, as a forward pass's would.
        let pairs = (0..<layerCount).flatMap { l in (0..<heads).reversed().map { (l, $0) } }
        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for (i, pair) in pairs.enumerated() where i % 2 == worker {
                do { try feed(byHead, layer: pair.0, head: pair.1, worker: worker) } catch { failures.add("\(error)") }
            }
        }
        XCTAssertEqual(failures.messages, [])
        let expected = try byLayer.result()
        XCTAssertEqual(try byHead.result(), expected)
        XCTAssertGreaterThan(expected[0].prunedBlockFraction, 0, "the grid prunes something")
    }

    func testMissingDuplicateAndOutOfRangeHeadsAreRefused() throws {
        let acc = try accumulator()
        for h in 0..<heads { try feed(acc, layer: 0, head: h, worker: 0) }
        for h in 0..<(heads - 1) { try feed(acc, layer: 1, head: h, worker: 1) }
        XCTAssertThrowsError(try acc.result()) { XCTAssertEqual($0 as? AnalysisError, .missingLayers([1])) }
        XCTAssertThrowsError(try feed(acc, layer: 1, head: 0, worker: 0)) {
            XCTAssertEqual($0 as? AnalysisError, .unexpectedLayer(layer: 1, layers: 2, alreadySeen: true))
        }
        XCTAssertThrowsError(try layers[1].withUnsafeBufferPointer { try acc.consume(layer: 1, attention: $0) },
                             "a layer partly fed by heads cannot be fed whole") {
            XCTAssertEqual($0 as? AnalysisError, .unexpectedLayer(layer: 1, layers: 2, alreadySeen: true))
        }
        XCTAssertThrowsError(try feed(acc, layer: 1, head: heads - 1, worker: 2)) { error in
            guard case .invalidDimension(let field, 2, _)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "worker")
        }
        let oneHead = [Float](repeating: 0, count: tokens * tokens)
        XCTAssertThrowsError(try oneHead.withUnsafeBufferPointer { try acc.consume(layer: 2, head: 0, attention: $0, worker: 0) }) {
            XCTAssertEqual($0 as? AnalysisError, .unexpectedLayer(layer: 2, layers: 2, alreadySeen: false))
        }
        let short = [Float](repeating: 0, count: tokens * tokens - 1)
        XCTAssertThrowsError(try short.withUnsafeBufferPointer { try acc.consume(layer: 1, head: heads - 1, attention: $0, worker: 0) }) {
            XCTAssertEqual($0 as? AnalysisError, .attentionSizeMismatch(layer: 1, expected: tokens * tokens, actual: tokens * tokens - 1))
        }
        try feed(acc, layer: 1, head: heads - 1, worker: 1)
        XCTAssertNoThrow(try acc.result(), "every head of every layer fed")
    }

    func testCancelledHeadCanBeFedAgain() throws {
        let acc = try accumulator()
        let t = tokens
        XCTAssertThrowsError(try layers[0].withUnsafeBufferPointer {
            try acc.consume(layer: 0, head: 0, attention: UnsafeBufferPointer(rebasing: $0[0..<(t * t)]), worker: 0,
                            isCancelled: { true })
        }) { XCTAssertEqual($0 as? AnalysisError, .cancelled) }
        for l in 0..<layerCount { for h in 0..<heads { try feed(acc, layer: l, head: h, worker: 0) } }
        let reference = try accumulator()
        for (l, layer) in layers.enumerated() { try layer.withUnsafeBufferPointer { try reference.consume(layer: l, attention: $0) } }
        XCTAssertEqual(try acc.result(), try reference.result())
    }
}

/// Error messages collected from concurrent iterations.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ message: String) { lock.lock(); stored.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}
