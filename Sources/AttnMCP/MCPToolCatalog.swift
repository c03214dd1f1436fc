import Foundation
import JSONRPC

/// One daemon method offered as an MCP tool.
struct MCPTool: Sendable {
    /// The MCP tool name: the method name with `/` written `_` (`model/load` → `model_load`),
    /// since tool names are limited to `[A-Za-z0-9._-]` and many agent hosts refuse `/` and `.`.
    let name: String
    /// The daemon method it calls.
    let method: String
    /// The Protocol/schema file that defines the method's params and result.
    let schemaFile: String
    let title: String
    let readOnly: Bool
    let destructive: Bool
    /// True when the tool may reach beyond this machine (a model download).
    let openWorld: Bool
}

/// Every tool of `attnd --mcp`, and their MCP `Tool` objects derived from Protocol/schema.
///
/// The schemas come from `ProtocolSchemas` (the Protocol/schema files embedded verbatim by
/// scripts/generate-mcp-schemas). Derivation, per tool:
/// - `inputSchema` is the file's `$defs/params` without `workDoneToken` (MCP callers give
///   `_meta.progressToken` instead), with top-level `oneOf`/`anyOf` moved into the tool's
///   description as a sentence (several agent hosts refuse combinators at the top of an input
///   schema; the daemon still enforces them and names the field when they are broken).
/// - `outputSchema` is the file's `$defs/result` as is.
/// - Both are self-contained: every `common.json#/$defs/X` they use (transitively) is copied
///   into their own `$defs` and referenced as `#/$defs/X`.
///
/// Threading: immutable after `init`; safe from any thread.
struct MCPToolCatalog: Sendable {
    static let tools: [MCPTool] = [
        MCPTool(name: "tokenize", method: "tokenize", schemaFile: "tokenize.json", title: "Tokenize text",
                readOnly: true, destructive: false, openWorld: false),
        MCPTool(name: "forward", method: "forward", schemaFile: "forward.json", title: "Forward pass (next-token predictions)",
                readOnly: false, destructive: false, openWorld: false),
        MCPTool(name: "profileAttention", method: "profileAttention", schemaFile: "profileAttention.json",
                title: "Profile attention per layer and head", readOnly: false, destructive: false, openWorld: false),
        MCPTool(name: "pruneSweep", method: "pruneSweep", schemaFile: "pruneSweep.json",
                title: "Sweep block-pruning thresholds", readOnly: false, destructive: false, openWorld: false),
        MCPTool(name: "perPositionKL", method: "perPositionKL", schemaFile: "perPositionKL.json",
                title: "Per-position divergence under pruning", readOnly: false, destructive: false, openWorld: false),
        MCPTool(name: "evaluateCorpus", method: "evaluateCorpus", schemaFile: "evaluateCorpus.json",
                title: "Sliding-window perplexity of a corpus, dense and pruned", readOnly: false, destructive: false,
                openWorld: false),
        MCPTool(name: "calibrate", method: "calibrate", schemaFile: "calibrate.json",
                title: "Per-head pruning settings calibrated to an accuracy budget", readOnly: false, destructive: false,
                openWorld: false),
        MCPTool(name: "model_load", method: "model/load", schemaFile: "model.load.json", title: "Load a GPT-2 model",
                readOnly: false, destructive: false, openWorld: true),
        MCPTool(name: "model_info", method: "model/info", schemaFile: "model.info.json", title: "The loaded model",
                readOnly: true, destructive: false, openWorld: false),
        MCPTool(name: "runs_list", method: "runs/list", schemaFile: "runs.list.json", title: "List stored runs",
                readOnly: true, destructive: false, openWorld: false),
        MCPTool(name: "runs_get", method: "runs/get", schemaFile: "runs.get.json", title: "One stored run, in full",
                readOnly: true, destructive: false, openWorld: false),
        MCPTool(name: "runs_report", method: "runs/report", schemaFile: "runs.report.json", title: "Render runs as HTML or SVG",
                readOnly: true, destructive: false, openWorld: false),
        MCPTool(name: "runs_delete", method: "runs/delete", schemaFile: "runs.delete.json", title: "Delete stored runs",
                readOnly: false, destructive: true, openWorld: false),
        MCPTool(name: "runs_prune", method: "runs/prune", schemaFile: "runs.prune.json", title: "Delete old stored runs",
                readOnly: false, destructive: true, openWorld: false),
    ]

    enum DerivationError: Error, CustomStringConvertible {
        case missing(file: String, path: String)

        var description: String {
            switch self {
            case .missing(let file, let path): return "Protocol/schema/\(file) has no \(path) (rerun scripts/generate-mcp-schemas?)"
            }
        }
    }

    /// Tool name → tool.
    let byName: [String: MCPTool]
    /// The `tools/list` entries, in `tools` order.
    let listing: [JSONValue]

    init(files: [String: String] = ProtocolSchemas.files) throws {
        var parsed: [String: JSONValue] = [:]
        for (name, text) in files { parsed[name] = try JSONParser.parse(text) }
        guard let common = parsed["common.json"]?["$defs"]?.objectValue else {
            throw DerivationError.missing(file: "common.json", path: "$defs")
        }
        byName = Dictionary(uniqueKeysWithValues: MCPToolCatalog.tools.map { ($0.name, $0) })
        listing = try MCPToolCatalog.tools.map { tool in
            guard let file = parsed[tool.schemaFile] else { throw DerivationError.missing(file: tool.schemaFile, path: "the file") }
            return try MCPToolCatalog.toolObject(tool, file: file, common: common)
        }
    }

