import AttentionAnalysis
import AttnProtocol
import Foundation
import GPT2
import JSONRPC
import RunStore

extension AnalysisError: RPCErrorConvertible {
    /// Refusals of a value (a parameter the validation did not catch earlier) are -32602 with
    /// the contract's `{field, value, accepted}`; inconsistent shapes and call orders are bugs
    /// of the daemon, -32603 with `{reason}`.
    public var rpcError: RPCError {
        switch self {
        case let .invalidDimension(field, value, accepted):
            return RPCError.invalidParams(field: field, value: .int(Int64(value)), accepted: accepted, message: description)
        case let .invalidBlockSize(field, value):
            return RPCError.invalidParams(field: field, value: .int(Int64(value)), accepted: "an integer ≥ 1 (tokens per key block)",
                                          message: description)
        case let .invalidValue(field, value, accepted):
            return RPCError.invalidParams(field: field, value: value.isFinite ? .double(value) : nil, accepted: accepted,
                                          message: description)
        case let .invalidBudget(field, reason):
            return RPCError.invalidParams(field: field, value: nil, accepted: reason, message: description)
        case let .emptyList(field):
            return RPCError.invalidParams(field: field, value: .array([]), accepted: "at least one value", message: description)
        case .cancelled:
            return RPCError(.requestCancelled, description)
        case .attentionSizeMismatch, .unexpectedLayer, .missingLayers, .logitsShapeMismatch, .mismatchedTexts:
            return RPCError(.internalError, "internal error: \(description)", data: ["reason": .string(description)])
        }
    }
}

extension ExportDestination.Failure: RPCErrorConvertible {
    /// Path rules are -32602 on `exportPath`; what stands at the path and failed writes are
    /// -32006 with `{path, reason}`.
    var rpcError: RPCError {
        switch self {
        case .relativePath(let path):
            return RPCError.invalidParams(field: "exportPath", value: .string(path),
                                          accepted: "an absolute path of a file to write (relative paths need attnd --export-dir)",
                                          message: description)
        case .notAFileName(let path):
            return RPCError.invalidParams(field: "exportPath", value: .string(path),
                                          accepted: "a path of a file (not ending in '/' or '.')", message: description)
        case .missingFolder(let folder):
            return RPCError.invalidParams(field: "exportPath", value: nil,
                                          accepted: "a path in an existing folder (\(folder) does not exist)", message: description)
        case .outsideExportFolder(let path, let exportFolder):
            return RPCError.invalidParams(field: "exportPath", value: .string(path),
                                          accepted: "a path inside the export folder \(exportFolder)", message: description)
        case .exists(let path):
            return RPCError.invalidParams(field: "exportPath", value: .string(path),
                                          accepted: "a path that does not exist yet (or pass overwrite: true)", message: description)
        case .notReplaceable(let path, let what):
            return RPCError(.exportFailed, description, data: ["path": .string(path), "reason": .string("\(what) is there")])
        case .io(let path, let why):
            return RPCError(.exportFailed, description, data: ["path": .string(path), "reason": .string(why)])
        case .sizeMismatch:
            // The writer was fed the wrong number of floats: a bug, not an I/O failure.
            return RPCError(.internalError, "internal error: \(description)", data: ["reason": .string(description)])
        }
    }
}

