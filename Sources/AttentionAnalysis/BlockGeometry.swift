/// How `T` keys split into key blocks of `B` tokens, and which blocks a query can see.
///
/// Key block `j` holds keys `[jB, min(jB + B, T))`; the last block is partial when `B` does
/// not divide `T`, and there is a single (partial) block when `B > T`. Block `j` is visible
/// to query `q` when `jB ≤ q`; later blocks are causally masked (never counted as pruned).
public struct BlockGeometry: Hashable, Sendable {
    /// Tokens in the sequence (`T ≥ 1`).
    public let tokens: Int
    /// Keys per block (`B ≥ 1`).
    public let blockSize: Int

    public init(tokens: Int, blockSize: Int) throws {
        guard tokens >= 1 else {
            throw AnalysisError.invalidDimension(field: "tokens", value: tokens, accepted: "an integer ≥ 1")
        }
        guard blockSize >= 1 else { throw AnalysisError.invalidBlockSize(field: "blockSize", value: blockSize) }
        self.tokens = tokens
        self.blockSize = blockSize
    }

    /// For sizes already validated (`tokens ≥ 1`, `blockSize ≥ 1`).
    init(checkedTokens tokens: Int, blockSize: Int) {
        self.tokens = tokens
        self.blockSize = blockSize
    }

    /// `ceil(T / B)`: blocks per row, visible or not.
    public var blockCount: Int { (tokens + blockSize - 1) / blockSize }

    /// Blocks visible to query `q`: `q / B + 1` (blocks `0...q/B`).
    @inline(__always)
    public func visibleBlocks(query q: Int) -> Int { q / blockSize + 1 }

    /// The block holding key (or query) `k`.
    @inline(__always)
    public func block(ofKey k: Int) -> Int { k / blockSize }

    /// Keys of block `j`: `[jB, min(jB + B, T))`.
    public func keys(ofBlock j: Int) -> Range<Int> { (j * blockSize)..<min(j * blockSize + blockSize, tokens) }

    /// Visible (query, block) pairs in one (head) attention matrix: `Σ_q (q/B + 1)`.
    public var visiblePairs: Int {
        var total = 0
        for q in 0..<tokens { total += q / blockSize + 1 }
        return total
    }

    /// All (query, block) pairs in one (head) attention matrix: `T · ceil(T/B)`.
    public var allPairs: Int { tokens * blockCount }
}
