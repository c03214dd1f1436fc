import XCTest
@testable import attn

/// Figure names from the daemon are plain file names or refused (issue 19 item 3: a fake daemon
/// sent `../pwned.sh`, and `attn report --format svg -o figs` wrote it outside `figs/`).
final class FigureFileNameTests: XCTestCase {
    func testPlainSVGNamesPass() throws {
        for name in ["sweep-overview.svg", "per-position heatmap 2.svg", "schéma.svg"] {
            XCTAssertEqual(try FigureFileName.validated(name), name)
        }
    }

    func testTraversalSeparatorsControlsAndDotfilesAreRefused() {
        for name in ["../pwned.sh", "../x.svg", "..", ".", "a/b.svg", "/etc/passwd.svg", "a\\b.svg", "a\u{0}b.svg",
                     "line\nbreak.svg", ".hidden.svg", "run.sh", "", String(repeating: "a", count: 300) + ".svg"] {
            XCTAssertThrowsError(try FigureFileName.validated(name), "\(name.debugDescription)") { error in
                XCTAssertTrue("\(error)".contains("plain file name"), "\(error)")
            }
        }
    }
}
