import Foundation
import AttnProtocol
import JSONRPC
import XCTest
@testable import attn

/// The client-side pieces of `attn`, on hand-worked inputs.
final class RendererTests: XCTestCase {
    /// The daemon's mask (T = 4, B = 2): q0, q1 see block 0 and keep it; q2, q3 prune block 0
    /// and keep block 1. Tiles: query block 0 keeps key block 0 in every row (█), key block 1
    /// is invisible (blank); query block 1 prunes block 0 (·) and keeps block 1 (█). Pruned:
    /// 2 of 6 visible pairs.
    func testBlockMaskDrawsTheDaemonsDecisionAsTiles() throws {
        let mask = BlockMask(threshold: 0.3, kept: [[["1", "1", "01", "01"]]])
        let result = ProfileAttentionResult(blockMasks: [mask])
        let text = try XCTUnwrap(ProfileRenderer.mask(result, layer: 0, head: 0, blockSize: 2, threshold: 0.3,
                                                      terminal: Terminal(colour: false, width: 200)))
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "q0 │█ │")
        XCTAssertEqual(lines[2], "q2 │·█│")
        XCTAssertTrue(text.contains("pruned here: 33.3% of visible (query, block) pairs"), text)
        XCTAssertNil(ProfileRenderer.mask(result, layer: 0, head: 0, blockSize: 2, threshold: 0.5, terminal: Terminal(colour: false, width: 80)),
                     "no mask for a threshold the daemon did not decide")
    }

    /// The roles grid: layers down, heads across, a role's letter with `*` after a streaming
    /// head; then one row of scores per head, and the role columns of the CSV.
    func testRolesGridAndTable() throws {
        func head(_ h: Int, _ role: String, streaming: Bool) -> String {
            #"{"head": \#(h), "entrySparsity": 0.5, "entrySparsitySeed": 0.6, "entropy": 1, "sinkMass": 0.25, "localMass": 0.5, "blocks": [], "coverage": {"p90": 1, "p95": 1, "p99": 1}, "sinkScore": 0.25, "localScore": 0.5, "previousTokenScore": 0.125, "duplicateTokenScore": 0, "inductionScore": 0.75, "streamingMass": 0.9375, "streamingHead": \#(streaming), "role": "\#(role)"}"#
        }
        let json = #"{"layers": [{"layer": 0, "heads": [\#(head(0, "induction", streaming: true)), \#(head(1, "diffuse", streaming: false))]}, {"layer": 1, "heads": [\#(head(0, "previousToken", streaming: false)), \#(head(1, "sink", streaming: true))]}]}"#
        let result = try JSONDecoder().decode(ProfileAttentionResult.self, from: Data(json.utf8))
        let text = RolesRenderer.render(result, terminal: Terminal(colour: false, width: 100))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[1], "       0  1")
        XCTAssertEqual(lines[2], "L0    I*  ·")
        XCTAssertEqual(lines[3], "L1     P S*")
        XCTAssertTrue(text.contains("0     0  induction      0.250  0.500  0.125  0.000   0.750   0.938        yes"), text)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 100 }, text)
        XCTAssertEqual(RolesRenderer.rows(result).map(\.role), [.induction, .diffuse, .previousToken, .sink])
    }

    func testHeatmapLevelsKeepNonZeroValuesVisible() {
        XCTAssertEqual(Heatmap.level(0, maximum: 1), 0)
        XCTAssertEqual(Heatmap.level(0.001, maximum: 1), 1)
        XCTAssertEqual(Heatmap.level(0.5, maximum: 1), 2)
        XCTAssertEqual(Heatmap.level(0.51, maximum: 1), 3)
        XCTAssertEqual(Heatmap.level(1, maximum: 1), 4)
        XCTAssertEqual(Heatmap.level(3, maximum: 1), 4)
        let map = Heatmap(rowLabels: ["L0"], rows: [[0, 0.25, 1, nil]], maximum: 1, blankGlyph: "x")
        XCTAssertEqual(map.render(terminal: Terminal(colour: false, width: 80)), ["L0 │ ░█x│"])
    }

    func testHeatmapAveragesColumnsWhenTooWide() {
        let map = Heatmap(rowLabels: ["L0"], rows: [[1, 0, 0, 0, 1, 1]], maximum: 1, maxColumns: 3)
        XCTAssertEqual(map.groupSize, 2)
        // groups (1,0) → 0.5 → level 2, (0,0) → 0, (1,1) → 1 → level 4
        XCTAssertEqual(map.render(terminal: Terminal(colour: false, width: 80)), ["L0 │▒ █│"])
    }

    func testErrorLineUsesTheFieldValueAndAcceptedRange() {
        let error = RPCError.invalidParams(field: "thresholds[2]", value: 1.5, accepted: "a number in (0, 1]")
        XCTAssertEqual(ErrorLine.format(error), "error -32602: --thresholds item 3: 1.5 is not a number in (0, 1]")
        let plain = RPCError(.noModelLoaded, "no model is loaded; load one with model/load")
        XCTAssertEqual(ErrorLine.format(plain), "error -32001: no model is loaded; load one with model/load")
    }

    /// swift-argument-parser's spelling of the property names, and the special cases.
    func testWireNamesBecomeFlags() {
        XCTAssertEqual(CLINames.flag("maxOutputKL"), "--max-output-kl")
        XCTAssertEqual(CLINames.flag("maxAttentionKL"), "--max-attention-kl")
        XCTAssertEqual(CLINames.flag("includeAttention"), "--include-attention")
        XCTAssertEqual(CLINames.flag("topK"), "--top-k")
        XCTAssertEqual(CLINames.flag("exportPath"), "--export")
        XCTAssertEqual(CLINames.field("blockSizes[0]"), "--block-sizes item 1")
        XCTAssertEqual(CLINames.sentence("only with endToEnd: true; use exportPath"), "only with --end-to-end; use --export")
    }

    func testTextTableAlignsColumns() {
        var table = TextTable(headers: ["name", "n"])
        table.append(["a", "10"])
        table.append(["long", "2"])
        XCTAssertEqual(table.render(), "name   n\n────  ──\na     10\nlong   2")
    }

    /// Cells right-aligned under right-aligned headers; a missing point is "—".
    func testSweepGridPutsBlockSizesInRowsAndThresholdsInColumns() {
        func point(_ blockSize: Int, _ threshold: Double, kl: Double, pruned: Double) -> SweepPoint {
            SweepPoint(selection: .threshold, blockSize: blockSize, threshold: threshold, prunedBlockFraction: pruned,
                       seedPrunedFraction: 0, prunedMass: 0, attentionKL: kl, seedKL: 0, fullyPrunedRows: 0)
        }
        let points = [point(16, 0.01, kl: 0.02, pruned: 0.5), point(16, 0.005, kl: 0.01, pruned: 0.25), point(32, 0.01, kl: 0.04, pruned: 0.125)]
        let grid = SweepRenderer.grid(points, ruleName: "τ") { point in
            "\(Format.nats(point.attentionKL)) (\(Format.percent(point.prunedBlockFraction)))"
        }
        XCTAssertEqual(grid.split(separator: "\n").map(String.init), [
            "block size        τ=0.01       τ=0.005",
            "──────────  ────────────  ────────────",
            "16          0.02 (50.0%)  0.01 (25.0%)",
            "32          0.04 (12.5%)             —",
        ])
    }

    /// "a" (0x61), "é" (0xC3 0xA9), then 0xFF at offset 3; a truncated "é" (0xC3) at the end is
    /// invalid at its own offset; the overlong 0xC0 0xAF is invalid at 0.
    func testFirstInvalidUTF8ByteOffset() throws {
        XCTAssertNil(Input.firstInvalidUTF8(Data("aé😀\n".utf8)))
        XCTAssertEqual(Input.firstInvalidUTF8(Data([0x61, 0xC3, 0xA9, 0xFF, 0x62])), 3)
        XCTAssertEqual(Input.firstInvalidUTF8(Data([0x61, 0x62, 0xC3])), 2)
        XCTAssertEqual(Input.firstInvalidUTF8(Data([0xC0, 0xAF])), 0)
        XCTAssertEqual(try Input.decode(Data([0x63, 0x61, 0x66, 0xE9, 0x0A]), encoding: .latin1, source: "x"), "café\n")
        XCTAssertEqual(try Input.decode(Data([0x61, 0xFF]), encoding: .utf8Replace, source: "x"), "a\u{FFFD}")
        XCTAssertEqual(try Input.decode(Data("a\r\n".utf8), encoding: .utf8, source: "x"), "a\r\n", "every byte kept")
    }

    func testModelReferenceMakesFoldersAbsolute() {
        XCTAssertEqual(ModelReference("gpt2"), .name("gpt2"))
        XCTAssertEqual(ModelReference("/definitely/not/here"), .path("/definitely/not/here"), "spelled as a path: reported as a missing folder")
        XCTAssertEqual(ModelReference("openai-community/gpt2"), .name("openai-community/gpt2"))
        let folder = FileManager.default.temporaryDirectory.path
        XCTAssertEqual(ModelReference(folder), .path(URL(fileURLWithPath: folder).standardizedFileURL.path))
    }
}

