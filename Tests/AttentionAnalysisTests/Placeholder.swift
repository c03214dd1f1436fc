import XCTest
final class AttentionAnalysisTestsPlaceholder: XCTestCase { func testPlaceholder() {} }
