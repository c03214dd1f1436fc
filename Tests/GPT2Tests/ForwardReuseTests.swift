import XCTest
@testable import GPT2

/// A long-lived model reuses the activations of its last call, and stops after the last layer's
/// attention when nothing later is asked for. Both must be invisible in the results: compared
/// bit for bit with a fresh model's.
final class ForwardReuseTests: XCTestCase {
    /// Every layer's attention, copied, plus the logits.
    private func run(_ model: GPT2Model, _ tokens: [Int], logits: Bool = true) throws -> (attention: [[Float]], logits: [Float]?) {
        var attention: [[Float]] = []
        var options = ForwardOptions()
        options.computeLogits = logits
        options.attentionObserver = { _, probs in attention.append(Array(probs)) }
        let output = try model.forward(tokens: tokens, options: options)
        return (attention, output.logits)
    }

    func testReusedActivationsGiveTheSameResultsAsAFreshModel() throws {
        let weights = tinyRandomWeights(seed: 11)
        let reused = GPT2Model(weights: weights, threads: 2)
        let long = Array(0..<21).map { ($0 * 7 + 3) % 50 }, short = [4, 8, 15, 16, 23]
        // Long, then short (served by the larger kept set), then long again (stale values of the
        // short call left in the buffers must not leak into it).
        let first = try run(reused, long)
        XCTAssertGreaterThan(reused.cachedActivationBytes, 0, "the first call's activations are kept")
        let second = try run(reused, short)
        let third = try run(reused, long)
        let freshShort = try run(GPT2Model(weights: weights, threads: 2), short)
        let freshLong = try run(GPT2Model(weights: weights, threads: 2), long)
        XCTAssertEqual(second.attention, freshShort.attention)
        XCTAssertEqual(second.logits, freshShort.logits)
        XCTAssertEqual(first.logits, freshLong.logits)
        XCTAssertEqual(third.attention, freshLong.attention)
        XCTAssertEqual(third.logits, freshLong.logits)
        reused.releaseCachedActivations()
        XCTAssertEqual(reused.cachedActivationBytes, 0)
        XCTAssertEqual(try run(reused, short).logits, freshShort.logits, "after release the buffers are rebuilt")
    }

    func testAttentionOnlyPassHandsOverTheSameAttentionAsAFullPass() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 12), threads: 2)
        let tokens = Array(0..<19).map { ($0 * 11 + 1) % 50 }
        let full = try run(model, tokens, logits: true)
        let attentionOnly = try run(model, tokens, logits: false)
        XCTAssertNil(attentionOnly.logits)
        XCTAssertEqual(attentionOnly.attention.count, tinyConfig.nLayer, "every layer, the last included")
        XCTAssertEqual(attentionOnly.attention, full.attention)
    }

    func testConcurrentCallsEachGetTheirOwnActivations() throws {
        let weights = tinyRandomWeights(seed: 13)
        let model = GPT2Model(weights: weights, threads: 1)
        let inputs = (0..<8).map { i in Array(0..<(6 + i * 2)).map { ($0 * 5 + i) % 50 } }
        let expected = try inputs.map { try run(GPT2Model(weights: weights, threads: 1), $0).logits }
        let results = ConcurrentResults(count: inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            results.set(i, try? self.run(model, inputs[i]).logits)
        }
        for i in inputs.indices { XCTAssertEqual(results.values[i], expected[i], "input \(i)") }
    }
}

/// Results written from concurrent iterations, one slot each.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[Float]?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: [Float]??) {
        lock.lock(); defer { lock.unlock() }
        values[i] = value ?? nil
    }
}
