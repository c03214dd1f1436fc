import AttentionAnalysis
import AttnProtocol
import Kernels

/// `profileAttention`'s `blockMasks` (with `includeAttention`): for each threshold, which
/// visible key blocks the threshold rule keeps per query row, decided by the very
/// `AttentionIntervention` that prunes `pruneSweep`'s end-to-end pass (no keep policy), so a
/// client draws the daemon's decision instead of re-implementing the rule.
///
/// A row the intervention leaves bit for bit unchanged (nothing pruned, or the dense fallback)
/// keeps every visible block; otherwise a block is kept when one of its visible keys is non-zero
/// after pruning.
/// With `queryBlockSize` Bq > 1 the decision is the oracle's on (Bq × B) tiles instead (§11,
/// tiles: a tile is kept when its largest entry reaches τ; every row of a query block shares its
/// tiles; a row left with no kept visible key falls back to dense, all `1`).
/// - Important: `consume` is called layer by layer from one thread (the dense pass's observer).
final class BlockMaskRecorder {
    private let blockSize: Int
    private let queryBlockSize: Int
    private let heads: Int
    private let tokens: Int
    private let rules: [(threshold: Double, intervention: AttentionIntervention)]
    /// `[threshold][L][H][T]`
    private var kept: [[[[String]]]]

    init(thresholds: [Double], blockSize: Int, queryBlockSize: Int = 1, heads: Int, tokens: Int, threadCount: Int) throws {
        self.blockSize = blockSize
        self.queryBlockSize = queryBlockSize
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
        guard queryBlockSize == 1 else { return consumeTiles(attention: attention) }
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

    /// `consume` for Bq > 1: the oracle's tile masks, one per (threshold, head).
    private func consumeTiles(attention: UnsafeBufferPointer<Float>) {
        let t = tokens
        let geometry = TileGeometry(tokens: t, queryBlockSize: queryBlockSize, keyBlockSize: blockSize)
        for (index, rule) in rules.enumerated() {
            let layer: [[String]] = (0..<heads).map { h in
                let head = UnsafeBufferPointer(rebasing: attention[(h * t * t)..<((h + 1) * t * t)])   // (T, T)
                let mask = OracleTiles.scores(attention: head, geometry: geometry, selection: .threshold(rule.threshold))
                    .mask(.threshold(rule.threshold), keepDiagonal: false)
                return (0..<t).map { q in
                    let visibleBlocks = q / blockSize + 1
                    if mask.fallsBack(query: q) { return String(repeating: "1", count: visibleBlocks) }
                    let i = geometry.queryBlock(of: q)
                    return String((0..<visibleBlocks).map { mask.isKept(queryBlock: i, keyBlock: $0) ? "1" : "0" })
                }
            }
            kept[index].append(layer)
        }
    }

    func result() -> [BlockMask] {
        zip(rules, kept).map { BlockMask(threshold: $0.threshold, kept: $1) }
    }
}
