import AttnProtocol
import Foundation
import JSONRPC
import XCTest

/// The JSON Schemas of Protocol/schema agree with the AttnProtocol types: every params and
/// result type has exactly the schema's properties, and every request of the transcripts in
/// Protocol/examples and every illustrative result decodes into its type.
final class SchemaAgreementTests: XCTestCase {
    private static let protocolFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol")

    /// Method → its params type, and a decoder of its result (returning the decoded value).
    private struct MethodTypes {
        let params: any MethodParams.Type
        let result: (JSONValue) throws -> Any
    }

    private static func decoder<T: Decodable>(_ type: T.Type) -> (JSONValue) throws -> Any { { try $0.decode(T.self) } }

    private let methods: [String: MethodTypes] = [
        "forward": MethodTypes(params: ForwardParams.self, result: decoder(ForwardResponse.self)),
        "profileAttention": MethodTypes(params: ProfileAttentionParams.self, result: decoder(ProfileAttentionResponse.self)),
        "pruneSweep": MethodTypes(params: PruneSweepParams.self, result: decoder(PruneSweepResponse.self)),
        "perPositionKL": MethodTypes(params: PerPositionKLParams.self, result: decoder(PerPositionKLResponse.self)),
        "evaluateCorpus": MethodTypes(params: EvaluateCorpusParams.self, result: decoder(AnalysisResult<EvaluateCorpusResult>.self)),
        "calibrate": MethodTypes(params: CalibrateParams.self, result: decoder(AnalysisResult<CalibrateResult>.self)),
        "model/load": MethodTypes(params: ModelLoadParams.self, result: decoder(ModelInfo.self)),
        "model/info": MethodTypes(params: NoParams.self, result: decoder(ModelInfo.self)),
        "tokenize": MethodTypes(params: TokenizeParams.self, result: decoder(TokenizeResult.self)),
        "runs/list": MethodTypes(params: RunsListParams.self, result: decoder(RunsListResult.self)),
        "runs/get": MethodTypes(params: RunIDParams.self, result: decoder(Run.self)),
        "runs/delete": MethodTypes(params: RunIDParams.self, result: decoder(RunDeleted.self)),
        "runs/prune": MethodTypes(params: RunsPruneParams.self, result: decoder(RunsPruned.self)),
        "runs/report": MethodTypes(params: RunsReportParams.self, result: decoder(RunsReportResult.self)),
    ]

    private func json(_ url: URL) throws -> JSONValue { try JSONParser.parse(Data(contentsOf: url)) }

    private func schema(_ method: String) throws -> JSONValue {
        try json(Self.protocolFolder.appendingPathComponent("schema/\(method.replacingOccurrences(of: "/", with: ".")).json"))
    }

    private lazy var common: JSONValue = (try? json(Self.protocolFolder.appendingPathComponent("schema/common.json"))) ?? .null

    /// The property names of a schema node, following `$ref` and the branches of `oneOf`/`allOf`/`anyOf`.
    private func properties(_ node: JSONValue, in file: JSONValue) -> Set<String> {
        if let ref = node["$ref"]?.stringValue, let name = ref.components(separatedBy: "/$defs/").last {
            let target = ref.hasPrefix("common.json") || ref.hasPrefix("#") && file != common ? common : file
            return properties(target["$defs"]?[name] ?? .null, in: target)
        }
        var names = Set(node["properties"]?.objectValue?.keys ?? [:].keys)
        for branch in ["oneOf", "allOf", "anyOf"] {
            for sub in node[branch]?.arrayValue ?? [] where sub["type"] != "null" { names.formUnion(properties(sub, in: file)) }
        }
        return names
    }

