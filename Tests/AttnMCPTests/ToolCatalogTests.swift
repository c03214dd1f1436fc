@testable import AttnMCP
import Foundation
import JSONRPC
import XCTest

/// The tools' schemas: derived from Protocol/schema, kept in sync with it, self-contained.
final class ToolCatalogTests: XCTestCase {
    static let schemaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/schema")

    /// The embedded copies equal Protocol/schema: edit a schema, run scripts/generate-mcp-schemas.
    func testEmbeddedSchemasEqualProtocolSchemaFiles() throws {
        for (name, embedded) in ProtocolSchemas.files {
            let url = ToolCatalogTests.schemaFolder.appendingPathComponent(name)
            let original = try String(contentsOf: url, encoding: .utf8)
            XCTAssertTrue(embedded.trimmingCharacters(in: .newlines) == original.trimmingCharacters(in: .newlines),
                           "Sources/AttnMCP/ProtocolSchemas.swift is out of date for \(name): run scripts/generate-mcp-schemas")
        }
    }

    /// Every request method of the protocol but the lifecycle ones is a tool, and every tool's
    /// schema file is embedded.
    func testEveryRequestMethodIsATool() throws {
        var requestFiles: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: ToolCatalogTests.schemaFolder.path) where name.hasSuffix(".json") {
            let json = try JSONParser.parse(Data(contentsOf: ToolCatalogTests.schemaFolder.appendingPathComponent(name)))
            if json["x-kind"]?.stringValue == "request", !["initialize.json", "shutdown.json"].contains(name) {
                requestFiles.insert(name)
            }
        }
        XCTAssertEqual(Set(MCPToolCatalog.tools.map(\.schemaFile)), requestFiles)
        for tool in MCPToolCatalog.tools {
            XCTAssertNotNil(ProtocolSchemas.files[tool.schemaFile], "\(tool.schemaFile) not embedded")
            XCTAssertEqual(tool.schemaFile, tool.method.replacingOccurrences(of: "/", with: ".") + ".json")
            XCTAssertNotNil(tool.name.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression), tool.name)
        }
        XCTAssertNotNil(ProtocolSchemas.files["common.json"])
    }

    func testInputSchemaDropsWorkDoneTokenAndTopLevelCombinators() throws {
        let catalog = try MCPToolCatalog()
        let profile = try XCTUnwrap(catalog.listing.first { $0["name"] == "profileAttention" })
        let input = try XCTUnwrap(profile["inputSchema"])
        XCTAssertEqual(input["type"], "object")
        XCTAssertNil(input["properties"]?["workDoneToken"])
        XCTAssertNil(input["oneOf"])
        XCTAssertEqual(input["properties"]?["thresholds"]?["$ref"], "#/$defs/ThresholdList")
        XCTAssertEqual(input["properties"]?["blockSize"]?["default"], 4)
        XCTAssertEqual(input["additionalProperties"], false)
        let description = try XCTUnwrap(profile["description"]?.stringValue)
        XCTAssertTrue(description.contains("Give exactly one of `text`, `tokens`, `texts`."), description)
        // The result keeps its oneOf (validation only) and is an object at the top.
        XCTAssertEqual(profile["outputSchema"]?["type"], "object")
        XCTAssertNotNil(profile["outputSchema"]?["oneOf"])

        let prune = try XCTUnwrap(catalog.listing.first { $0["name"] == "runs_prune" })
        XCTAssertTrue(prune["description"]?.stringValue?.contains("Give at least one of `olderThan`, `keep`.") == true)
    }

    func testARootReferenceIsResolvedAndAResultWithoutTypeBecomesAnObject() throws {
        let catalog = try MCPToolCatalog()
        let info = try XCTUnwrap(catalog.listing.first { $0["name"] == "model_info" })
        XCTAssertEqual(info["outputSchema"]?["type"], "object")
        XCTAssertNotNil(info["outputSchema"]?["properties"]?["nLayer"])
        XCTAssertEqual(info["inputSchema"]?["properties"], .object([:]))
        let report = try XCTUnwrap(catalog.listing.first { $0["name"] == "runs_report" })
        XCTAssertEqual(report["outputSchema"]?["type"], "object")
    }

    /// Every `$ref` of every schema points into the schema's own `$defs` (no file references),
    /// and every definition copied there is used.
    func testSchemasAreSelfContained() throws {
        let catalog = try MCPToolCatalog()
        for tool in catalog.listing {
            for key in ["inputSchema", "outputSchema"] {
                let schema = try XCTUnwrap(tool[key])
                var refs: Set<String> = []
                collectRefs(schema, into: &refs)
                let defs = Set(schema["$defs"]?.objectValue?.keys.map { $0 } ?? [])
                for ref in refs {
                    XCTAssertTrue(ref.hasPrefix("#/$defs/"), "\(tool["name"]!) \(key): \(ref)")
                    XCTAssertTrue(defs.contains(String(ref.dropFirst("#/$defs/".count))), "\(tool["name"]!) \(key): \(ref) unresolved")
                }
                XCTAssertEqual(defs, Set(refs.map { String($0.dropFirst("#/$defs/".count)) }), "\(tool["name"]!) \(key)")
            }
        }
    }

    func testABrokenSchemaFileIsNamed() {
        var files = ProtocolSchemas.files
        files["runs.get.json"] = #"{"$defs": {"result": {"type": "object"}}}"#
        XCTAssertThrowsError(try MCPToolCatalog(files: files)) { error in
            XCTAssertTrue("\(error)".contains("runs.get.json has no $defs/params"), "\(error)")
        }
    }

    private func collectRefs(_ value: JSONValue, into refs: inout Set<String>) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                if key == "$ref", let ref = member.stringValue { refs.insert(ref) } else { collectRefs(member, into: &refs) }
            }
        case .array(let elements):
            for element in elements { collectRefs(element, into: &refs) }
        default:
            break
        }
    }
}
