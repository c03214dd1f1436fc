import AttnProtocol
import Foundation
import JSONRPC
import XCTest
@testable import attn

/// `attn calibrate` and the held-out check `attn sweep --per-head` (issue 14 item 5): options
/// become the protocol's params, `--split` makes texts, the per-head grids fit 100 columns, and
/// through the real binaries on tiny-peaked (Bq = B = 4) the stored calibration re-applied by
/// its run id prefix reproduces its own check.
final class CLICalibrateTests: XCTestCase {
    private let calibrationText = """
        The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again.

        In the beginning God created the heaven and the earth. And the earth was without form, and void.
        """
    private let heldOut = """
        And God said, Let there be light: and there was light. And God saw the light, that it was good.

        The lazy dog sleeps under the tree while the quick brown fox runs far away from the farm.

        And the evening and the morning were the first day, and the fox came back.
        """

    // MARK: options

    func testOptionsBecomeParams() throws {
        let command = try CalibrateCommand.parse(["--budget-output-kl", "0.01", "--query-block-size", "4", "--block-size", "4",
                                                  "--estimator", "meanPool", "--selection", "coverage", "--keep-sink",
                                                  "--dense-below-sparsity", "0.2", "--values", "0.9,0.99", "x"])
        let params = try command.ruleParams()
        XCTAssertEqual(params, ["maxOutputKL": 0.01, "queryBlockSize": 4, "blockSize": 4, "estimator": "meanPool",
                                "selection": "coverage", "keepSink": true, "denseBelowSparsity": 0.2, "values": [0.9, 0.99]])
        XCTAssertEqual(try CalibrateCommand.parse(["--min-recall", "0.9", "x"]).ruleParams(), ["minRecall": 0.9])
        XCTAssertEqual(try CalibrateCommand.parse(["--budget-attention-kl", "0.05", "x"]).ruleParams(), ["maxAttentionKL": 0.05])
        XCTAssertEqual(try CalibrateCommand.parse(["--max-output-kl", "0.02", "x"]).ruleParams(), ["maxOutputKL": 0.02],
                       "the protocol's name works too, so the daemon's error messages name a real flag")
    }

    func testBadOptionsAreRefusedBeforeAnyDaemon() {
        let refused: [([String], String)] = [
            (["x"], "give exactly one budget"),
            (["--budget-output-kl", "0.01", "--min-recall", "0.9", "x"], "give exactly one budget"),
            (["--min-recall", "0.9", "--split", "lines", "--tokens", "1,2"], "--split applies to text"),
            (["--min-recall", "0.9", "--values", "0.1,,0.2", "x"], "--values"),
            (["--min-recall", "0.9", "--stride", "2", "x"], "--stride applies to --estimator antidiagonal"),
            (["--min-recall", "0.9", "--json", "--csv", "x"], "give --json or --csv"),
        ]
        for (arguments, message) in refused {
            XCTAssertThrowsError(try CalibrateCommand.parse(arguments), arguments.joined(separator: " ")) { error in
                XCTAssertTrue(CalibrateCommand.message(for: error).contains(message), "\(arguments): \(CalibrateCommand.message(for: error))")
            }
        }
        for arguments in [["--thresholds", "0.1"], ["--block-sizes", "4"], ["--selection", "topK"], ["--estimator", "quest"],
                          ["--keep-sink"], ["--max-output-kl", "0.1"]] {
            XCTAssertThrowsError(try SweepCommand.parse(["--per-head", "abc"] + arguments + ["x"])) { error in
                XCTAssertTrue(SweepCommand.message(for: error).contains("cannot be combined with --per-head"), SweepCommand.message(for: error))
            }
        }
        XCTAssertThrowsError(try KLCommand.parse(["--per-head", "abc", "--threshold", "0.1", "x"])) { error in
            XCTAssertTrue(KLCommand.message(for: error).contains("--threshold cannot be combined with --per-head"), KLCommand.message(for: error))
        }
    }

