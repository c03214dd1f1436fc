import Foundation
import XCTest
@testable import AttentionAnalysis

/// Release-only speed measurement; skipped unless `SA_SWEEP_BENCH=1`:
///     SA_SWEEP_BENCH=1 swift test -c release --filter SweepBenchmarkTests
final class SweepBenchmarkTests: XCTestCase {
    func testSweepSpeedOnGPT2SmallShape() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SA_SWEEP_BENCH"] == "1", "set SA_SWEEP_BENCH=1 (release build)")
        for threads in [1, 2] {
            let report = try SweepBenchmark.run(threadCount: threads)
            print(String(format: "sweep L=%d H=%d T=%d points=%d threads=%d: %.3f s",
                         report.layers, report.heads, report.tokens, report.points, report.threads, report.seconds))
            XCTAssertGreaterThan(report.seconds, 0)
        }
    }
}
