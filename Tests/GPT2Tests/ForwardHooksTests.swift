import XCTest
@testable import GPT2

/// Attention hooks, cancellation and input errors of `GPT2Model.forward` on the tiny random model.
final class ForwardHooksTests: XCTestCase {
    func testObserverSeesEveryLayerCausalRowsSummingToOne() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 4), threads: 2)
        let tokens = [5, 9, 2, 33, 47, 12, 0, 18, 26, 3, 14, 40, 22, 8, 31, 6, 29]  // T = 17
        let T = tokens.count, H = 2
        var layersSeen: [Int] = []
        var options = ForwardOptions()
        options.attentionObserver = { layer, probs in
            layersSeen.append(layer)
            XCTAssertEqual(probs.count, H * T * T, "(H, T, T)")
            for h in 0..<H { for q in 0..<T {
                var sum = 0.0
                for k in 0..<T {
                    let p = probs[(h * T + q) * T + k]
                    if k > q { XCTAssertEqual(p, 0, "layer \(layer) head \(h) q \(q) k \(k) is masked: exactly 0") }
                    else { XCTAssertGreaterThan(p, 0) }
                    sum += Double(p)
                }
                XCTAssertEqual(sum, 1, accuracy: 1e-5, "row sum, layer \(layer) head \(h) q \(q)")
            } }
        }
        _ = try model.forward(tokens: tokens, options: options)
        XCTAssertEqual(layersSeen, [0, 1])
    }

    func testInterventionZeroingABlockChangesOutputAsRecomputed() throws {
        let weights = tinyRandomWeights(seed: 5)
        let model = GPT2Model(weights: weights, threads: 2)
        let tokens = Array(0..<20).map { ($0 * 13 + 5) % 50 }
        let T = tokens.count
        // Zero keys 0..<4 of head 1 for queries ≥ 8 in layer 1 (no renormalisation).
        func zeroBlock(_ layer: Int, _ set: (Int) -> Void) {
            guard layer == 1 else { return }
            for q in 8..<T { for k in 0..<4 { set((1 * T + q) * T + k) } }
        }
        var options = ForwardOptions()
        var observed: [Float] = []
        options.attentionIntervention = { layer, probs in zeroBlock(layer) { probs[$0] = 0 } }
        options.attentionObserver = { layer, probs in if layer == 1 { observed = Array(probs) } }
        let pruned = try XCTUnwrap(model.forward(tokens: tokens, options: options).logits)
        let dense = try XCTUnwrap(model.forward(tokens: tokens).logits)
        let predicted = referenceForward(weights: weights, tokens: tokens) { layer, probs in zeroBlock(layer) { probs[$0] = 0 } }

        assertClose(pruned, predicted.logits, tolerance: 1e-4, "intervened logits vs recomputation")
        XCTAssertEqual(observed.count, 2 * T * T)
        XCTAssertEqual(observed.count > 0 ? observed[(1 * T + 10) * T + 2] : -1, 0, "observer sees the intervened probabilities")
        let change = zip(pruned, dense).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(change, 1e-3, "zeroing attention mass must move the logits")
        // Positions before query 8 cannot be affected (causal).
        for i in 0..<(8 * 50) { XCTAssertEqual(pruned[i], dense[i], accuracy: 1e-6) }
    }

    func testHookErrorsStopThePass() {
        struct Stop: Error {}
        let model = GPT2Model(weights: tinyRandomWeights(seed: 6))
        var options = ForwardOptions()
        var calls = 0
        options.checkCancellation = { calls += 1; if calls == 2 { throw Stop() } }
        var observed: [Int] = []
        options.attentionObserver = { layer, _ in observed.append(layer) }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2], options: options)) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(observed, [0], "stopped before layer 1")
    }

    func testInputErrorsNameTheProblem() {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 7))
        XCTAssertThrowsError(try model.forward(tokens: [])) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try model.forward(tokens: Array(repeating: 1, count: 25))) { error in
            XCTAssertEqual(error as? ForwardError, .inputTooLong(tokens: 25, limit: 24))
            XCTAssertTrue("\(error)".contains("25") && "\(error)".contains("24"), "\(error)")
        }
        XCTAssertThrowsError(try model.forward(tokens: [1, 2, 50])) { error in
            XCTAssertEqual(error as? ForwardError, .tokenOutOfRange(index: 2, token: 50, vocabSize: 50))
            XCTAssertTrue("\(error)".contains("tokens[2]") && "\(error)".contains("0…49"), "\(error)")
        }
        XCTAssertThrowsError(try model.forward(tokens: [-1])) { error in
            XCTAssertEqual(error as? ForwardError, .tokenOutOfRange(index: 0, token: -1, vocabSize: 50))
        }
        XCTAssertNoThrow(try model.forward(tokens: Array(repeating: 1, count: 24)), "T = n_positions is allowed")
    }
}
