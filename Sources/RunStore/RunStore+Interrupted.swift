import Foundation
import GRDB

extension RunStore {
    /// Marks `interrupted` every `running` run whose owner is really gone (several daemons may
    /// share the file: a live owner's runs are left alone, and so are this store's own).
    /// Call at start-up. Returns the number of runs marked.
    /// - Parameter isOwnerAlive: liveness of an owner id; `RunOwner.isAlive` checks the pid and
    ///   its start time on this host and treats other hosts as alive.
    @discardableResult
    public func markInterruptedRuns(isOwnerAlive: (String) -> Bool = RunOwner.isAlive, now: Date = Date()) throws(RunStoreError) -> Int {
        try write { db in
            let owners = try String.fetchAll(db, RunRecord.all().filter(status: .running)
                .select(RunRecord.Columns.ownerID).distinct())
            let finished = now.millisecondsSince1970
            var marked = 0
            for owner in owners where owner != ownerID && !isOwnerAlive(owner) {
                try RunRecord.all().filter(status: .running).filter(RunRecord.Columns.ownerID == owner).updateAll(db, [
                    RunRecord.Columns.status.set(to: RunStatus.interrupted.rawValue),
                    RunRecord.Columns.error.set(to: "interrupted: its daemon (\(owner)) stopped before the run finished"),
                    RunRecord.Columns.finishedAtMs.set(to: finished),
                    RunRecord.Columns.durationMs.set(to: finished - RunRecord.Columns.createdAtMs),
                ])
                marked += db.changesCount
            }
            return marked
        }
    }
}
