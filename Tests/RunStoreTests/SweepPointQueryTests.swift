import Foundation
import GRDB
import XCTest
@testable import RunStore

final class SweepPointQueryTests: XCTestCase {
    /// "The sparsest point under outputKL 0.01 across all runs", as one SQL query.
    static let sparsestUnderOutputKL = """
        SELECT run.id AS run_id, sweep_point.threshold, sweep_point.block_size,
               sweep_point.pruned_block_fraction, sweep_point.output_kl
        FROM sweep_point JOIN run ON run.id = sweep_point.run_id
        WHERE run.status = 'completed' AND sweep_point.output_kl < ?
        ORDER BY sweep_point.pruned_block_fraction DESC
        LIMIT 1
        """

    func testSparsestPointUnderAnOutputKLBudgetAcrossRuns() throws {
        let store = try RunStore.inMemory()
        // Run A: 0.50 sparse at KL 0.002 (qualifies), 0.80 at KL 0.02 (too lossy).
        try completedRun(store, try request(tokens: [1]), created: 0,
                                 points: [point(0.001, pruned: 0.50, outputKL: 0.002), point(0.01, pruned: 0.80, outputKL: 0.02)])
        // Run B: 0.70 at KL 0.009 (qualifies, sparsest), 0.90 without end-to-end metrics (no KL).
        let b = try completedRun(store, try request(tokens: [2]), created: 1,
                                 points: [point(0.002, blockSize: 32, pruned: 0.70, outputKL: 0.009), point(0.02, pruned: 0.90)])
        let best = try store.writer.read { db in try Row.fetchOne(db, sql: Self.sparsestUnderOutputKL, arguments: [0.01]) }
        XCTAssertEqual(best?["run_id"] as String?, b)
        XCTAssertEqual(best?["threshold"] as Double?, 0.002)
        XCTAssertEqual(best?["block_size"] as Int?, 32)
        XCTAssertEqual(best?["pruned_block_fraction"] as Double?, 0.70)
        let none = try store.writer.read { db in try Row.fetchOne(db, sql: Self.sparsestUnderOutputKL, arguments: [0.001]) }
        XCTAssertNil(none)
    }
}