    func testSplitIntoParagraphsOrLines() {
        let text = "first line\r\nsecond line\n\n  \t\nthird\n\n\nfourth\n"
        XCTAssertEqual(TextSplitOptions.split(text, by: .paragraphs), ["first line\nsecond line", "third", "fourth"])
        XCTAssertEqual(TextSplitOptions.split(text, by: .lines), ["first line", "second line", "third", "fourth"])
        XCTAssertEqual(TextSplitOptions.split("\n\n", by: .paragraphs), [])
        XCTAssertEqual(TextSplitOptions.split("one", by: .paragraphs), ["one"])
    }

    func testSplitSendsTextsAndRefusesMoreThanTheDaemonsLimit() throws {
        let harness = try AttnHarness()
        let path = harness.folder.appendingPathComponent("many.txt").path
        try (1...65).map { "text \($0)" }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let split = try TextSplitOptions.parse(["--split", "lines"])
        let input = try InputOptions.parse(["--file", path])
        XCTAssertThrowsError(try split.params(input)) { error in
            XCTAssertTrue("\(error)".contains("splits into 65 lines; the daemon takes at most 64 texts"), "\(error)")
        }
        try (1...3).map { "text \($0)" }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try split.params(input), ["texts": ["text 1", "text 2", "text 3"]])
        XCTAssertEqual(try TextSplitOptions.parse([]).params(input), ["text": "text 1\ntext 2\ntext 3"], "no --split: one text")
    }

    // MARK: rendering

    /// A GPT-2-small-shaped calibration (12 × 12) with six-character rule values fits 100
    /// columns unwrapped; dense heads read `dense` in both grids.
    func testTheGridsFit100ColumnsAndMarkDenseHeads() throws {
        var heads: [JSONValue] = []
        var values: [JSONValue] = []
        for l in 0..<12 {
            var row: [JSONValue] = []
            for h in 0..<12 {
                let dense = (l + h) % 5 == 0
                let value: JSONValue = dense ? .null : .double(h % 2 == 0 ? 0.0005 : 0.9995)
                row.append(value)
                heads.append(["layer": .int(Int64(l)), "head": .int(Int64(h)), "value": value, "dense": .bool(dense),
                              "denseReason": dense ? "tooLittleSparsity" : .null, "tileDensity": .double(dense ? 1 : 0.042 + 0.07 * Double(h)),
                              "computedFraction": 0.5, "recall": 0.99, "attentionKL": 0.01])
            }
            values.append(.array(row))
        }
        let result: JSONValue = [
            "budget": ["metric": "recall", "value": 0.99, "denseBelowSparsity": 0.1], "withinBudget": true, "reason": .null,
            "heads": .array(heads),
            "perHead": ["estimator": "quest", "selection": "coverage", "queryBlockSize": 16, "blockSize": 16, "stride": 8,
                        "lastQueries": 64, "sinkTokens": 4, "keepSink": false, "keepLocal": true, "values": .array(values)],
            "denseHeads": 29, "tileDensity": 0.4, "computedFraction": 0.45, "recall": 0.991,
            "check": ["outputKL": 0.0042, "top1Agreement": 0.97, "nllFull": 3.25, "nllPruned": 3.2612, "perplexityFull": 25.8,
                      "perplexityPruned": 26.1],
            "search": ["method": "perHead", "candidates": [0.9, 0.99], "allocationSteps": 0, "stepsTaken": 115, "prunedPasses": 1,
                       "probes": []],
            "runId": "1234abcd-0000-4000-8000-000000000000", "numTokens": 300, "model": "ab12", "cached": false,
            "history": ["stored": true],
        ]
        let response = try result.decode(CalibrateResponse.self)
        let text = CalibrateRenderer.render(response, terminal: Terminal(colour: false, width: 100))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines { XCTAssertLessThanOrEqual(line.count, 100, line) }
        XCTAssertEqual(lines.filter { $0.hasPrefix("L  ") && $0.hasSuffix("h11") }.count, 2, "two grids, neither wrapped:\n\(text)")
        let valueRow = try XCTUnwrap(lines.first { $0.hasPrefix("L0 ") }, text)
        XCTAssertEqual(valueRow.split(separator: " ").dropFirst().map(String.init),
                       ["dense", "0.9995", "0.0005", "0.9995", "0.0005", "dense", "0.0005", "0.9995", "0.0005", "0.9995", "dense", "0.9995"])
        let densityRow = try XCTUnwrap(lines.filter { $0.hasPrefix("L1 ") }.last, text)
        XCTAssertEqual(densityRow.split(separator: " ").dropFirst().prefix(5).map(String.init), ["4.2%", "11%", "18%", "25%", "dense"])
        XCTAssertTrue(text.contains("coverage rule, Bq=16 × B=16, estimator quest, keep local"), text)
        XCTAssertTrue(text.contains("computes 45.0% of dense causal attention"), text)
        let prose = text.replacingOccurrences(of: "\n  ", with: " ")   // sentences unwrapped
        XCTAssertTrue(prose.contains("29 of 144 heads dense (tooLittleSparsity 29)"), text)
        XCTAssertTrue(prose.contains("recall ≥ 99.0% per head") && prose.contains("— within budget"), text)
        XCTAssertTrue(text.contains("0.0042") && text.contains("97.0%") && text.contains("3.261") && text.contains("26.1"), text)
        XCTAssertTrue(text.contains("attn sweep --per-head 1234abcd --end-to-end"), text)
        let csv = CSV.calibration(response).components(separatedBy: "\r\n")
        XCTAssertEqual(csv.count, 145)
        XCTAssertEqual(csv[0], "layer,head,value,dense,denseReason,tileDensity,computedFraction,recall,attentionKL")
        XCTAssertEqual(csv[1], "0,0,,true,tooLittleSparsity,1.0,0.5,0.99,0.01")
        XCTAssertEqual(CalibrateRenderer.compactPercent(0.0004), "<0.1%")
        XCTAssertEqual(CalibrateRenderer.compactPercent(1), "100%")
    }

    // MARK: through the binaries

    /// Calibrate on two paragraphs, then: the table and check are printed; `sweep --per-head`
    /// with the run id's first 8 characters on the same paragraphs gives the check again (the
    /// aggregate's means); on three held-out paragraphs it prints 95% intervals; `kl --per-head`
    /// runs; `--csv` has one row per head.
    func testCalibrateThenTheHeldOutCheckThroughTheBinaries() throws {
        let harness = try AttnHarness()
        harness.environment["COLUMNS"] = "100"
        let calibration = harness.folder.appendingPathComponent("calib.txt").path
        let held = harness.folder.appendingPathComponent("heldout.txt").path
        try calibrationText.write(toFile: calibration, atomically: true, encoding: .utf8)
        try heldOut.write(toFile: held, atomically: true, encoding: .utf8)
        let tiles = ["--query-block-size", "4", "--block-size", "4", "--estimator", "meanPool"]

        let json = try harness.json(["calibrate", "--budget-output-kl", "0.02", "--file", calibration, "--split", "paragraphs"] + tiles)
        let runId = try XCTUnwrap(json["runId"] as? String)
        let check = try XCTUnwrap(json["check"] as? [String: Any])
        XCTAssertEqual((json["heads"] as? [Any])?.count, 8)
        XCTAssertLessThanOrEqual(try XCTUnwrap(check["outputKL"] as? Double), 0.02)

        let table = try harness.run(["calibrate", "--budget-output-kl", "0.02", "--file", calibration, "--split", "paragraphs"]
                                    + tiles + harness.modelArguments)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("run \(runId)") && table.stdout.contains("cached"), table.stdout)
        for part in ["rule value per head", "tileDensity per head", "L0", "L1", "h3", "overall: computes", "check:", "outputKL nats",
                     "search: globalAllocation", "--per-head \(runId.prefix(8))"] {
            XCTAssertTrue(table.stdout.contains(part), "\(part):\n\(table.stdout)")
        }
        for line in table.stdout.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 100, String(line)) }

        let again = try harness.json(["sweep", "--per-head", String(runId.prefix(8)), "--end-to-end", "--file", calibration,
                                      "--split", "paragraphs"])
        let aggregate = try XCTUnwrap(((again["aggregate"] as? [String: Any])?["points"] as? [[String: Any]])?.first)
        let endToEnd = try XCTUnwrap(aggregate["endToEnd"] as? [String: Any])
        XCTAssertEqual((endToEnd["outputKL"] as? [String: Any])?["mean"] as? Double, check["outputKL"] as? Double)
        XCTAssertEqual((endToEnd["nllPruned"] as? [String: Any])?["mean"] as? Double, check["nllPruned"] as? Double)

        let heldOutRun = try harness.run(["sweep", "--per-head", String(runId.prefix(8)), "--end-to-end", "--file", held,
                                          "--split", "paragraphs"] + harness.modelArguments)
        XCTAssertEqual(heldOutRun.status, 0, heldOutRun.stderr)
        let out = heldOutRun.stdout
        XCTAssertTrue(out.contains("per-head configuration of calibration \(runId.prefix(8))"), out)
        XCTAssertTrue(out.contains("on 3 texts: means over texts with 95% intervals"), out)
        let klRow = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix("outputKL nats") }, out)
        XCTAssertTrue(klRow.contains("[") && klRow.contains("]"), String(klRow))
        XCTAssertTrue(out.contains("computed fraction") && out.contains("range"), out)
        for line in out.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 100, String(line)) }

        let kl = try harness.run(["kl", "--per-head", runId, "--metric", "prunedMass", calibrationText] + harness.modelArguments)
        XCTAssertEqual(kl.status, 0, kl.stderr)
        XCTAssertTrue(kl.stdout.contains("prunedMass per position"), kl.stdout)

        let csv = try harness.run(["calibrate", "--budget-output-kl", "0.02", "--file", calibration, "--split", "paragraphs", "--csv"]
                                  + tiles + harness.modelArguments)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(csv.stdout.split(whereSeparator: \.isNewline).count, 9, csv.stdout)

        // The --json result as a file works as --per-head too (no history needed to name it).
        let saved = harness.folder.appendingPathComponent("calib.json").path
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: saved))
        let fromFile = try harness.json(["sweep", "--per-head", saved, "--end-to-end", "--file", calibration, "--split", "paragraphs"])
        XCTAssertEqual((((fromFile["aggregate"] as? [String: Any])?["points"] as? [[String: Any]])?.first?["endToEnd"] as? [String: Any])
            .flatMap { ($0["outputKL"] as? [String: Any])?["mean"] as? Double }, check["outputKL"] as? Double)

        // The history: runs list shows the digest, runs show the grids, report draws the heatmap.
        harness.environment["COLUMNS"] = "250"   // the summary column whole
        let list = try harness.run(["runs", "list"] + harness.modelArguments)
        harness.environment["COLUMNS"] = "100"
        XCTAssertTrue(list.stdout.contains("outputKL≤0.02 computed="), list.stdout)
        let show = try harness.run(["runs", "show", String(runId.prefix(8))] + harness.modelArguments)
        XCTAssertTrue(show.stdout.contains("rule value per head") && show.stdout.contains("tileDensity per head"), show.stdout)
        let figures = harness.folder.appendingPathComponent("figures").path
        let report = try harness.run(["report", runId, "--format", "svg", "-o", figures] + harness.modelArguments)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: figures), ["calibration-\(runId.prefix(8)).svg"])

        // A run of another method is refused by name.
        let notCalibration = try XCTUnwrap(again["runId"] as? String)
        let wrong = try harness.run(["sweep", "--per-head", notCalibration, "x"] + harness.modelArguments)
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("is a pruneSweep run; give a calibrate run"), wrong.stderr)
    }
}
