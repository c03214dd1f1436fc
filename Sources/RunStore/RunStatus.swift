/// Where a run is in its lifecycle. `running` is written before the work starts; the other
/// four are final.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running
    case completed
    case failed
    case cancelled
    /// The run was `running` when its owning daemon died (see `RunStore.markInterruptedRuns`).
    case interrupted
}
