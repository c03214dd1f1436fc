import XCTest
@testable import RunReport

/// Colour scales and number formats, checked against values worked out by hand.
final class FormattingTests: XCTestCase {
    func testViridisLuminanceRisesMonotonically() {
        // Reads in grey print only if luminance is monotonic in the value.
        let lum = stride(from: 0.0, through: 1.0, by: 0.01).map { ColorScale.luminance(ColorScale.viridis($0))! }
        for (a, b) in zip(lum, lum.dropFirst()) { XCTAssertLessThan(a, b) }
        XCTAssertEqual(ColorScale.viridis(-1), "#440154", "clamped below")
        XCTAssertEqual(ColorScale.viridis(2), "#fde725", "clamped above")
    }

    func testLuminanceOfKnownColours() {
        XCTAssertEqual(ColorScale.luminance("#ffffff")!, 1, accuracy: 1e-12)
        XCTAssertEqual(ColorScale.luminance("#000000")!, 0, accuracy: 1e-12)
        XCTAssertEqual(ColorScale.luminance("#808080")!, 0.2159, accuracy: 1e-4)  // ((0.502+0.055)/1.055)^2.4
        XCTAssertNil(ColorScale.luminance("red"))
    }

    func testCategoricalMarkersAreDistinct() {
        XCTAssertEqual(Set(ColorScale.categorical).count, ColorScale.categorical.count)
        XCTAssertEqual(Set(MarkerShape.allCases.map { $0.path(radius: 4) }).count, MarkerShape.allCases.count)
    }

    func testValueFormatting() {
        XCTAssertEqual(NumberFormat.value(0), "0")
        XCTAssertEqual(NumberFormat.value(0.0005), "5e-4")
        XCTAssertEqual(NumberFormat.value(1.234e-5), "1.23e-5")
        XCTAssertEqual(NumberFormat.value(0.002), "0.002")
        XCTAssertEqual(NumberFormat.value(0.123456), "0.1235")
        XCTAssertEqual(NumberFormat.value(16), "16")
        XCTAssertEqual(NumberFormat.value(250000.5), "2.5e5")
        XCTAssertEqual(NumberFormat.tick(0.30000000000000004, step: 0.1), "0.3")
        XCTAssertEqual(NumberFormat.duration(ms: 850), "850 ms")
        XCTAssertEqual(NumberFormat.duration(ms: 1234), "1.23 s")
        XCTAssertEqual(NumberFormat.duration(ms: 125_000), "2 min 5.0 s")
        XCTAssertEqual(NumberFormat.isoDate(ms: 0), "1970-01-01T00:00:00Z")
    }

    func testLogScaleFloorAndDecades() {
        let s = LogScale.fitting([0.003, 0.2], range: (100, 0))
        XCTAssertEqual(s.loExponent, -3)
        XCTAssertEqual(s.hiExponent, 0)
        XCTAssertEqual(s.map(0.01), 100 - 100.0 / 3, accuracy: 1e-9)
        let withZero = LogScale.fitting([0, 0.003, 0.2], range: (100, 0))
        XCTAssertEqual(withZero.loExponent, -4)
        XCTAssertTrue(withZero.isClamped(0))
        XCTAssertEqual(withZero.map(0), 100)
        XCTAssertEqual(LogScale.fitting([0, 0], range: (1, 0)).loExponent, -6, "all zeros: a fixed floor")
    }
}
