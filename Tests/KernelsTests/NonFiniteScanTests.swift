import XCTest
@testable import Kernels

/// `NonFiniteScan`: every kind of non-finite value at every position of the vector body and the
/// tail, unaligned data, and the finite extremes that must not be reported.
final class NonFiniteScanTests: XCTestCase {
    func testFindsTheFirstNonFiniteAtEveryPosition() {
        for count in [1, 15, 16, 17, 40] {
            for position in 0..<count {
                for bad: Float in [.nan, .infinity, -.infinity, -.nan, Float(bitPattern: 0x7F80_0001)] {
                    var values = (0..<count).map { Float($0) - 7.5 }
                    values[position] = bad
                    if position + 3 < count { values[position + 3] = .nan }   // a later one is not reported
                    XCTAssertEqual(values.withUnsafeBufferPointer { NonFiniteScan.firstNonFinite($0) }, position,
                                   "count \(count), position \(position), \(bad)")
                }
            }
        }
    }

    func testFiniteExtremesAreFinite() {
        let values: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               -.leastNormalMagnitude, 0, -0.0, 1e38, -1e38] + [Float](repeating: 3, count: 20)
        XCTAssertNil(values.withUnsafeBufferPointer { NonFiniteScan.firstNonFinite($0) })
        XCTAssertNil([Float]().withUnsafeBufferPointer { NonFiniteScan.firstNonFinite($0) })
    }

    func testUnalignedRawBytes() {
        var values = [Float](repeating: 1, count: 33)
        values[20] = .infinity
        let bytes = [UInt8](repeating: 0, count: 3) + values.withUnsafeBytes { Array($0) }
        bytes.withUnsafeBytes { raw in
            XCTAssertEqual(NonFiniteScan.firstNonFinite(float32: raw.baseAddress! + 3, count: 33), 20)
            XCTAssertNil(NonFiniteScan.firstNonFinite(float32: raw.baseAddress! + 3, count: 20))
        }
    }
}
