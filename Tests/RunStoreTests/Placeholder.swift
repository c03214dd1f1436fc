import XCTest
final class RunStoreTestsPlaceholder: XCTestCase { func testPlaceholder() {} }
