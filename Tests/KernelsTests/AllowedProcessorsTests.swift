@testable import Kernels
import XCTest

/// The affinity mask of /proc/PID/status as a processor count (what caps `defaultThreads`).
final class AllowedProcessorsTests: XCTestCase {
    func testCountsTheBitsOfTheAllowedMask() {
        let status = "Name:\tattnd\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"
        XCTAssertEqual(AllowedProcessors.count(statusText: status), 2)
        XCTAssertEqual(AllowedProcessors.count(statusText: "Cpus_allowed:\t1\n"), 1, "taskset -c 0")
        XCTAssertEqual(AllowedProcessors.count(statusText: "Cpus_allowed:\t00000000,0000000f,00000101\n"), 6,
                       "comma-separated 32-bit words: 4 + 2")
    }

    func testNilWithoutAReadableMask() {
        XCTAssertNil(AllowedProcessors.count(statusText: "Name:\tattnd\n"))
        XCTAssertNil(AllowedProcessors.count(statusText: "Cpus_allowed:\t0\n"))
        XCTAssertNil(AllowedProcessors.count(statusText: "Cpus_allowed:\tzz\n"))
    }

    func testDefaultThreadsNeverExceedTheMask() {
        if let allowed = AllowedProcessors.count() { XCTAssertLessThanOrEqual(ParallelChunks.defaultThreads, allowed) }
        XCTAssertGreaterThanOrEqual(ParallelChunks.defaultThreads, 1)
    }
}
