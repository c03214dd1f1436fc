import Foundation
import XCTest

/// Exit codes and messages that need no model: usage errors (2), unreachable daemons (3), help.
final class CLIUsageTests: XCTestCase {
    func testHelpDocumentsExitCodesAndTheDefaultSocket() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["--help"])
        XCTAssertEqual(outcome.status, 0)
        for expected in ["Exit codes", "130", "XDG_RUNTIME_DIR/selectattention/attnd.sock", "ATTND_SOCKET"] {
            XCTAssertTrue(outcome.stdout.contains(expected), "help lacks \(expected):\n\(outcome.stdout)")
        }
    }

    func testBadListValueIsAUsageError() throws {
        let outcome = try AttnHarness().run(["sweep", "--thresholds", "0.1,abc", "some text"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertTrue(outcome.stderr.hasPrefix("attn: --thresholds: \"abc\" is not a number"), outcome.stderr)
    }

    func testUnknownOptionIsAUsageError() throws {
        let outcome = try AttnHarness().run(["kl", "--no-such-option", "text"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("--no-such-option"), outcome.stderr)
    }

    func testTextAndTokensTogetherIsAUsageError() throws {
        let outcome = try AttnHarness().run(["forward", "--tokens", "1,2", "text"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("at most one of TEXT, --file and --tokens"), outcome.stderr)
    }

    func testUnreadableFileIsAUsageError() throws {
        let harness = try AttnHarness()
        let missing = harness.folder.appendingPathComponent("missing.txt").path
        let outcome = try harness.run(["forward", "--file", missing] + harness.modelArguments)
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(outcome.stderrLines, ["attn: cannot read --file \(missing): no such file"])
    }

    func testBadShowMaskIsAUsageError() throws {
        let outcome = try AttnHarness().run(["profile", "--show-mask", "1", "text"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
    }

    func testSocketThatDoesNotAnswerExitsThree() throws {
        let harness = try AttnHarness()
        let socket = harness.folder.appendingPathComponent("nobody.sock").path
        let outcome = try harness.run(["tokenize", "--socket", socket, "hello"])
        XCTAssertEqual(outcome.status, 3, outcome.stderr)
        XCTAssertEqual(outcome.stderrLines.count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("could not connect to attnd at \(socket)"), outcome.stderr)
    }

    func testSocketFromTheEnvironmentMustAnswer() throws {
        let harness = try AttnHarness()
        let socket = harness.folder.appendingPathComponent("env.sock").path
        harness.environment["ATTND_SOCKET"] = socket
        let outcome = try harness.run(["model", "info"])
        XCTAssertEqual(outcome.status, 3, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains(socket), outcome.stderr)
    }

    func testMissingDaemonExecutableExitsThree() throws {
        let harness = try AttnHarness()
        let missing = harness.folder.appendingPathComponent("no-attnd").path
        let outcome = try harness.run(["tokenize", "--attnd", missing, "hello"])
        XCTAssertEqual(outcome.status, 3, outcome.stderr)
        XCTAssertEqual(outcome.stderrLines, ["attn: \(missing) is not an executable file; pass --attnd PATH to name the attnd executable"])
    }

    func testSocketPathPrintsTheDefault() throws {
        let harness = try AttnHarness()
        let outcome = try harness.run(["socket-path"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertEqual(outcome.stdout, harness.folder.appendingPathComponent("run/selectattention/attnd.sock").path + "\n")
    }
}
