import AttentionAnalysis
import GPT2

/// The sweep grid of issue 3's speed target: 5 thresholds × 3 block sizes.
let sweepThresholds = [0.01, 0.005, 0.002, 0.001, 0.0005]
let sweepBlockSizes = [16, 32, 64]

/// The benchmark's input: `count` token ids spread over the vocabulary (torch peers use the same).
func benchTokens(count: Int, vocabularySize: Int) -> [Int] {
    (0..<count).map { ($0 * 7919 + 13) % vocabularySize }
}

/// Issue 3's sweep benchmark at T = `tokenCount`, interleaved A/B within each run (run 0 warms up):
///  (a) one forward pass with attention capture (observer), no LM head;
///  (b) the same forward feeding one `SweepAccumulator` with every point, head by head from
///      `attentionHeadObserver` (each head analysed on the thread that computed it, in cache);
///  (b') as (b) fed layer by layer from `attentionObserver` (the daemon's way: it caches layers);
///  (c) with `endToEnd`: per point, `runs` times, a dense forward with LM head, then the pruned
///      forward (`AttentionIntervention`, per head) with LM head and its `DenseLogitsReference.compare`.
/// Prints medians (seconds), ratios, a few point results (to set beside the torch peer's) and
/// peak RSS (bytes) of each phase after the load beside the budget "model + one layer's
/// attention + activations" (+ two logits for end-to-end).
func runSweepBench(loaded: LoadedBenchModel, runs: Int, threads: Int, tokenCount: Int, endToEnd: Bool) throws {
    let model = loaded.model, config = model.config
    let tokens = benchTokens(count: tokenCount, vocabularySize: config.vocabSize)
    let points = SweepSetting.grid(selection: .threshold, values: sweepThresholds, blockSizes: sweepBlockSizes)
    let t = tokenCount, h = config.nHead, c = config.nEmbd
    let attentionBytes = h * t * t * 4                                        // (H, T, T) Float
    // residual, normed, qkv, attention, mlp (+ the attention kernels' per-thread scratch, below)
    var activationBytes = t * (6 * c + config.nInner) * 4
    let modelBytes = loaded.residentModelBytes                                // packed panels + unpacked tensors
    let logitsBytes = t * config.vocabSize * 4                                // (T, V)
    // The process peak includes the load (mapped file + packed copy, before the pages are
    // released); the phases below are measured from here with the kernel's high-water mark.
    let loadPeak = peakRSSBytes()
    let phaseReset = resetResidentHighWater()           // also resets getrusage's ru_maxrss on Linux
    print("rss after_load load_peak_rss_bytes=\(loadPeak) current_rss_bytes=\(residentHighWaterBytes()) "
        + "phase_peak_reset=\(phaseReset) process_baseline_bytes=\(processBaselineBytes) model_bytes=\(modelBytes) "
        + "attention_layer_bytes=\(attentionBytes) activation_bytes=\(activationBytes) logits_bytes=\(logitsBytes)")
    // The budget: the process before the model (runtime, code), the model, one layer's attention,
    // and the activations the forward pass really holds (measured after its first call).
    _ = try forwardWithCapture(model, tokens)
    activationBytes = max(activationBytes, model.cachedActivationBytes - attentionBytes)
    let budget = processBaselineBytes + modelBytes + attentionBytes + activationBytes

    var forwardTimes: [Double] = [], sweepTimes: [Double] = [], layerTimes: [Double] = []
    var results: [SweepPointResult] = []
    for run in 0...runs {
        let a = try timed { try forwardWithCapture(model, tokens) }
        let b = try timed { try sweepForward(model, tokens, points: points, perHead: true, threads: threads) }
        let g = try timed { try sweepForward(model, tokens, points: points, perHead: false, threads: threads) }
        guard run > 0 else { continue }
        guard b.value == g.value else { throw BenchError.sweepFeedsDisagree }
        forwardTimes.append(a.seconds); sweepTimes.append(b.seconds); layerTimes.append(g.seconds)
        results = b.value
    }
    let forward = median(forwardTimes), sweep = median(sweepTimes), layerFed = median(layerTimes)
    print("sweep_attention T=\(t) points=\(points.count) threads=\(threads) runs=\(forwardTimes.count) "
        + "forward_median_s=\(fmt(forward)) sweep_total_median_s=\(fmt(sweep)) sweep_over_forward=\(fmt(sweep / forward)) "
        + "layer_fed_total_median_s=\(fmt(layerFed)) layer_fed_over_forward=\(fmt(layerFed / forward)) "
        + "forward_all_s=\(list(forwardTimes)) sweep_all_s=\(list(sweepTimes)) layer_fed_all_s=\(list(layerTimes))")
    for r in results where r.threshold == 0.002 || r.threshold == 0.01 {
        print("point B=\(r.blockSize) tau=\(r.threshold) prunedBlockFraction=\(fmt6(r.prunedBlockFraction)) "
            + "seedPrunedFraction=\(fmt6(r.seedPrunedFraction)) prunedMass=\(fmt6(r.prunedMass)) "
            + "attentionKL=\(fmt6(r.attentionKL)) seedKL=\(fmt6(r.seedKL)) fullyPrunedRows=\(r.fullyPrunedRows)")
    }
    print("rss after_sweep phase_peak_rss_bytes=\(residentHighWaterBytes()) budget_bytes=\(budget) "
        + "(process baseline \(processBaselineBytes) + model \(modelBytes) + attention \(attentionBytes) "
        + "+ activations \(activationBytes))")
    if endToEnd {
        try runEndToEndBench(model: model, tokens: tokens, points: points, threads: threads, repeats: runs)
        print("rss after_end_to_end phase_peak_rss_bytes=\(residentHighWaterBytes()) "
            + "budget_bytes=\(budget + 2 * logitsBytes) (the sweep's budget + 2 logits: dense reference + pruned)")
    }
}

