import Foundation
import RunReport

/// Stored runs shaped like `runs/get` output, passed through JSONSerialization so the
/// report sees the same number types it sees from the daemon.
enum RunFixtures {
    /// The `runs/get` envelope around `result` (which gets the five analysis fields).
    static func stored(id: String, method: String, createdAt: String, durationMs: Int, params: [String: Any],
                       result: [String: Any], numTokens: Int) -> [String: Any] {
        var full = result
        full["runId"] = id
        full["numTokens"] = numTokens
        full["model"] = "f00dfeed"
        full["cached"] = false
        full["history"] = ["stored": true]
        return roundTrip([
            "id": id, "method": method, "status": "completed", "createdAt": createdAt, "finishedAt": createdAt,
            "durationMs": durationMs, "model": "f00dfeedcafe0123456789abcdef0123456789abcdef0123456789abcdef0123",
            "modelName": "tiny", "numTokens": numTokens, "clientName": "tests", "summary": [String: Any](),
            "params": params, "result": full, "error": NSNull(),
        ])
    }

    static func roundTrip(_ run: [String: Any]) -> [String: Any] {
        let data = try! JSONSerialization.data(withJSONObject: run, options: [.sortedKeys])
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// One sweep point. `layers` per-layer attentionKL values (nats); prunedBlockFraction per
    /// layer is `fraction` for every layer.
    static func point(blockSize: Int, threshold: Double, fraction: Double, seedFraction: Double,
                      attentionKL: Double, seedKL: Double, layerKLs: [Double], outputKL: Double? = nil) -> [String: Any] {
        var p: [String: Any] = [
            "selection": "threshold", "blockSize": blockSize, "threshold": threshold,
            "prunedBlockFraction": fraction, "seedPrunedFraction": seedFraction, "prunedMass": 0.01,
            "attentionKL": attentionKL, "seedKL": seedKL, "fullyPrunedRows": 0,
            "layers": layerKLs.enumerated().map { i, kl in
                ["layer": i, "prunedBlockFraction": fraction, "prunedMass": 0.01, "attentionKL": kl, "seedKL": seedKL,
                 "fullyPrunedRows": 0, "someFutureField": "ignored"] as [String: Any]
            },
            "unknownExtra": [1, 2, 3],
        ]
        if let outputKL {
            p["endToEnd"] = ["outputKL": outputKL, "top1Agreement": 0.9, "nllFull": 3.2, "nllPruned": 3.3]
        }
        return p
    }

    /// A sweep with block sizes 16 and 32 and thresholds 0.01, 0.002, 0.0005. attentionKL values
    /// are exact decades (1e-3, 1e-2, 1e-1 for B=16; 1e-4, 1e-3, 1e-2 for B=32) so marker
    /// positions can be checked against the log-axis ticks. The sparsest point is
    /// B=16, threshold 0.01 (fraction 0.8) with per-layer KLs [0.05, 0.2, 0.1].
    static func sweep(id: String = "11111111-aaaa-4bbb-8ccc-000000000001", endToEnd: Bool = false,
                      zeroPoint: Bool = false) -> [String: Any] {
        var points: [[String: Any]] = [
            point(blockSize: 16, threshold: 0.0005, fraction: 0.4, seedFraction: 0.7, attentionKL: zeroPoint ? 0 : 1e-3,
                  seedKL: 9.5, layerKLs: [0.001, 0.001, 0.001], outputKL: endToEnd ? 2e-3 : nil),
            point(blockSize: 16, threshold: 0.002, fraction: 0.6, seedFraction: 0.8, attentionKL: 1e-2,
                  seedKL: 10.5, layerKLs: [0.01, 0.01, 0.01], outputKL: endToEnd ? 3e-2 : nil),
            point(blockSize: 16, threshold: 0.01, fraction: 0.8, seedFraction: 0.9, attentionKL: 1e-1,
                  seedKL: 12.0, layerKLs: [0.05, 0.2, 0.1], outputKL: endToEnd ? 0.5 : nil),
        ]
        points += [
            point(blockSize: 32, threshold: 0.0005, fraction: 0.3, seedFraction: 0.65, attentionKL: 1e-4,
                  seedKL: 9.0, layerKLs: [0.0001, 0.0001, 0.0001]),
            point(blockSize: 32, threshold: 0.002, fraction: 0.5, seedFraction: 0.75, attentionKL: 1e-3,
                  seedKL: 10.0, layerKLs: [0.001, 0.002, 0.003]),
            point(blockSize: 32, threshold: 0.01, fraction: 0.7, seedFraction: 0.85, attentionKL: 1e-2,
                  seedKL: 11.0, layerKLs: [0.02, 0.01, 0.03]),
        ]
        var run = stored(id: id, method: "pruneSweep", createdAt: "2024-05-01T12:34:56.789Z", durationMs: 1234,
                         params: ["text": "The quick brown fox & friends", "blockSizes": [16, 32], "thresholds": [0.0005, 0.002, 0.01],
                                  "selection": "threshold", "endToEnd": endToEnd, "seedEpsilon": 1e-12],
                         result: ["points": points], numTokens: 64)
        run["someNewTopLevelField"] = ["nested": true]
        return run
    }

    /// A perPositionKL run with `layers` × `tokens.count` values; value(l, t) = (l + 1) * t / 100.
    static func perPosition(id: String = "22222222-aaaa-4bbb-8ccc-000000000002", layers: Int = 2,
                            pieces: [String]?, positions: Int? = nil) -> [String: Any] {
        let t = positions ?? pieces?.count ?? 0
        let result: [String: Any] = [
            "metric": "attentionKL",
            "layers": (0..<layers).map { l in
                ["layer": l, "values": (0..<t).map { Double((l + 1) * $0) / 100 }] as [String: Any]
            },
        ]
        var run = stored(id: id, method: "perPositionKL", createdAt: "2024-05-01T12:35:00Z", durationMs: 87,
                         params: ["text": "x", "threshold": 0.002, "blockSize": 32, "metric": "attentionKL"],
                         result: result, numTokens: max(t, 1))
        if let pieces { run["testPieces"] = pieces }
        return run
    }

    /// `base` with the token texts of every perPosition fixture among `runs` (the daemon passes
    /// them as `ReportOptions.tokenPieces`; the fixtures keep them under `testPieces`).
    static func options(for runs: [[String: Any]], base: ReportOptions = ReportOptions()) -> ReportOptions {
        var options = base
        for run in runs {
            if let id = run["id"] as? String, let pieces = run["testPieces"] as? [String] { options.tokenPieces[id] = pieces }
        }
        return options
    }

    /// The six roles in the order `profile(roles: true)` assigns them: head (l, h) gets
    /// `roleOrder[(4l + h) % 6]`, and is a streaming head when h is even.
    static let roleOrder = ["induction", "duplicateToken", "previousToken", "sink", "local", "diffuse"]

    /// A profile run: 3 layers × 4 heads. sinkMass(l, h) = (l * 4 + h) / 11, so layer 2 head 3
    /// has the largest (1.0) and layer 0 head 0 the smallest (0). Blocks at thresholds 0.05, 0.2.
    /// With `roles`, the head-role fields too (`roleOrder`); without, as a run stored before them.
    static func profile(id: String = "33333333-aaaa-4bbb-8ccc-000000000003", roles: Bool = false) -> [String: Any] {
        let layers = (0..<3).map { l in
            ["layer": l, "heads": (0..<4).map { h in
                var head: [String: Any] = [
                    "head": h, "entrySparsity": 0.5, "entrySparsitySeed": 0.75, "entropy": 0.5 + Double(l),
                    "sinkMass": Double(l * 4 + h) / 11, "localMass": 0.3,
                    "blocks": [["threshold": 0.05, "fraction": 0.25, "fractionSeed": 0.6],
                               ["threshold": 0.2, "fraction": Double(h) / 3, "fractionSeed": 0.9]],
                    "coverage": ["p90": 1.5, "p95": 2.0, "p99": 3.25]]
                if roles {
                    head.merge(["sinkScore": Double(l * 4 + h) / 11, "localScore": 0.5, "previousTokenScore": 0.25,
                                "duplicateTokenScore": 0.125, "inductionScore": 0.0625, "streamingMass": 0.95,
                                "streamingHead": h % 2 == 0, "role": roleOrder[(4 * l + h) % 6]]) { $1 }
                }
                return head
            }] as [String: Any]
        }
        let summary: [String: Any] = [
            "entrySparsity": 0.5, "entrySparsitySeed": 0.75, "entropy": 1.5, "sinkMass": 0.5, "localMass": 0.3,
            "blocks": [["threshold": 0.05, "fraction": 0.25, "fractionSeed": 0.6], ["threshold": 0.2, "fraction": 0.5, "fractionSeed": 0.9]],
            "coverage": ["p90": 1.5, "p95": 2.0, "p99": 3.25],
        ]
        return stored(id: id, method: "profileAttention", createdAt: "2024-05-01T12:35:10Z", durationMs: 2500,
                      params: ["text": "hello", "blockSize": 4, "thresholds": [0.05, 0.2]],
                      result: ["layers": layers, "summary": summary], numTokens: 16)
    }

    static func forward(id: String = "44444444-aaaa-4bbb-8ccc-000000000004") -> [String: Any] {
        stored(id: id, method: "forward", createdAt: "2024-05-01T12:35:20Z", durationMs: 12, params: ["text": "hi"],
               result: ["argmax": [1, 2], "top": [[[String: Any]](), [[String: Any]]()], "nll": 3.0, "perplexity": 20.09], numTokens: 2)
    }
}
