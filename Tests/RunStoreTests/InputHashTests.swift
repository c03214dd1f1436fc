import XCTest
@testable import RunStore

/// Expected values are the published FNV-1a 128 test vectors and, for token ids, an independent
/// Python big-integer FNV-1a over struct.pack('<Ni', ...).
final class InputHashTests: XCTestCase {
    func testPublishedFNV1a128Vectors() {
        XCTAssertEqual(InputHash.fnv1a128([UInt8]()), "6c62272e07bb014262b821756295c58d")
        XCTAssertEqual(InputHash.fnv1a128(Array("a".utf8)), "d228cb696f1a8caf78912b704e4a8964")
        XCTAssertEqual(InputHash.fnv1a128(Array("foobar".utf8)), "343e1662793c64bf6f0d3597ba446f18")
    }

    func testTokenIdsAreHashedAsInt32LittleEndian() {
        XCTAssertEqual(InputHash.of([464, 2068, -1]), "e099cd2ca9f4c6f819416f186a43d412")
        XCTAssertEqual(InputHash.of([2068, 464]), "775417779165999b15b80f3ce752209e")
        XCTAssertNotEqual(InputHash.of([464, 2068]), InputHash.of([2068, 464]))
    }
}
