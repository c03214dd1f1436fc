import XCTest
final class GPT2TestsPlaceholder: XCTestCase { func testPlaceholder() {} }
