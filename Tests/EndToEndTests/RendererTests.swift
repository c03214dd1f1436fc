import AttnProtocol
import JSONRPC
import XCTest
@testable import attn

/// The client-side pieces of `attn`, on hand-worked inputs.
final class RendererTests: XCTestCase {
    /// T = 4, B = 2, τ = 0.3. Rows (keys 0…3):
    /// q0 [1]            → block 0 max 1 ≥ τ: kept; block 1 invisible.
    /// q1 [0.9, 0.1]     → block 0 kept; block 1 invisible (1·2 > 1).
    /// q2 [0.2, 0.1, 0.7] → block 0 max 0.2 < τ: pruned; block 1 max 0.7: kept.
    /// q3 [0.1, 0.1, 0.5, 0.3] → block 0 pruned, block 1 kept.
    func testBlockMaskFollowsTheThresholdRule() {
        let attention: [[Double]] = [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0.2, 0.1, 0.7, 0], [0.1, 0.1, 0.5, 0.3]]
        let rows = BlockMask.rows(attention: attention, blockSize: 2, threshold: 0.3)
        XCTAssertEqual(rows, [[true, nil], [true, nil], [false, true], [false, true]])
        XCTAssertEqual(BlockMask.prunedFraction(rows), 2.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(BlockMask.tiles(rows, blockSize: 2), [[1, nil], [0, 1]])
    }

    /// q2 = [0.3, 0.35, 0.35]: every visible block max < τ = 0.5 → the row stays dense.
    func testBlockMaskKeepsAFullyPrunedRowDense() {
        let attention: [[Double]] = [[1, 0, 0], [0.6, 0.4, 0], [0.3, 0.35, 0.35]]
        let rows = BlockMask.rows(attention: attention, blockSize: 1, threshold: 0.5)
        XCTAssertEqual(rows[2], [true, true, true])
        XCTAssertEqual(rows[1], [true, false, nil])
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
        XCTAssertEqual(ErrorLine.format(error), "error -32602: thresholds[2]: 1.5 is not a number in (0, 1]")
        let plain = RPCError(.noModelLoaded, "no model is loaded; load one with model/load")
        XCTAssertEqual(ErrorLine.format(plain), "error -32001: no model is loaded; load one with model/load")
    }

    func testTextTableAlignsColumns() {
        var table = TextTable(headers: ["name", "n"])
        table.append(["a", "10"])
        table.append(["long", "2"])
        XCTAssertEqual(table.render(), "name   n\n────  ──\na     10\nlong   2")
    }

    /// Cells right-aligned under right-aligned headers; a missing point is "—".
    func testSweepGridPutsBlockSizesInRowsAndThresholdsInColumns() {
        let points: [JSONValue] = [
            ["selection": "threshold", "blockSize": 16, "threshold": 0.01, "attentionKL": 0.02, "prunedBlockFraction": 0.5],
            ["selection": "threshold", "blockSize": 16, "threshold": 0.005, "attentionKL": 0.01, "prunedBlockFraction": 0.25],
            ["selection": "threshold", "blockSize": 32, "threshold": 0.01, "attentionKL": 0.04, "prunedBlockFraction": 0.125],
        ]
        let grid = SweepRenderer.grid(points, ruleName: "τ") { point in
            "\(Format.nats(point["attentionKL"]?.doubleValue)) (\(Format.percent(point["prunedBlockFraction"]?.doubleValue)))"
        }
        XCTAssertEqual(grid.split(separator: "\n").map(String.init), [
            "block size        τ=0.01       τ=0.005",
            "──────────  ────────────  ────────────",
            "16          0.02 (50.0%)  0.01 (25.0%)",
            "32          0.04 (12.5%)             —",
        ])
    }

    func testInputDropsOneFinalNewline() {
        XCTAssertEqual(Input.dropFinalNewline("a\n\n"), "a\n")
        XCTAssertEqual(Input.dropFinalNewline("a\r\n"), "a")
        XCTAssertEqual(Input.dropFinalNewline("a"), "a")
    }

    func testModelReferenceMakesFoldersAbsolute() {
        XCTAssertEqual(ModelReference("gpt2"), .name("gpt2"))
        XCTAssertEqual(ModelReference("/definitely/not/here"), .name("/definitely/not/here"))
        let folder = FileManager.default.temporaryDirectory.path
        XCTAssertEqual(ModelReference(folder), .path(URL(fileURLWithPath: folder).standardizedFileURL.path))
    }
}

extension RendererTests {
    /// The daemon's recommendation shape: a chosen point, or none with the reason.
    func testSweepRecommendationLines() {
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
        let text = SweepRenderer.render(result, terminal: Terminal(colour: false, width: 100))
        XCTAssertTrue(text.contains("recommended for B=16: τ=0.005"), text)
        XCTAssertTrue(text.contains("25.0%") || text.contains("25%"), text)
        XCTAssertTrue(text.contains("recommended for B=32: none — no point within budget"), text)
    }
}
