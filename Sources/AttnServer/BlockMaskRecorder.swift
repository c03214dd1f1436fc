import AttentionAnalysis
import AttnProtocol

/// `profileAttention`'s `blockMasks` (with `includeAttention`): for each threshold, which
/// visible key blocks the threshold rule keeps per query row, decided by the very
/// `AttentionIntervention` that prunes `pruneSweep`'s end-to-end pass (no keep policy), so a
/// client draws the daemon's decision instead of re-implementing the rule.
///
/// A row the intervention leaves bit for bit unchanged (nothing pruned, or the dense fallback)
/// keeps every visible block; otherwise a block is kept when one of its visible keys is non-zero
/// after pruning.
/// - Important: `consume` is called layer by layer from one thread (the dense pass's observer).
final class BlockMaskRecorder {
    private let blockSize: Int
    private let heads: Int
    private let tokens: Int
    private let rules: [(threshold: Double, intervention: AttentionIntervention)]
    /// `[threshold][L][H][T]`
    private var kept: [[[[String]]]]

    init(thresholds: [Double], blockSize: Int, heads: Int, tokens: Int, threadCount: Int) throws {
        self.blockSize = blockSize
        self.heads = heads
        self.tokens = tokens
        rules = try thresholds.map { tau in
            (tau, try AttentionIntervention(point: AttentionAnalysis.SweepSetting(selection: .threshold, blockSize: blockSize, value: tau),
                                            heads: heads, tokens: tokens, threadCount: threadCount))
        }
        kept = Array(repeating: [], count: thresholds.count)
    }

    /// Records one layer. - Parameter attention: `(H, T, T)` probabilities.
    func consume(attention: UnsafeBufferPointer<Float>) throws {
        let t = tokens
        for (index, rule) in rules.enumerated() {
            var pruned = Array(attention)  // (H, T, T)
            try pruned.withUnsafeMutableBufferPointer { try rule.intervention.apply(to: $0) }
            let layer: [[String]] = (0..<heads).map { h in
                (0..<t).map { q in
                    let row = (h * t + q) * t
                    let visibleBlocks = q / blockSize + 1
                    if (0...q).allSatisfy({ pruned[row + $0] == attention[row + $0] }) {
                        return String(repeating: "1", count: visibleBlocks)
                    }
                    return String((0..<visibleBlocks).map { j -> Character in
                        let keys = (j * blockSize)...min(j * blockSize + blockSize - 1, q)
                        return keys.contains { pruned[row + $0] != 0 } ? "1" : "0"
                    })
                }
            }
            kept[index].append(layer)
        }
    }

    func result() -> [BlockMask] {
        zip(rules, kept).map { BlockMask(threshold: $0.threshold, kept: $1) }
    }
}
