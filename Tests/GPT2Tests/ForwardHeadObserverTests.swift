import XCTest
@testable import GPT2

/// `attentionHeadObserver`: every (layer, head) seen once, on a worker index below the model's
/// thread count, with the same probabilities the layer observer sees (after any intervention),
/// and its first error stops the pass.
final class ForwardHeadObserverTests: XCTestCase {
    private let tokens = Array(0..<15).map { ($0 * 17 + 2) % 50 }

    /// Copies of each (layer, head) the head observer saw, and the workers it ran on.
    private final class HeadLog: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var heads: [String: [Float]] = [:]
        private(set) var workers: Set<Int> = []
        private(set) var duplicates = 0
        func record(_ layer: Int, _ head: Int, _ worker: Int, _ probs: UnsafeBufferPointer<Float>) {
            lock.lock(); defer { lock.unlock() }
            if heads["\(layer).\(head)"] != nil { duplicates += 1 }
            heads["\(layer).\(head)"] = Array(probs)
            workers.insert(worker)
        }
    }

    private func observe(_ model: GPT2Model, intervention: ((Int, UnsafeMutableBufferPointer<Float>) throws -> Void)? = nil)
        throws -> (log: HeadLog, layers: [[Float]]) {
        let log = HeadLog()
        var layers: [[Float]] = []
        var options = ForwardOptions()
        options.attentionIntervention = intervention
        options.attentionHeadObserver = { l, h, w, probs, _ in log.record(l, h, w, probs) }
        options.attentionObserver = { l, probs in
            // Every head of the layer was seen before the layer observer runs.
            XCTAssertEqual(log.heads.keys.filter { $0.hasPrefix("\(l).") }.count, tinyConfig.nHead, "layer \(l)")
            layers.append(Array(probs))
        }
        _ = try model.forward(tokens: tokens, options: options)
        return (log, layers)
    }

    /// With `attentionRowEntropy` every head comes with its rows' entropies, equal to
    /// `−Σ p ln p` of the probabilities it is seen with; without it, or after a head
    /// intervention, none.
    func testRowEntropiesComeWithTheirProbabilities() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 3), threads: 2)
        let lock = NSLock()
        var seen = 0, missing = 0
        var options = ForwardOptions()
        options.attentionRowEntropy = true
        options.attentionHeadObserver = { _, _, _, probs, rowEntropy in
            lock.lock(); defer { lock.unlock() }
            guard let rowEntropy else { missing += 1; return }
            let t = rowEntropy.count
            XCTAssertEqual(probs.count, t * t)
            for q in 0..<t {
                var want = 0.0
                for k in 0...q {
                    let p = Double(probs[q * t + k])
                    if p > 0 { want -= p * log(p) }
                }
                XCTAssertEqual(Double(rowEntropy[q]), want, accuracy: 2e-6 * max(want, 1))
            }
            seen += 1
        }
        _ = try model.forward(tokens: tokens, options: options)
        XCTAssertEqual(seen, tinyConfig.nLayer * tinyConfig.nHead)
        XCTAssertEqual(missing, 0)
        options.attentionRowEntropy = false
        seen = 0
        _ = try model.forward(tokens: tokens, options: options)
        XCTAssertEqual(missing, tinyConfig.nLayer * tinyConfig.nHead)
        options.attentionRowEntropy = true
        options.attentionHeadIntervention = { _, _, _, _ in }
        _ = try model.forward(tokens: tokens, options: options)
        XCTAssertEqual(missing, 2 * tinyConfig.nLayer * tinyConfig.nHead, "an intervention may change the probabilities")
        XCTAssertEqual(seen, 0)
    }

    func testEveryHeadSeenOnceWithTheLayerObserversValues() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 21), threads: 2)
        let (log, layers) = try observe(model)
        let t = tokens.count
        XCTAssertEqual(log.duplicates, 0)
        XCTAssertEqual(log.heads.count, tinyConfig.nLayer * tinyConfig.nHead)
        XCTAssertTrue(log.workers.isSubset(of: [0, 1]), "workers \(log.workers) within the model's 2 threads")
        for l in 0..<tinyConfig.nLayer {
            for h in 0..<tinyConfig.nHead {
                XCTAssertEqual(log.heads["\(l).\(h)"], Array(layers[l][(h * t * t)..<((h + 1) * t * t)]), "layer \(l) head \(h)")
            }
        }
    }

    func testHeadsAreSeenAfterTheIntervention() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 22), threads: 2)
        let t = tokens.count
        // Layer 1, head 0: query 9's key 3 set to 0 (no renormalisation: only visibility matters here).
        let (log, layers) = try observe(model) { layer, probs in
            if layer == 1 { probs[9 * t + 3] = 0 }
        }
        XCTAssertEqual(log.heads["1.0"]?[9 * t + 3], 0, "the head observer sees the intervened value")
        XCTAssertEqual(log.heads["1.0"], Array(layers[1][0..<(t * t)]))
        XCTAssertGreaterThan(log.heads["0.0"]?[9 * t + 3] ?? 0, 0, "layer 0 untouched")
    }

    func testHeadInterventionRunsBeforeTheLayerInterventionAndEveryObserver() throws {
        let model = GPT2Model(weights: tinyRandomWeights(seed: 24), threads: 2)
        let t = tokens.count
        let log = HeadLog()
        var layerInterventionSaw: Float = -1, layerObserverSaw: Float = -1
        var options = ForwardOptions()
        // Layer 1, head 1: query 9's key 3 set to 0 by the head intervention.
        options.attentionHeadIntervention = { l, h, w, probs in
            XCTAssertLessThan(w, 2)
            if l == 1 && h == 1 { probs[9 * t + 3] = 0 }
        }
        options.attentionIntervention = { l, probs in if l == 1 { layerInterventionSaw = probs[(t + 9) * t + 3] } }
        options.attentionHeadObserver = { l, h, w, probs, _ in log.record(l, h, w, probs) }
        options.attentionObserver = { l, probs in if l == 1 { layerObserverSaw = probs[(t + 9) * t + 3] } }
        let pruned = try XCTUnwrap(model.forward(tokens: tokens, options: options).logits)
        XCTAssertEqual(layerInterventionSaw, 0)
        XCTAssertEqual(layerObserverSaw, 0)
        XCTAssertEqual(log.heads["1.1"]?[9 * t + 3], 0)
        XCTAssertGreaterThan(log.heads["1.0"]?[9 * t + 3] ?? 0, 0, "head 0 untouched")
        let dense = try XCTUnwrap(model.forward(tokens: tokens).logits)
        XCTAssertNotEqual(pruned, dense, "the head intervention reaches the output")
    }

    func testFirstErrorStopsThePass() {
        struct Refused: Error, Equatable { let layer: Int }
        let model = GPT2Model(weights: tinyRandomWeights(seed: 23), threads: 2)
        var options = ForwardOptions()
        var layersObserved: [Int] = []
        options.attentionHeadObserver = { l, h, _, _, _ in if l == 0 && h == 1 { throw Refused(layer: l) } }
        options.attentionObserver = { l, _ in layersObserved.append(l) }
        XCTAssertThrowsError(try model.forward(tokens: tokens, options: options)) { XCTAssertEqual($0 as? Refused, Refused(layer: 0)) }
        XCTAssertEqual(layersObserved, [], "the layer observer is not reached once a head observer failed")
    }
}
