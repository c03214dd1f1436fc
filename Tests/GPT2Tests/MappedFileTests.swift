import Foundation
import XCTest
@testable import GPT2

final class MappedFileTests: XCTestCase {
    /// Releasing resident pages keeps the mapping valid: the bytes read back unchanged.
    func testReleasingResidentPagesKeepsContents() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mapped-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<(3 * 4096 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: url)
        let file = try MappedFile(url: url)
        XCTAssertEqual(Array(file.bytes), bytes)
        file.releaseResidentPages()
        XCTAssertEqual(Array(file.bytes), bytes)
    }

    /// A loaded checkpoint's weights still read correctly after its pages are released.
    func testCheckpointWeightsSurviveRelease() throws {
        let ckpt = try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked"))
        let wte = ckpt.weights.wte
        let before = Array(wte.buffer)
        ckpt.weightsMapping.releaseResidentPages()
        XCTAssertEqual(Array(wte.buffer), before)
    }
}