/// `profileAttention`, `pruneSweep`, `perPositionKL`: the studies, each from one dense pass
/// (shared through the dense-pass cache) streamed layer by layer through the accumulators.
extension ModelSession {
    func registerAnalyses(into registry: MethodRegistry) {
        registry.register("profileAttention", kind: .compute, parse: { r -> ProfileAttentionParams in
            let p = try ProfileAttentionParams(reading: r)
            if let path = p.exportPath { _ = try self.exportDestination(path, overwrite: p.overwrite) }
            return p
        }, handle: { p, context in
            let model = try self.requireModel()
            let inputs = try context.timed("tokenize") { try p.input.resolve(with: model) }
            let c = model.config
            if p.includeAttention {
                let T = inputs[0].tokens.count
                let entries = c.nLayer * c.nHead * T * T
                if entries > ProtocolLimits.maxInlineEntries {
                    throw RPCError.invalidParams(field: "includeAttention", value: true,
                        accepted: "false when L·H·T² > \(ProtocolLimits.maxInlineEntries) (here \(entries)); use exportPath to write a .npy file instead")
                }
            }
            let inductionTokens = 2 * p.inductionLength + 1
            if inductionTokens > c.nPositions {
                throw RPCError.invalidParams(field: "inductionLength", value: .int(Int64(p.inductionLength)),
                    accepted: "an integer in 1...\((c.nPositions - 1) / 2) (the induction sequence's 2·n + 1 tokens must fit nPositions = \(c.nPositions))")
            }
            let cacheable = !p.force && !p.includeAttention && p.exportPath == nil
            return try self.runAnalysis(method: "profileAttention", params: p, inputs: inputs, model: model,
                                        cacheable: cacheable, context: context) {
                try self.profile(p, inputs: inputs, model: model, context: context)
            }
        })

        registry.register("pruneSweep", kind: .compute, parse: { r -> PruneSweepParams in
            let p = try PruneSweepParams(reading: r)
            if let path = p.exportPath { _ = try self.exportDestination(path, overwrite: false) }
            return p
        }, handle: { request, context in
            let model = try self.requireModel()
            var p = request
            // A calibration run is resolved to its table first: the cache key holds the table itself.
            if let spec = p.perHead { p.perHead = .table(try self.resolvePerHead(spec, model: model)) }
            let inputs = try context.timed("tokenize") { try p.input.resolve(with: model) }
            return try self.runAnalysis(method: "pruneSweep", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force && !p.exportMask, context: context) {
                try self.sweep(p, inputs: inputs, model: model, context: context)
            }
        })

        registry.register("perPositionKL", kind: .compute, params: PerPositionKLParams.self, handle: { request, context in
            let model = try self.requireModel()
            var p = request
            if let spec = p.perHead { p.perHead = .table(try self.resolvePerHead(spec, model: model)) }
            let inputs = try context.timed("tokenize") { try p.input.resolve(with: model) }
            return try self.runAnalysis(method: "perPositionKL", params: p, inputs: inputs, model: model,
                                        cacheable: !p.force, context: context) {
                let tokens = inputs[0].tokens
                let c = model.config
                let progress = ProgressSpan(context: context, from: 0, to: 95)
                let r: PerPositionResult
                if p.usesTiles || p.perHead != nil {
                    r = try self.tilePerPosition(p, tokens: tokens, model: model, context: context, progress: progress)
                } else {
                    let acc = try PerPositionAccumulator(point: p.point, metric: p.positionMetric, segmentSize: p.segmentSize,
                                                         tokens: tokens.count, heads: c.nHead, layers: c.nLayer,
                                                         seedEpsilon: p.seedEpsilon, threadCount: model.model.threads)
                    _ = try self.densePass(model: model, tokens: tokens, needLogits: false, context: context,
                                           progress: progress) { l, a in
                        try acc.consume(layer: l, attention: a)
                    }
                    r = try acc.result()
                }
                let all = r.layers.flatMap(\.values)
                let mean = all.isEmpty ? 0 : all.reduce(0, +) / Double(all.count)
                return AnalysisOutput(body: PerPositionKLResult(metric: p.metric, layers: try wire(r.layers)),
                                      digest: PerPositionDigest(metric: p.metric, mean: mean))
            }
        })
    }

    // MARK: profileAttention

    /// Where `exportPath` writes under this daemon's `--export-dir` (nil: absolute paths only);
    /// -32602 / -32006 as `ExportDestination.Failure.rpcError` says.
    private func exportDestination(_ path: String, overwrite: Bool) throws -> ExportDestination {
        do {
            return try ExportDestination.resolve(path, exportFolder: configuration.exportDirectory, overwrite: overwrite)
        } catch let failure as ExportDestination.Failure {
            throw failure.rpcError
        }
    }

