import XCTest
final class AttnServerTestsPlaceholder: XCTestCase { func testPlaceholder() {} }