extension RendererTests {
    /// The daemon's recommendation shape: a chosen point, or none with the reason.
    func testSweepRecommendationLines() throws {
        let point: JSONValue = ["selection": "threshold", "blockSize": 16, "threshold": 0.005, "prunedBlockFraction": 0.25,
                                "seedPrunedFraction": 0.5, "prunedMass": 0.001, "attentionKL": 0.001, "seedKL": 0.01,
                                "fullyPrunedRows": 0, "layers": []]
        let result: JSONValue = [
            "runId": "r", "numTokens": 10, "model": "m", "cached": false, "history": ["stored": false, "reason": "x"],
            "points": [point],
            "recommendation": [
                ["blockSize": 16, "metric": "attentionKL", "budget": 0.01,
                 "point": ["selection": "threshold", "threshold": 0.005, "prunedBlockFraction": 0.25, "value": 0.001]],
                ["blockSize": 32, "metric": "attentionKL", "budget": 0.01, "point": nil, "reason": "no point within budget"],
            ],
        ]
        let text = SweepRenderer.render(try result.decode(PruneSweepResponse.self), model: (2, 4), terminal: Terminal(colour: false, width: 100))
        XCTAssertTrue(text.contains("recommended for B=16: τ=0.005"), text)
        XCTAssertTrue(text.contains("25.0%") || text.contains("25%"), text)
        XCTAssertTrue(text.contains("recommended for B=32: none — no point within budget"), text)
    }
}

