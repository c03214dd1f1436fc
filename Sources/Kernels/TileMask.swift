/// Which tiles of one head's causal attention are kept: the input of `BlockSparseAttention`.
///
/// Only visible tiles (see `TileGeometry`) can be kept. A row `q` keeps the visible keys of its
/// query block's kept tiles; a row left with no visible key that way (every kept tile's keys are
/// after `q`, or nothing is kept) falls back to dense: it attends to all its keys `0...q`, as the
/// per-row rule does (Protocol/README.md §11, dense fallback).
/// Value type; not shared between threads while being written.
public struct TileMask: Hashable, Sendable {
    public let geometry: TileGeometry
    /// (Nq, Nk), 1 = kept.
    private var kept: [UInt8]

    /// Every tile pruned, or (`keepingAllVisible`) every visible tile kept: dense causal attention.
    public init(geometry: TileGeometry, keepingAllVisible: Bool = false) {
        self.geometry = geometry
        kept = [UInt8](repeating: 0, count: geometry.queryBlocks * geometry.keyBlocks)
        if keepingAllVisible {
            for i in 0..<geometry.queryBlocks {
                for j in 0..<geometry.visibleKeyBlocks(queryBlock: i) { kept[i * geometry.keyBlocks + j] = 1 }
            }
        }
    }

    /// Keeps tile `(i, j)`; a tile that is not visible is ignored (there is nothing to compute).
    @inline(__always)
    public mutating func keep(queryBlock i: Int, keyBlock j: Int) {
        guard geometry.isVisible(queryBlock: i, keyBlock: j) else { return }
        kept[i * geometry.keyBlocks + j] = 1
    }

    /// Prunes tile `(i, j)`.
    @inline(__always)
    public mutating func prune(queryBlock i: Int, keyBlock j: Int) { kept[i * geometry.keyBlocks + j] = 0 }

    @inline(__always)
    public func isKept(queryBlock i: Int, keyBlock j: Int) -> Bool { kept[i * geometry.keyBlocks + j] != 0 }

    /// Kept (visible) tiles.
    public var keptTiles: Int { kept.reduce(0) { $0 + Int($1) } }

    /// Kept key blocks of query block `i`, ascending.
    public func keptKeyBlocks(queryBlock i: Int) -> [Int] {
        (0..<geometry.visibleKeyBlocks(queryBlock: i)).filter { isKept(queryBlock: i, keyBlock: $0) }
    }

    /// First key of the first kept tile of query block `i` (`nil` when none is kept): rows of the
    /// block before it have no kept visible key and fall back to dense.
    public func firstKeptKey(queryBlock i: Int) -> Int? {
        for j in 0..<geometry.visibleKeyBlocks(queryBlock: i) where isKept(queryBlock: i, keyBlock: j) {
            return j * geometry.keyBlockSize
        }
        return nil
    }

    /// Row `q` keeps none of its visible keys and attends densely instead.
    public func fallsBack(query q: Int) -> Bool {
        guard let first = firstKeptKey(queryBlock: geometry.queryBlock(of: q)) else { return true }
        return first > q
    }

    /// Entries a kernel computes per product (QKᵀ, and again P·V): kept tiles counted whole,
    /// plus `q + 1` for every row that falls back to dense.
    public var computedEntries: Int {
        var total = 0
        for i in 0..<geometry.queryBlocks {
            for j in 0..<geometry.visibleKeyBlocks(queryBlock: i) where isKept(queryBlock: i, keyBlock: j) {
                total += geometry.tileArea(queryBlock: i, keyBlock: j)
            }
            let first = firstKeptKey(queryBlock: i) ?? geometry.tokens
            for q in geometry.queries(ofBlock: i) where q < first { total += q + 1 }
        }
        return total
    }

    /// `computedEntries / (T(T+1)/2)`: the multiply-adds of QKᵀ and P·V over kept tiles (whole)
    /// and fallback rows, over those of dense causal attention. Slightly above 1 when nearly
    /// every tile is kept (diagonal tiles are counted whole).
    public var computedFraction: Double { Double(computedEntries) / Double(geometry.causalEntries) }
}
