import AttentionAnalysis
import AttnProtocol
import JSONRPC
import RunStore
import XCTest
@testable import AttnServer

/// The cache key's canonical params come from the decoded params type: every field of every
/// analysis method changes the key, and spelling a default does not.
final class CacheKeyDerivationTests: XCTestCase {
    private let model = ModelRecord(fingerprint: "abc123", name: "tiny", path: "/m", configJSON: "{}")

    private func key<P: MethodParams>(_ type: P.Type, _ params: JSONValue, method: String) throws -> String {
        let p = try P.decode(params)
        return RunRequest(method: method, model: model, input: InputRecord(tokens: [1, 2, 3], text: nil),
                          params: try canonicalParams(p)).cacheKey
    }

    /// Values to try in place of `value`, by its JSON kind; the first one the type accepts is used.
    private func candidates(for value: JSONValue?) -> [JSONValue] {
        let names = Selection.allCases.map(\.rawValue) + PositionMetric.allCases.map(\.rawValue) + Estimator.allCases.map(\.rawValue)
        let choices: [JSONValue] = names.map { .string($0) }
        switch value {
        case .bool(let b)?: return [.bool(!b)]
        case .int(let n)?: return [.int(n + 1), .int(max(n - 1, 0)), 2]
        case .double(let d)?: return [.double(d / 2), .double(d * 2), 0.5]
        case .string(let s)?: return choices.filter { $0 != .string(s) }
        case .array(let a)?:
            let first = a.first ?? 1
            var out: [JSONValue] = [.array(a + [first])]
            if let d = first.doubleValue { out += [.array([.double(d / 2)] + a.dropFirst()), .array([.int(Int64(d) + 1)] + a.dropFirst())] }
            if let s = first.stringValue { out.append(.array([.string(s + "!")] + a.dropFirst())) }
            return out
        // An optional field without a default (a per-head table for `perHead`).
        default: return [0.5, 0.0001, 2, true, ["other text"], [0.25], ["estimator": "oracle", "blockSize": 4, "values": [[0.1]]]]
        }
    }

    private func assertEveryFieldChangesTheKey<P: MethodParams & Equatable>(_ type: P.Type, method: String, bases: [JSONValue],
                                                                            file: StaticString = #filePath, line: UInt = #line) throws {
        let fields = Mirror(reflecting: try P.decode(bases[0])).children.compactMap(\.label)
        let semantic = fields.filter { !CanonicalForm.nonSemanticFields.contains($0) }
        XCTAssertFalse(semantic.isEmpty, file: file, line: line)
        for field in semantic {
            var changed = false
            for base in bases {
                let baseKey = try key(P.self, base, method: method)
                let baseValue = try P.decode(base)
                let current = try baseValue.encoded[field]
                for candidate in candidates(for: current) {
                    var request = base.objectValue ?? [:]
                    if field == "texts" { request["tokens"] = nil }
                    request[field] = candidate
                    guard let decoded = try? P.decode(.object(request)), decoded != baseValue else { continue }
                    XCTAssertNotEqual(try key(P.self, .object(request), method: method), baseKey,
                                      "\(method): changing `\(field)` to \(candidate) left the cache key unchanged", file: file, line: line)
                    changed = true
                    break
                }
                if changed { break }
            }
            XCTAssertTrue(changed, "\(method): no accepted change of `\(field)` to test; extend `candidates`", file: file, line: line)
        }
    }

    private func assertSpelledDefaultsKeepTheKey<P: MethodParams>(_ type: P.Type, method: String, base: JSONValue,
                                                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let baseKey = try key(P.self, base, method: method)
        let spelled = try P.decode(base).encoded
        // All defaults at once, then one at a time.
        XCTAssertEqual(try key(P.self, spelled, method: method), baseKey, file: file, line: line)
        for (field, value) in spelled.objectValue ?? [:] {
            var request = base.objectValue ?? [:]
            request[field] = value
            XCTAssertEqual(try key(P.self, .object(request), method: method), baseKey,
                           "\(method): spelling the default `\(field)`: \(value) changed the cache key", file: file, line: line)
        }
    }