    static func toolObject(_ tool: MCPTool, file: JSONValue, common: [String: JSONValue]) throws -> JSONValue {
        guard let params = file["$defs"]?["params"] else { throw DerivationError.missing(file: tool.schemaFile, path: "$defs/params") }
        guard let result = file["$defs"]?["result"] else { throw DerivationError.missing(file: tool.schemaFile, path: "$defs/result") }
        // A method file's own definitions (`#/$defs/X` beside params and result) resolve like common ones.
        var local = file["$defs"]?.objectValue ?? [:]
        local["params"] = nil
        local["result"] = nil
        let common = common.merging(local) { $1 }
        var (input, rule) = inputSchema(from: try resolveRoot(params, common: common, file: tool.schemaFile))
        input = selfContained(input, common: common)
        var output = try resolveRoot(result, common: common, file: tool.schemaFile)
        if output["type"] == nil { output["type"] = "object" }  // MCP requires an object at the top
        output = selfContained(output, common: common)

        var description = file["description"]?.stringValue ?? tool.title
        if let rule { description += " " + rule }
        description += " (daemon method `\(tool.method)`; Protocol/README.md §10.)"
        return [
            "name": .string(tool.name),
            "title": .string(tool.title),
            "description": .string(description),
            "inputSchema": .object(input),
            "outputSchema": .object(output),
            "annotations": [
                "title": .string(tool.title),
                "readOnlyHint": .bool(tool.readOnly),
                "destructiveHint": .bool(tool.destructive),
                "idempotentHint": .bool(tool.readOnly),
                "openWorldHint": .bool(tool.openWorld),
            ],
        ]
    }

    /// A definition that is only `{"$ref": "common.json#/$defs/X", …}` becomes X with the
    /// other members laid over it.
    private static func resolveRoot(_ schema: JSONValue, common: [String: JSONValue], file: String) throws -> [String: JSONValue] {
        guard var members = schema.objectValue else { throw DerivationError.missing(file: file, path: "an object schema") }
        if let ref = members.removeValue(forKey: "$ref")?.stringValue {
            let name = ref.replacingOccurrences(of: "common.json#/$defs/", with: "")
            guard let target = common[name]?.objectValue else { throw DerivationError.missing(file: "common.json", path: "$defs/\(name)") }
            members = target.merging(members) { $1 }
        }
        return members
    }

    /// Drops `workDoneToken` and turns a top-level `oneOf`/`anyOf` of `required` lists into a sentence.
    static func inputSchema(from params: [String: JSONValue]) -> ([String: JSONValue], String?) {
        var schema = params
        if var properties = schema["properties"]?.objectValue {
            properties["workDoneToken"] = nil
            schema["properties"] = .object(properties)
        }
        if schema["type"] == nil { schema["type"] = "object" }
        var sentences: [String] = []
        for (keyword, phrase) in [("oneOf", "exactly one of"), ("anyOf", "at least one of"), ("allOf", "all of")] {
            guard let branches = schema.removeValue(forKey: keyword)?.arrayValue else { continue }
            let groups = branches.map { branch -> String in
                let names = branch["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return names.isEmpty ? JSONWriter.string(branch) : names.map { "`\($0)`" }.joined(separator: " + ")
            }
            sentences.append("Give \(phrase) \(groups.joined(separator: ", ")).")
        }
        return (schema, sentences.isEmpty ? nil : sentences.joined(separator: " "))
    }

    /// Copies every common definition `schema` uses into its `$defs` and points the refs there.
    static func selfContained(_ schema: [String: JSONValue], common: [String: JSONValue]) -> [String: JSONValue] {
        var needed: [String] = []
        var seen: Set<String> = []
        func rewrite(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members):
                var out: [String: JSONValue] = [:]
                for (key, member) in members {
                    if key == "$ref", let ref = member.stringValue, let name = definitionName(ref) {
                        if seen.insert(name).inserted { needed.append(name) }
                        out[key] = .string("#/$defs/\(name)")
                    } else {
                        out[key] = rewrite(member)
                    }
                }
                return .object(out)
            case .array(let elements):
                return .array(elements.map(rewrite))
            default:
                return value
            }
        }
        var result = rewrite(.object(schema)).objectValue ?? [:]
        var defs: [String: JSONValue] = [:]
        var index = 0
        while index < needed.count {
            let name = needed[index]
            index += 1
            if let definition = common[name] { defs[name] = rewrite(definition) }
        }
        if !defs.isEmpty { result["$defs"] = .object(defs) }
        return result
    }

    /// `X` of `common.json#/$defs/X` or `#/$defs/X` (a ref inside common.json), else nil.
    private static func definitionName(_ ref: String) -> String? {
        for prefix in ["common.json#/$defs/", "#/$defs/"] where ref.hasPrefix(prefix) {
            return String(ref.dropFirst(prefix.count))
        }
        return nil
    }
}