    private func profile(_ p: ProfileAttentionParams, inputs: [ResolvedInput], model: LoadedModel,
                         context: RequestContext) throws -> AnalysisOutput<ProfileAttentionResult> {
        let c = model.config
        var profiles: [AttentionProfile] = []
        var attention: [[[[Float]]]]?
        var blockMasks: [BlockMask]?
        var exported: ExportedTensor?
        let induction = try inductionScores(p, model: model, context: context, progress: ProgressSpan(context: context, from: 0, to: 5))
        for (i, input) in inputs.enumerated() {
            let T = input.tokens.count
            let span = ProgressSpan(context: context, from: 5 + 90 * Double(i) / Double(inputs.count),
                                    to: 5 + 90 * Double(i + 1) / Double(inputs.count))
            let acc = try ProfileAccumulator(options: p.options, tokens: T, heads: c.nHead, layers: c.nLayer, ids: input.tokens,
                                             threadCount: model.model.threads)
            var inline: [[[[Float]]]] = []
            let masks = try p.includeAttention ? BlockMaskRecorder(thresholds: p.thresholds, blockSize: p.blockSize,
                                                                   queryBlockSize: p.queryBlockSize, heads: c.nHead,
                                                                   tokens: T, threadCount: model.model.threads) : nil
            let writer = try p.exportPath.map {
                try NpyWriter(destination: try exportDestination($0, overwrite: p.overwrite),
                              shape: [c.nLayer, c.nHead, T, T], overwrite: p.overwrite)
            }
            do {
                // Each head is profiled on its worker as soon as it is computed (in cache); the
                // profile's own pass over the entries is the finiteness check.
                let consumeHead: DenseHeadConsumer = { l, head, worker, a, rowEntropy in
                    if try !acc.consume(layer: l, head: head, worker: worker, attention: a, rowEntropy: rowEntropy) {
                        try FiniteGuard.check(a, quantity: "attention", layer: l)
                    }
                }
                _ = try densePass(model: model, tokens: input.tokens, needLogits: false, context: context, progress: span,
                                  consumeHead: consumeHead) { l, a in
                    try writer?.append(a)
                    if p.includeAttention { inline.append(nestedAttention(a, heads: c.nHead, tokens: T)) }
                    try masks?.consume(attention: a)
                }
                try writer?.finish()
            } catch {
                writer?.abandon()
                throw error
            }
            if let writer {
                let bytes = (try? FileManager.default.attributesOfItem(atPath: writer.path)[.size] as? Int) ?? nil
                exported = ExportedTensor(path: writer.path, shape: writer.shape, dtype: "float32", bytes: bytes)
            }
            if p.includeAttention { attention = inline }
            blockMasks = masks?.result()
            profiles.append(try acc.result(induction: induction))
        }
        // `texts` always answers with texts + aggregate, even for a list of one text.
        if !p.input.isMulti {
            var body: ProfileAttentionResult = try wire(profiles[0])
            body.attention = attention
            body.blockMasks = blockMasks
            body.exported = exported
            let s = profiles[0].summary
            return AnalysisOutput(body: body, digest: ProfileDigest(entrySparsity: s.entrySparsity, sinkMass: s.sinkMass,
                                                                    entropy: s.entropy))
        }
        let perText: [ProfileOfText] = try zip(inputs, profiles).map { input, prof in
            ProfileOfText(numTokens: input.tokens.count, layers: try wire(prof.layers), summary: try wire(prof.summary))
        }
        let mean: (KeyPath<AttentionAnalysis.ProfileSummary, Double>) -> Double = { kp in
            profiles.map { $0.summary[keyPath: kp] }.reduce(0, +) / Double(profiles.count)
        }
        let body = ProfileAttentionResult(texts: perText,
                                          aggregate: ProfileAggregate(heads: try wire(AcrossTexts.summarize(profiles: profiles, roles: p.roles))))
        return AnalysisOutput(body: body, digest: ProfileDigest(entrySparsity: mean(\.entrySparsity), sinkMass: mean(\.sinkMass),
                                                                entropy: mean(\.entropy)))
    }

