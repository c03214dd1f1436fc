import XCTest
@testable import AttnServer

final class InductionMemoTests: XCTestCase {
    struct Failure: Error {}

    func testComputesOncePerKeyAndNeverStoresAFailure() throws {
        let memo = InductionMemo()
        var calls = 0
        let key = InductionMemo.Key(seed: 1, length: 50)
        XCTAssertThrowsError(try memo.scores(for: key) { calls += 1; throw Failure() })
        XCTAssertEqual(memo.count, 0)
        XCTAssertEqual(try memo.scores(for: key) { calls += 1; return [0.5, 0.25] }, [0.5, 0.25])
        XCTAssertEqual(try memo.scores(for: key) { calls += 1; return [9] }, [0.5, 0.25])
        XCTAssertEqual(try memo.scores(for: InductionMemo.Key(seed: 1, length: 51)) { calls += 1; return [1] }, [1])
        XCTAssertEqual(calls, 3)
        XCTAssertEqual(memo.count, 2)
    }
}