    /// A value's stored properties (nil optionals included); `AnalysisResult` and `Run` are flat on the wire.
    private func fields(_ value: Any) -> Set<String> {
        var names = Set<String>()
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            if ["body", "fields", "summary"].contains(label) && isFlattened(value, label) {
                names.formUnion(fields(child.value))
            } else {
                names.insert(label)
            }
        }
        return names
    }

    private func isFlattened(_ value: Any, _ label: String) -> Bool {
        if label == "summary" { return value is Run }
        return String(describing: type(of: value)).hasPrefix("AnalysisResult<")
    }

    /// Replaces the transcripts' `${NAME}` placeholders with values of the right shape.
    private func substituted(_ value: JSONValue, key: String = "") -> JSONValue {
        switch value {
        case .string(let s) where s.contains("${"):
            if s.hasPrefix("${MODEL_PATH}") || s.hasPrefix("${TMPDIR}") { return .string("/tmp/placeholder") }
            return .string("00000000-0000-4000-8000-000000000000")
        case .array(let a): return .array(a.map { substituted($0, key: key) })
        case .object(let o): return .object(o.mapValues { substituted($0) })
        default: return value
        }
    }

    private func withoutToken(_ params: JSONValue?) -> JSONValue? {
        guard var members = params?.objectValue else { return params }
        members["workDoneToken"] = nil   // the framework removes it before the params type reads
        return .object(members)
    }

    /// `initialize` params are typed too: the type's fields are the schema's properties, and the
    /// params of every transcript's `initialize` decode (its result stays the framework's object).
    func testInitializeParamsHaveTheSchemasProperties() throws {
        let file = try schema("initialize")
        var expected = properties(file["$defs"]?["params"] ?? .null, in: file)
        expected.remove("workDoneToken")
        XCTAssertEqual(fields(try InitializeParams.decode(["clientInfo": ["name": "t"]])), expected)
        let full = try InitializeParams.decode(["processId": 12, "clientInfo": ["name": "nvim", "version": "0.7.2"],
                                                "capabilities": [:], "model": ["path": "/models/gpt2"], "trace": "off"])
        XCTAssertEqual(full.clientInfo?.name, "nvim")
        XCTAssertEqual(full.model?.path, "/models/gpt2")
        XCTAssertThrowsError(try InitializeParams.decode(["model": ["path": "relative"]]))
        XCTAssertThrowsError(try InitializeParams.decode(["modle": [:]]), "unknown fields are refused")
        var decoded = 0
        let examples = Self.protocolFolder.appendingPathComponent("examples")
        for name in try FileManager.default.contentsOfDirectory(atPath: examples.path) where name.hasSuffix(".json") {
            let transcript = try json(examples.appendingPathComponent(name))
            for step in transcript["steps"]?.arrayValue ?? [] {
                guard let send = step["send"], send["method"] == "initialize", step["invalid"] != true else { continue }
                XCTAssertNoThrow(try InitializeParams.decode(withoutToken(substituted(send["params"] ?? .null))), name)
                decoded += 1
            }
        }
        XCTAssertGreaterThan(decoded, 5)
    }

    func testParamsTypesHaveTheSchemasProperties() throws {
        let samples: [String: JSONValue] = [
            "forward": ["tokens": [1]], "profileAttention": ["tokens": [1]], "pruneSweep": ["tokens": [1]],
            "perPositionKL": ["tokens": [1]], "evaluateCorpus": ["text": "a b"], "calibrate": ["tokens": [1], "maxOutputKL": 0.01], "model/load": ["name": "gpt2"], "model/info": [:], "tokenize": ["text": ""],
            "runs/list": [:], "runs/get": ["id": "00000000-0000-4000-8000-000000000000"],
            "runs/delete": ["id": "00000000-0000-4000-8000-000000000000"], "runs/prune": ["keep": 1],
            "runs/report": ["ids": ["00000000-0000-4000-8000-000000000000"]],
        ]
        for (method, types) in methods {
            let file = try schema(method)
            var expected = properties(file["$defs"]?["params"] ?? .null, in: file)
            expected.remove("workDoneToken")
            let value = try types.params.decode(samples[method])
            XCTAssertEqual(fields(value), expected, "\(method): params type \(types.params) vs schema params")
        }
    }

    func testResultTypesHaveTheSchemasProperties() throws {
        let results = try FileManager.default.contentsOfDirectory(atPath: Self.protocolFolder.appendingPathComponent("examples/results").path)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("initialize") && !$0.hasPrefix("shutdown") }
        XCTAssertGreaterThanOrEqual(results.count, 12)
        var checked = Set<String>()
        for name in results.sorted() {
            let example = try json(Self.protocolFolder.appendingPathComponent("examples/results/\(name)"))
            let method = try XCTUnwrap(example["method"]?.stringValue, name)
            let types = try XCTUnwrap(methods[method], "\(name): no types for \(method)")
            _ = try types.params.decode(withoutToken(example["params"]))
            let value = try types.result(XCTUnwrap(example["result"], name))
            let file = try schema(method)
            let expected = properties(file["$defs"]?["result"] ?? .null, in: file)
            XCTAssertEqual(fields(value), expected, "\(name): result type vs schema result")
            checked.insert(method)
        }
        XCTAssertEqual(checked, Set(methods.keys), "every method has an illustrative result")
    }

    /// The shared definitions of common.json against the types that carry them.
    func testCommonDefinitionsMatchTheirTypes() throws {
        let sweep = try PruneSweepResponse.self.decodeExample("pruneSweep.json", in: Self.protocolFolder)
        let texts = try PruneSweepResponse.self.decodeExample("pruneSweep.texts.json", in: Self.protocolFolder)
        let profile = try ProfileAttentionResponse.self.decodeExample("profileAttention.json", in: Self.protocolFolder)
        let profileTexts = try ProfileAttentionResponse.self.decodeExample("profileAttention.texts.json", in: Self.protocolFolder)
        let forward = try ForwardResponse.self.decodeExample("forward.json", in: Self.protocolFolder)
        let list = try RunsListResult.self.decodeExample("runs.list.json", in: Self.protocolFolder)
        let point = try XCTUnwrap(sweep.body.points?.first)
        let pairs: [(String, Any?)] = [
            ("SweepPoint", point), ("SweepLayer", point.layers?.first), ("EndToEnd", point.endToEnd),
            ("StatSweepPoint", texts.body.aggregate?.points.first),
            ("Stat", texts.body.aggregate?.points.first?.attentionKL), ("Recommendation", texts.body.recommendation?.first),
            ("ProfileLayer", profile.body.layers?.first), ("ProfileHead", profile.body.layers?.first?.heads.first),
            ("ProfileSummary", profile.body.summary), ("BlockFraction", profile.body.summary?.blocks.first),
            ("Coverage", profile.body.summary?.coverage), ("StatProfileHead", profileTexts.body.aggregate?.heads.first),
            ("StatBlockFraction", profileTexts.body.aggregate?.heads.first?.blocks.first),
            ("StatCoverage", profileTexts.body.aggregate?.heads.first?.coverage),
            ("TopToken", forward.body.top.first?.first), ("History", forward.fields.history), ("RunSummary", list.runs.first),
        ]
        for (name, value) in pairs {
            let value = try XCTUnwrap(value, "the examples have no \(name) to compare")
            XCTAssertEqual(fields(value), properties(common["$defs"]?[name] ?? .null, in: common), name)
        }
    }

    /// Every request a transcript sends as valid and expects a result for decodes into its
    /// method's params type (requests answered with an error are the refusals under test).
    func testEveryTranscriptRequestDecodes() throws {
        let folder = Self.protocolFolder.appendingPathComponent("examples")
        var decoded = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".json") {
            let transcript = try json(folder.appendingPathComponent(name))
            let steps = transcript["steps"]?.arrayValue ?? []
            let refused = Set(steps.compactMap { step -> JSONValue? in
                guard let expect = step["expect"], expect["error"] != nil else { return nil }
                return expect["id"]
            })
            for step in steps where step["invalid"] != true {
                guard let method = step["send"]?["method"]?.stringValue, let types = methods[method],
                      let id = step["send"]?["id"], !refused.contains(id) else { continue }
                let params = withoutToken(step["send"]?["params"].map { substituted($0) })
                XCTAssertNoThrow(try types.params.decode(params), "\(name): \(method) \(params ?? .null)")
                decoded += 1
            }
        }
        XCTAssertGreaterThan(decoded, 30)
    }
}

private extension Decodable {
    static func decodeExample(_ name: String, in folder: URL) throws -> Self {
        let example = try JSONParser.parse(Data(contentsOf: folder.appendingPathComponent("examples/results/\(name)")))
        return try XCTUnwrap(example["result"]).decode(Self.self)
    }
}