/// (c): per point, `repeats` times: a dense forward with LM head, then the pruned one (each head
/// pruned as it is computed, as the daemon does) and its comparison. A point's cost is the median
/// over repeats of (pruned + compare) / the dense run just before it, so a stall of the shared
/// machine hits one pair, not the point.
private func runEndToEndBench(model: GPT2Model, tokens: [Int], points: [SweepSetting], threads: Int, repeats: Int) throws {
    let config = model.config
    let first = try timed { () throws -> DenseLogitsReference in
        guard let logits = try model.forward(tokens: tokens).logits else { throw BenchError.missingLogits(run: "dense") }
        return try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: config.vocabSize, threadCount: threads)
    }
    let reference = first.value
    print("end_to_end dense_reference_s=\(fmt(first.seconds)) (dense forward with LM head + logits summary, once per request)")
    var denseTimes: [Double] = [], prunedTimes: [Double] = [], compareTimes: [Double] = [], pointRatios: [Double] = []
    for point in points {
        let intervention = try AttentionIntervention(point: point, heads: config.nHead, tokens: tokens.count,
                                                     threadCount: model.threads)
        var options = ForwardOptions()
        options.attentionHeadIntervention = intervention.headClosure
        var ratios: [Double] = []
        var last: EndToEndMetrics?
        for _ in 0..<max(1, repeats) {
            let dense = try timed { _ = try model.forward(tokens: tokens) }    // logits dropped at once
            let pruned = try timed { try model.forward(tokens: tokens, options: options) }
            guard let prunedLogits = pruned.value.logits else { throw BenchError.missingLogits(run: "pruned") }
            let compared = try timed { try reference.compare(prunedLogits: prunedLogits) }
            denseTimes.append(dense.seconds); prunedTimes.append(pruned.seconds); compareTimes.append(compared.seconds)
            ratios.append((pruned.seconds + compared.seconds) / dense.seconds)
            last = compared.value
        }
        pointRatios.append(median(ratios))
        print("end_to_end_point B=\(point.blockSize) tau=\(point.value) repeats=\(ratios.count) "
            + "pruned_plus_compare_over_dense=\(fmt(median(ratios))) all=\(list(ratios)) "
            + "outputKL=\(fmt6(last?.outputKL ?? .nan)) top1Agreement=\(fmt6(last?.top1Agreement ?? .nan))")
    }
    let dense = median(denseTimes)
    print("end_to_end T=\(tokens.count) points=\(points.count) repeats=\(max(1, repeats)) threads=\(threads) "
        + "dense_median_s=\(fmt(dense)) pruned_median_s=\(fmt(median(prunedTimes))) compare_median_s=\(fmt(median(compareTimes))) "
        + "pruned_over_dense=\(fmt(median(prunedTimes) / dense)) per_point_over_dense=\(fmt(median(pointRatios))) "
        + "worst_per_point_over_dense=\(fmt(pointRatios.max() ?? .nan))")
}

/// One forward pass without LM head whose observer touches each layer's attention (capture only).
private func forwardWithCapture(_ model: GPT2Model, _ tokens: [Int]) throws -> Float {
    var checksum: Float = 0
    var options = ForwardOptions()
    options.computeLogits = false
    options.attentionObserver = { _, probs in checksum += probs[probs.count - 1] }
    _ = try model.forward(tokens: tokens, options: options)
    return checksum
}

/// One forward pass without LM head streaming its attention through one `SweepAccumulator`:
/// head by head from the worker threads (`perHead`), or layer by layer.
private func sweepForward(_ model: GPT2Model, _ tokens: [Int], points: [SweepSetting], perHead: Bool,
                          threads: Int) throws -> [SweepPointResult] {
    let config = model.config
    let accumulator = try SweepAccumulator(points: points, tokens: tokens.count, heads: config.nHead,
                                           layers: config.nLayer, threadCount: model.threads)
    var options = ForwardOptions()
    options.computeLogits = false
    if perHead {
        options.attentionHeadObserver = { l, h, worker, probs, _ in
            try accumulator.consume(layer: l, head: h, attention: probs, worker: worker)
        }
    } else {
        options.attentionObserver = { l, probs in try accumulator.consume(layer: l, attention: probs) }
    }
    _ = try model.forward(tokens: tokens, options: options)
    return try accumulator.result()
}

private func list(_ values: [Double]) -> String { values.map(fmt).joined(separator: ",") }
func fmt6(_ x: Double) -> String { String(format: "%.6g", x) }