    /// `(L, H)` induction scores: one dense pass over the request's induction sequence (§11:
    /// BOS = `<|endoftext|>`'s id, or 0 when the vocabulary has none; ids below `vocabSize`),
    /// once per loaded model and (seed, length): later requests take them from `inductionMemo`.
    private func inductionScores(_ p: ProfileAttentionParams, model: LoadedModel, context: RequestContext,
                                 progress: ProgressSpan) throws -> [Double] {
        let key = InductionMemo.Key(seed: p.inductionSeed, length: p.inductionLength)
        return try model.inductionMemo.scores(for: key) {
            let c = model.config
            let tokens = InductionSequence.tokens(seed: UInt64(p.inductionSeed), length: p.inductionLength,
                                                  vocabSize: c.vocabSize, bos: model.tokenizer.endOfTextID ?? 0)
            let acc = try InductionAccumulator(repeatLength: p.inductionLength, heads: c.nHead, layers: c.nLayer)
            _ = try densePass(model: model, tokens: tokens, needLogits: false, context: context, progress: progress) { l, a in
                try acc.consume(layer: l, attention: a)
            }
            return try acc.result()
        }
    }

    // MARK: pruneSweep

    private func sweep(_ p: PruneSweepParams, inputs: [ResolvedInput], model: LoadedModel,
                       context: RequestContext) throws -> AnalysisOutput<PruneSweepResult> {
        var perText: [[SweepPointResult]] = []
        var perTextTiles: [[TilePointExtras]] = []     // empty on the per-row path
        var exports: [MaskExport.Point] = []            // with exportMask (one input)
        for (i, input) in inputs.enumerated() {
            let span = ProgressSpan(context: context, from: 99 * Double(i) / Double(inputs.count),
                                    to: 99 * Double(i + 1) / Double(inputs.count))
            if let table = p.perHead?.table {
                let tiled = try perHeadSweepOne(p, table: table, tokens: input.tokens, model: model, context: context, progress: span)
                perText.append([tiled.point])
                perTextTiles.append([tiled.extras])
            } else if p.usesTiles {
                let tiled = try tileSweepOne(p, tokens: input.tokens, model: model, context: context, progress: span)
                perText.append(tiled.points)
                perTextTiles.append(tiled.extras)
                exports = tiled.exports
            } else {
                perText.append(try sweepOne(p, tokens: input.tokens, model: model, context: context, progress: span))
            }
        }
        /// The wire points of text `i`, with the tile fields on tile points.
        func wirePoints(_ i: Int) throws -> [AttnProtocol.SweepPoint] {
            var points: [AttnProtocol.SweepPoint] = try wire(perText[i])
            if let table = p.perHead?.table {
                points[0].attach(perTextTiles[i][0], selection: table.selection)
                points[0].blockSize = table.blockSize
                points[0].perHead = true
            } else if p.usesTiles {
                for j in points.indices { points[j].attach(perTextTiles[i][j], selection: p.selection) }
            }
            return points
        }
        // `texts` always answers with texts + aggregate, even for a list of one text.
        var body = PruneSweepResult()
        var rows: [SweepPointRow] = []
        let ranked: [SweepPointResult]
        if !p.input.isMulti {
            ranked = perText[0]
            body.points = try wirePoints(0)
            rows = (body.points ?? []).map(SweepPointRow.init)
        } else {
            let summaries = try AcrossTexts.summarize(sweeps: perText)
            ranked = summaries.map(meanPoint)
            body.texts = try inputs.indices.map { i in
                SweepOfText(numTokens: inputs[i].tokens.count, points: try wirePoints(i))
            }
            body.aggregate = SweepAggregate(points: try wire(summaries))
            for j in body.aggregate?.points.indices ?? 0..<0 { body.aggregate?.points[j].selection = p.perHead?.table?.selection ?? p.selection }
        }
        if p.maxAttentionKL != nil || p.maxOutputKL != nil {
            body.recommendation = try wire(Recommender.recommend(points: ranked, maxOutputKL: p.maxOutputKL,
                                                                 maxAttentionKL: p.maxAttentionKL))
            for j in body.recommendation?.indices ?? 0..<0 { body.recommendation?[j].point?.selection = p.selection }
        }
        if let path = p.exportPath, p.exportMask {
            // Checked again now: something may have appeared at the path during the sweep.
            let destination = try exportDestination(path, overwrite: false)
            body.exportedMask = try MaskExport(destination: destination).write(exports, params: p, tokens: inputs[0].tokens)
        }
        let digest = SweepDigest(selection: p.selection, points: ranked.count,
                                 maxPrunedBlockFraction: ranked.map(\.prunedBlockFraction).max() ?? 0,
                                 minAttentionKL: ranked.map(\.attentionKL).min() ?? 0)
        return AnalysisOutput(body: body, digest: digest, points: rows)
    }
    /// Every point over one input: one dense pass streamed through all points, then (with
    /// `endToEnd`) one pruned forward pass per point against the dense logits.
    private func sweepOne(_ p: PruneSweepParams, tokens: [Int], model: LoadedModel, context: RequestContext,
                          progress: ProgressSpan) throws -> [SweepPointResult] {
        let c = model.config
        let T = tokens.count
        let points = p.points
        let denseShare = p.endToEnd ? 1.0 / Double(points.count + 1) : 1.0
        let acc = try SweepAccumulator(points: points, tokens: T, heads: c.nHead, layers: c.nLayer, seedEpsilon: p.seedEpsilon,
                                       threadCount: model.model.threads)
        let logits = try densePass(model: model, tokens: tokens, needLogits: p.endToEnd, context: context,
                                   progress: progress.slice(0, denseShare)) { l, a in
            do {
                // Polled per head, so a cancel lands within one head's work even for a large grid.
                try acc.consume(layer: l, attention: a, isCancelled: { context.isCancelled })
            } catch AnalysisError.cancelled {
                try context.checkCancelled()
            }
        }
        var results = try acc.result()
        guard p.endToEnd else { return results }
        guard let logits else { throw RPCError(.internalError, "the dense pass returned no logits") }
        let reference = try DenseLogitsReference(logits: logits, tokens: tokens, vocabularySize: c.vocabSize,
                                                 threadCount: model.model.threads)
        for (i, point) in points.enumerated() {
            try context.checkCancelled()
            let intervention = try AttentionIntervention(point: point, heads: c.nHead, tokens: T,
                                                         threadCount: model.model.threads)
            var options = ForwardOptions()
            options.attentionHeadIntervention = intervention.headClosure
            options.checkCancellation = { try context.checkCancelled() }
            let pruned = try context.timed("prunedForward") { try model.model.forward(tokens: tokens, options: options) }
            guard let prunedLogits = pruned.logits else { throw RPCError(.internalError, "the pruned pass returned no logits") }
            // `compare` checks the pruned logits for NaN/Inf in its row pass (-32009 naming the point).
            results[i].endToEnd = try context.timed("compare") {
                try FiniteGuard.checking("prunedLogits", point: i) { try reference.compare(prunedLogits: prunedLogits) }
            }
            progress.report(denseShare + (1 - denseShare) * Double(i + 1) / Double(points.count),
                            "pruned pass \(i + 1) of \(points.count)")
        }
        return results
    }