extension RendererTests {
    /// 3 columns of widths 4, 10, 10 plus two gaps of 2 = 28. Width 24: the elidable middle
    /// column (min 6) is cut to 6 (`abcde…`), total 24.
    func testTableCutsElidableColumnsFirst() {
        var table = TextTable(headers: ["name", "summary", "n"], leftAligned: [0, 1], elidable: [1: 6])
        table.append(["a", "abcdefghij", "1234567890"])
        XCTAssertEqual(table.render(width: 24).split(separator: "\n").map(String.init),
                       ["name  summa…           n", "────  ──────  ──────────", "a     abcde…  1234567890"])
        XCTAssertEqual(table.render(), table.render(width: 28), "a table that fits is unchanged")
    }

    /// Key column "L" (1) + four columns of width 5: one block needs 1 + 4·(2+5) = 29. Width 15
    /// holds the key and 2 columns (1 + 14): two blocks, each repeating the key column.
    func testTableWrapsIntoBlocksRepeatingTheKeyColumns() {
        var table = TextTable(headers: ["L", "aaaaa", "bbbbb", "ccccc", "ddddd"])
        table.append(["0", "1", "2", "3", "4"])
        let blocks = table.render(width: 15).components(separatedBy: "\n\n")
        XCTAssertEqual(blocks, ["L  aaaaa  bbbbb\n─  ─────  ─────\n0      1      2", "L  ccccc  ddddd\n─  ─────  ─────\n0      3      4"])
    }

    func testProseWrapsAtSpacesAndCSVQuotes() {
        XCTAssertEqual(Prose.wrap("one two three four", width: 9), "one two\n  three\n  four")
        XCTAssertEqual(CSV.render(["a", "b"], [["x,y", "say \"hi\""], ["1", "2"]]), "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n1,2")
    }
}

