/// How causal `T × T` attention splits into tiles of `Bq` queries × `Bk` keys.
///
/// Query block `i` holds queries `[i·Bq, min(i·Bq + Bq, T))`, key block `j` keys
/// `[j·Bk, min(j·Bk + Bk, T))`; the last block of each is partial when the size does not divide
/// `T`. Tile `(i, j)` is **visible** when it holds at least one causally visible entry (key ≤
/// query), i.e. `j·Bk ≤` the block's last query. A visible tile is **partial** when it also holds
/// a masked entry (its last key is after its first query: it needs the causal mask inside, as
/// FlexAttention's `BlockMask` distinguishes), **full** otherwise.
public struct TileGeometry: Hashable, Sendable {
    /// Tokens `T ≥ 1`.
    public let tokens: Int
    /// Queries per tile `Bq ≥ 1`.
    public let queryBlockSize: Int
    /// Keys per tile `Bk ≥ 1`.
    public let keyBlockSize: Int

    /// - Precondition: every size ≥ 1 (callers validate user input and name the field first).
    public init(tokens: Int, queryBlockSize: Int, keyBlockSize: Int) {
        precondition(tokens >= 1 && queryBlockSize >= 1 && keyBlockSize >= 1,
                     "tokens \(tokens), queryBlockSize \(queryBlockSize), keyBlockSize \(keyBlockSize) must be ≥ 1")
        self.tokens = tokens
        self.queryBlockSize = queryBlockSize
        self.keyBlockSize = keyBlockSize
    }

    /// `ceil(T / Bq)`.
    public var queryBlocks: Int { (tokens + queryBlockSize - 1) / queryBlockSize }
    /// `ceil(T / Bk)`.
    public var keyBlocks: Int { (tokens + keyBlockSize - 1) / keyBlockSize }

    /// Queries of block `i`.
    @inline(__always)
    public func queries(ofBlock i: Int) -> Range<Int> {
        (i * queryBlockSize)..<min(i * queryBlockSize + queryBlockSize, tokens)
    }

    /// Keys of block `j`.
    @inline(__always)
    public func keys(ofBlock j: Int) -> Range<Int> { (j * keyBlockSize)..<min(j * keyBlockSize + keyBlockSize, tokens) }

    /// The query block holding query `q`.
    @inline(__always)
    public func queryBlock(of q: Int) -> Int { q / queryBlockSize }

    /// The key block holding key `k`.
    @inline(__always)
    public func keyBlock(of k: Int) -> Int { k / keyBlockSize }

    /// Key blocks visible to query block `i`: blocks `0..<visibleKeyBlocks(queryBlock: i)`.
    @inline(__always)
    public func visibleKeyBlocks(queryBlock i: Int) -> Int { (queries(ofBlock: i).upperBound - 1) / keyBlockSize + 1 }

    /// Key blocks visible to the single query `q` (`q / Bk + 1`).
    @inline(__always)
    public func visibleKeyBlocks(query q: Int) -> Int { q / keyBlockSize + 1 }

    /// Tile `(i, j)` holds a causally visible entry.
    @inline(__always)
    public func isVisible(queryBlock i: Int, keyBlock j: Int) -> Bool { j < visibleKeyBlocks(queryBlock: i) }

    /// Visible tile `(i, j)` also holds a masked entry (key > query): it needs the causal mask.
    @inline(__always)
    public func isPartial(queryBlock i: Int, keyBlock j: Int) -> Bool {
        isVisible(queryBlock: i, keyBlock: j) && keys(ofBlock: j).upperBound - 1 > queries(ofBlock: i).lowerBound
    }

    /// Visible tiles: `Σ_i visibleKeyBlocks(i)`.
    public var visibleTiles: Int { (0..<queryBlocks).reduce(0) { $0 + visibleKeyBlocks(queryBlock: $1) } }

    /// Entries of tile `(i, j)` counted whole (masked ones included), as a kernel computes it.
    @inline(__always)
    public func tileArea(queryBlock i: Int, keyBlock j: Int) -> Int { queries(ofBlock: i).count * keys(ofBlock: j).count }

    /// Causally visible entries `(q, k ≤ q)` of the whole matrix: `T(T+1)/2`, the work of dense
    /// causal attention per product.
    public var causalEntries: Int { tokens * (tokens + 1) / 2 }
}