    /// A point of means across texts, for the recommendation over `texts`.
    private func meanPoint(_ s: SweepPointSummary) -> SweepPointResult {
        let e2e = s.endToEnd.map {
            EndToEndMetrics(outputKL: $0.outputKL.mean, top1Agreement: $0.top1Agreement.mean,
                            nllFull: $0.nllFull?.mean, nllPruned: $0.nllPruned?.mean)
        }
        return SweepPointResult(selection: s.selection, blockSize: s.blockSize, threshold: s.threshold,
                                prunedBlockFraction: s.prunedBlockFraction.mean, seedPrunedFraction: s.seedPrunedFraction.mean,
                                prunedMass: s.prunedMass.mean, attentionKL: s.attentionKL.mean, seedKL: s.seedKL.mean,
                                fullyPrunedRows: Int(s.fullyPrunedRows.mean.rounded()), layers: [], endToEnd: e2e)
    }
}

/// One layer's attention `(H, T, T)` as nested arrays `[H][T][T]`.
private func nestedAttention(_ a: UnsafeBufferPointer<Float>, heads: Int, tokens T: Int) -> [[[Float]]] {
    (0..<heads).map { h in
        (0..<T).map { q in Array(a[((h * T + q) * T)..<((h * T + q) * T + T)]) }
    }
}
