import Foundation
import XCTest

/// Each analysis subcommand against the real daemon (spawned, tiny-peaked model).
/// These need the daemon's model methods (`tokenize`, `forward`, `pruneSweep`,
/// `profileAttention`, `perPositionKL`, `runs/*`).
final class CLIAnalysisTests: XCTestCase {
    private let text = "The quick brown fox jumps over the lazy dog"

    func testTokenizeReadsStdinAndPrintsJSON() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["tokenize"], stdin: text + "\n")
        let tokens = try XCTUnwrap(result["tokens"] as? [Int])
        let pieces = try XCTUnwrap(result["pieces"] as? [String])
        let offsets = try XCTUnwrap(result["offsets"] as? [[Int]])
        XCTAssertFalse(tokens.isEmpty)
        XCTAssertEqual(pieces.count, tokens.count)
        XCTAssertEqual(offsets.count, tokens.count)
        XCTAssertEqual(pieces.joined(), text + "\n", "stdin is read byte for byte, its final newline kept; pieces tile the text")
        XCTAssertEqual(offsets.last?.last, text.utf8.count + 1)
    }

    func testTokenizeTableListsEveryToken() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["tokenize", "The fox"] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let json = try harness.json(["tokenize", "The fox"])
        let count = try XCTUnwrap(json["tokens"] as? [Int]).count
        XCTAssertTrue(outcome.stdout.hasPrefix("\(count) tokens\n"), outcome.stdout)
        XCTAssertEqual(outcome.stdout.split(separator: "\n").count, count + 3, "count line, header, rule, one row per token")
    }

    func testForwardJSONHasTopKPerPositionAndNLL() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["forward", "--top-k", "3", text])
        let top = try XCTUnwrap(result["top"] as? [[[String: Any]]])
        XCTAssertEqual(top.count, result["numTokens"] as? Int)
        for candidates in top {
            let logprobs = candidates.compactMap { $0["logprob"] as? Double }
            XCTAssertEqual(logprobs.count, 3)
            XCTAssertEqual(logprobs, logprobs.sorted(by: >))
        }
        let nll = try XCTUnwrap(result["nll"] as? Double)
        let perplexity = try XCTUnwrap(result["perplexity"] as? Double)
        XCTAssertEqual(perplexity, exp(nll), accuracy: 1e-6 * perplexity)
    }

    func testForwardTableShowsPerplexity() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["forward", "--top-k", "2", text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("mean next-token NLL"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("top 2"), outcome.stdout)
    }

    func testSweepJSONPointsAreBlockSizeMajor() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["sweep", "--thresholds", "0.1,0.05", "--block-sizes", "2,4", text])
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["blockSize"] as? Int }, [2, 2, 4, 4])
        XCTAssertEqual(points.map { $0["threshold"] as? Double }, [0.1, 0.05, 0.1, 0.05])
        for point in points {
            let fraction = try XCTUnwrap(point["prunedBlockFraction"] as? Double)
            XCTAssertTrue((0...1).contains(fraction))
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(point["attentionKL"] as? Double), 0)
        }
    }

    func testSweepTableIsBlockSizesByThresholdsWithTheJSONNumbers() throws {
        let harness = try AttnHarness()
        let arguments = ["sweep", "--thresholds", "0.1,0.05", "--block-sizes", "2,4", "--no-history", text]
        let result = try harness.json(arguments)
        let outcome = try harness.run(arguments + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("block size") })
        XCTAssertTrue(header.contains("τ=0.1") && header.contains("τ=0.05"), header)
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        let first = points[0]
        let kl = String(format: "%.4g", try XCTUnwrap(first["attentionKL"] as? Double))
        let pruned = String(format: "%.1f%%", 100 * (try XCTUnwrap(first["prunedBlockFraction"] as? Double)))
        let rowTwo = try XCTUnwrap(lines.first { $0.hasPrefix("2 ") })
        XCTAssertTrue(rowTwo.contains("\(kl) (\(pruned))") || (kl == "0" && rowTwo.contains("0 (\(pruned))")), "\(rowTwo) lacks \(kl) (\(pruned))")
        XCTAssertTrue(outcome.stdout.contains("notebook's seed columns"), outcome.stdout)
        XCTAssertFalse(outcome.stdout.contains("end to end"), "no end-to-end table without --end-to-end")
    }

    func testSweepEndToEndAddsOutputKLRows() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["sweep", "--thresholds", "0.1", "--block-sizes", "4", "--end-to-end", text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("outputKL nats"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("top-1 agree"), outcome.stdout)
    }

    func testDaemonErrorExitsOneWithOneLine() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["sweep", "--thresholds", "0.01,0.005,1.5", text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.stderrLines.count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.hasPrefix("attn: error -32602: --thresholds item 3: 1.5 is not "), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("(0, 1]"), outcome.stderr)
        XCTAssertEqual(outcome.stdout, "")
    }

    func testProfileTableAndBlockMask() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["profile", "--block-size", "4", "--thresholds", "0.1,0.2", "--show-mask", "1,2", text]
            + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("blocks<0.1"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("block mask, layer 1 head 2: B=4, τ=0.1"), outcome.stdout)
        let maskRows = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("q") && $0.contains("│") }
        let tokens = try XCTUnwrap(try harness.json(["tokenize", text])["tokens"] as? [Int]).count
        XCTAssertEqual(maskRows.count, (tokens + 3) / 4, "one row per query block")
    }

    func testProfileJSONHasEveryHead() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["profile", "--thresholds", "0.1", text])
        let layers = try XCTUnwrap(result["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 2)
        XCTAssertEqual(layers.map { ($0["heads"] as? [Any])?.count }, [4, 4])
    }

    func testKLHeatmapHasOneRowPerLayer() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["kl", "--block-size", "2", "--threshold", "0.1", text])
        let layers = try XCTUnwrap(result["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 2)
        XCTAssertEqual((layers[0]["values"] as? [Double])?.count, result["numTokens"] as? Int)
        let outcome = try harness.run(["kl", "--block-size", "2", "--threshold", "0.1", "--segment-size", "4", text] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let rows = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("L0 │") || $0.hasPrefix("L1 │") }
        XCTAssertEqual(rows.count, 2, outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("segment means"), outcome.stdout)
    }

    func testSocketDaemonIsUsedWhenItAnswers() throws {
        let harness = try AttnHarness()
        let (daemon, socket) = try harness.listeningDaemon()
        defer {
            daemon.interrupt()
            daemon.waitUntilExit()
        }
        let outcome = try harness.run(["model", "info", "--socket", socket, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["nLayer"] as? Int, 2)
        XCTAssertEqual(info["nHead"] as? Int, 4)
        // The default socket path is used when a daemon listens there.
        harness.environment["XDG_RUNTIME_DIR"] = harness.folder.path
        let defaultSocket = harness.folder.appendingPathComponent("selectattention/attnd.sock").path
        try FileManager.default.createDirectory(atPath: harness.folder.appendingPathComponent("selectattention").path,
                                                withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: defaultSocket, withDestinationPath: socket)
        let viaDefault = try harness.run(["tokenize", "--attnd", "/nonexistent/attnd", "--json", "The fox"])
        XCTAssertEqual(viaDefault.status, 0, "reached the listening daemon without spawning: \(viaDefault.stderr)")
    }
}

extension CLIAnalysisTests {
    /// `attn model load` swaps the shared daemon's model; `model info` (table and JSON) shows it.
    func testModelLoadSwapsTheSharedDaemonsModel() throws {
        let harness = try AttnHarness()
        let (daemon, socket) = try harness.listeningDaemon()
        defer {
            daemon.interrupt()
            daemon.waitUntilExit()
        }
        let legacy = AttnHarness.repository.appendingPathComponent("Tests/Fixtures/models/tiny-legacy").path
        let load = try harness.run(["model", "load", legacy, "--socket", socket])
        XCTAssertEqual(load.status, 0, load.stderr)
        XCTAssertTrue(load.stdout.contains("tiny-legacy"), load.stdout)
        let info = try harness.run(["model", "info", "--socket", socket, "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["nLayer"] as? Int, 3)
        let missing = try harness.run(["model", "load", "/nonexistent/model", "--socket", socket])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("-32003"), missing.stderr)
    }
}