    func testEveryParamOfEveryAnalysisIsInTheKey() throws {
        let tokens: JSONValue = ["tokens": [1, 2, 3]]
        try assertEveryFieldChangesTheKey(ForwardParams.self, method: "forward", bases: [tokens])
        try assertEveryFieldChangesTheKey(ProfileAttentionParams.self, method: "profileAttention",
                                          bases: [tokens, ["texts": ["a b"]]])
        try assertEveryFieldChangesTheKey(PruneSweepParams.self, method: "pruneSweep",
                                          bases: [tokens, ["tokens": [1, 2, 3], "endToEnd": true], ["texts": ["a b"]]])
        try assertEveryFieldChangesTheKey(PerPositionKLParams.self, method: "perPositionKL", bases: [tokens])
        try assertEveryFieldChangesTheKey(CalibrateParams.self, method: "calibrate",
                                          bases: [["tokens": [1, 2, 3], "maxOutputKL": 0.01], ["tokens": [1, 2, 3], "maxAttentionKL": 0.01],
                                                  ["tokens": [1, 2, 3], "minRecall": 0.9], ["texts": ["a b"], "minRecall": 0.9]])
    }

    func testSpellingADefaultKeepsTheKey() throws {
        let tokens: JSONValue = ["tokens": [1, 2, 3]]
        try assertSpelledDefaultsKeepTheKey(ForwardParams.self, method: "forward", base: tokens)
        try assertSpelledDefaultsKeepTheKey(ProfileAttentionParams.self, method: "profileAttention", base: tokens)
        try assertSpelledDefaultsKeepTheKey(PruneSweepParams.self, method: "pruneSweep", base: tokens)
        try assertSpelledDefaultsKeepTheKey(PruneSweepParams.self, method: "pruneSweep", base: ["tokens": [1], "selection": "topK"])
        try assertSpelledDefaultsKeepTheKey(PerPositionKLParams.self, method: "perPositionKL", base: tokens)
        try assertSpelledDefaultsKeepTheKey(PerPositionKLParams.self, method: "perPositionKL", base: ["tokens": [1], "selection": "coverage"])
        try assertSpelledDefaultsKeepTheKey(CalibrateParams.self, method: "calibrate", base: ["tokens": [1], "maxOutputKL": 0.01])
    }

    /// The tile params of issue 13 are fields of the type, so the derivation above covers them;
    /// each one splits the key, and the per-row defaults spelled out do not.
    func testTileParamsAreInTheKey() throws {
        let fields = Mirror(reflecting: try PruneSweepParams.decode(["tokens": [1]])).children.compactMap(\.label)
        let base = try key(PruneSweepParams.self, ["tokens": [1, 2, 3]], method: "pruneSweep")
        let changes: [String: JSONValue] = ["queryBlockSize": 2, "estimator": "meanPool", "stride": 4, "lastQueries": 8, "sinkTokens": 0]
        for (field, value) in changes {
            XCTAssertTrue(fields.contains(field), field)
            XCTAssertNotEqual(try key(PruneSweepParams.self, ["tokens": [1, 2, 3], field: value], method: "pruneSweep"), base, field)
        }
        XCTAssertEqual(try key(PruneSweepParams.self, ["tokens": [1, 2, 3], "queryBlockSize": 1, "estimator": "oracle", "stride": 8,
                                                        "lastQueries": 64, "sinkTokens": 4], method: "pruneSweep"), base)
        XCTAssertNotEqual(try key(PruneSweepParams.self, ["tokens": [1, 2, 3], "estimator": "streaming", "thresholds": [16]], method: "pruneSweep"),
                          try key(PruneSweepParams.self, ["tokens": [1, 2, 3], "estimator": "streaming", "thresholds": [32]], method: "pruneSweep"))
    }

    /// `force`, `exportPath` and friends never split the cache.
    func testNonSemanticFieldsLeaveTheKey() throws {
        let base = try key(ProfileAttentionParams.self, ["tokens": [1, 2, 3]], method: "profileAttention")
        XCTAssertEqual(try key(ProfileAttentionParams.self, ["tokens": [1, 2, 3], "force": true, "overwrite": true],
                               method: "profileAttention"), base)
        XCTAssertEqual(try key(ProfileAttentionParams.self, ["text": "hello", "force": true], method: "profileAttention"), base)
    }

    /// The protocol's `seedEpsilon` range is the library's.
    func testSeedEpsilonRangeIsTheLibrarys() {
        XCTAssertEqual(ProtocolLimits.seedEpsilon, .closed(SeedEpsilon.lowest, SeedEpsilon.highest))
        XCTAssertEqual(ProtocolLimits.seedEpsilon.description, SeedEpsilon.accepted)
        XCTAssertEqual(ProtocolLimits.seedEpsilonDefault, SeedEpsilon.default)
    }

    /// The protocol's `relativeThreshold` range is the library's.
    func testRelativeThresholdRangeIsTheLibrarys() {
        XCTAssertEqual(ProtocolLimits.relativeThreshold, .openClosed(0, RelativeThresholdRange.upper))
        XCTAssertTrue(RelativeThresholdRange.accepted.hasPrefix(ProtocolLimits.relativeThreshold.description))
    }
}
