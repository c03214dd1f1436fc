import Foundation
import XCTest

/// Issue 20 item 11's smaller fixes, each on the real binaries.
final class CLISmallFixesTests: XCTestCase {
    private let sentence = "The quick brown fox jumps over the lazy dog"

    func testRuleAndMetricNamesAreCaseInsensitiveAndNegativeNumbersReachTheRangeCheck() throws {
        let harness = try AttnHarness()
        let topk = try harness.json(["sweep", "--selection", "topk", "--thresholds", "1,2", "--block-sizes", "2", sentence])
        XCTAssertEqual((topk["points"] as? [[String: Any]])?.first?["selection"] as? String, "topK")
        let kl = try harness.json(["kl", "--metric", "prunedmass", "--block-size", "2", sentence])
        XCTAssertEqual(kl["metric"] as? String, "prunedMass")
        let negative = try harness.run(["sweep", "--block-sizes", "-4", sentence] + harness.modelArguments)
        XCTAssertEqual(negative.status, 1, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--block-sizes item 1: -4 is not an integer in [1, 4096]"), negative.stderr)
        XCTAssertFalse(negative.stderr.contains("Missing value"))
    }

    /// A unique prefix names a run (show, diff, rm, report); an unknown or ambiguous one is a
    /// usage error that says which.
    func testRunIDPrefixesAndTheModelColumnAndFilter() throws {
        let harness = try AttnHarness()
        let a = try XCTUnwrap(try harness.json(["sweep", "--block-sizes", "2", sentence])["runId"] as? String)
        let b = try XCTUnwrap(try harness.json(["sweep", "--block-sizes", "2", "--thresholds", "0.01", "a b c d e f"])["runId"] as? String)
        let shown = try harness.run(["runs", "show", String(a.prefix(8))] + harness.modelArguments)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains(a))
        let diff = try harness.run(["runs", "diff", String(a.prefix(6)), String(b.prefix(6))] + harness.modelArguments)
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssertTrue(diff.stderr.contains("warning: A and B analysed different inputs"), diff.stderr)
        XCTAssertTrue(diff.stdout.contains(" pp"), "Δ of fractions in percentage points: \(diff.stdout)")
        let unknown = try harness.run(["runs", "show", "ffffffff"] + harness.modelArguments)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no run id starts with ffffffff"), unknown.stderr)
        let ambiguous = try harness.run(["runs", "show", ""] + harness.modelArguments)
        XCTAssertEqual(ambiguous.status, 2, ambiguous.stderr)

        let list = try harness.run(["runs", "list"] + harness.modelArguments)
        XCTAssertTrue(list.stdout.contains("model") && list.stdout.contains("tiny-peaked"), list.stdout)
        let none = try harness.run(["runs", "list", "--with-model", "gpt2", "--json"] + harness.modelArguments)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["runs"] as? [Any])?.count, 0, "no run of another model")
        let mine = try harness.run(["runs", "list", "--with-model", "tiny-peaked", "--json"] + harness.modelArguments)
        let listed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(mine.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((listed["runs"] as? [Any])?.count, 2)

        let removed = try harness.run(["runs", "rm", String(b.prefix(8))] + harness.modelArguments)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(removed.stdout, "deleted \(b)\n", "the full id of what the prefix named")
    }

    func testVersionsAndFlagsThatWouldDoNothing() throws {
        let harness = try AttnHarness()
        let attn = try harness.run(["--version"])
        XCTAssertEqual(attn.status, 0)
        XCTAssertTrue(attn.stdout.hasPrefix("attn "), attn.stdout)
        let attnd = try harness.run(["--version"], executable: harness.attnd)
        XCTAssertEqual(attnd.status, 0)
        XCTAssertTrue(attnd.stdout.hasPrefix("attnd ") && attnd.stdout.contains("protocol 1.0"), attnd.stdout)
        for arguments in [["profile", "--overwrite", sentence], ["profile", "--mask-threshold", "0.1", sentence],
                          ["forward", "--include-logits", sentence], ["tokenize", "--truncate", sentence], ["report", "--json"]] {
            let outcome = try harness.run(arguments + harness.modelArguments)
            XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
        }
    }

    /// Small probabilities keep two significant digits instead of showing 0.0%; the NLL has 3
    /// decimals in the forward table and the runs list alike.
    func testSmallProbabilitiesAndOneNLLFormat() throws {
        let harness = try AttnHarness()
        let result = try harness.json(["forward", "--top-k", "20", sentence])
        let nll = try XCTUnwrap(result["nll"] as? Double)
        let outcome = try harness.run(["forward", "--top-k", "20", sentence] + harness.modelArguments)
        XCTAssertFalse(outcome.stdout.contains(" 0.0%"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("mean next-token NLL \(String(format: "%.3f", nll)) nats"), outcome.stdout)
        let list = try harness.run(["runs", "list"] + harness.modelArguments)
        XCTAssertTrue(list.stdout.contains("nll=\(String(format: "%.3f", nll))"), list.stdout)
    }
}
