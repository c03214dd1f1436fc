import XCTest
@testable import RunReport

/// `runs/get` writes `createdAt` as RFC 3339 text; the report shows it as a UTC date.
final class RunDateTests: XCTestCase {
    func testRFC3339CreatedAtIsShownAsAUTCDate() throws {
        var run = RunFixtures.sweep()
        run["createdAt"] = "2024-05-01T12:34:56.789Z"
        let html = try RunReport.html(runs: [RunFixtures.roundTrip(run)])
        XCTAssertTrue(html.contains("2024-05-01"), "the run's date appears")
        XCTAssertFalse(html.contains("not recorded"))
        XCTAssertEqual(StoredRun.milliseconds(rfc3339: "1970-01-01T00:00:01Z"), 1000)
        XCTAssertEqual(StoredRun.milliseconds(rfc3339: "1970-01-01T00:00:00.250Z"), 250)
        XCTAssertNil(StoredRun.milliseconds(rfc3339: "yesterday"))
    }
}
