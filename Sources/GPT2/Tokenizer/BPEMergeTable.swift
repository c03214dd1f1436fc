/// The merge rules of a BPE vocabulary in the form the merger probes millions of times per
/// megabyte: an open-addressing hash table from a pair of ids to its rank, and per rank the
/// pair and the id it merges into.
///
/// A pair listed twice keeps its later rank (as HuggingFace's BPE does); the earlier rank
/// stays in the per-rank arrays but no pair leads to it.
///
/// Immutable after `init`; safe to share across threads.
struct BPEMergeTable {
    /// `left`, `right`, `result` of the rule of each rank.
    let lefts: [Int32]
    let rights: [Int32]
    let results: [Int32]
    /// Open addressing, linear probing: `keys[slot]` is a pair key or `emptyKey`; `ranks[slot]`
    /// its rank. Capacity is a power of two at least twice the number of pairs.
    private let keys: [UInt64]
    private let ranks: [Int32]
    private let shift: UInt64
    /// True when every rule's operands are only ever produced by lower-ranked rules (true of
    /// any trained BPE vocabulary: a token exists before it is merged further). Then a merge
    /// of rank r only creates candidates of rank > r, and `BPEMerger` may take the ranks in
    /// increasing order instead of keeping a heap.
    let ranksIncreaseAlongMerges: Bool

    /// No pair of ids in 0…Int32.max has this key.
    private static let emptyKey = UInt64.max

    /// Number of rules (ranks), duplicates included.
    var count: Int { results.count }

    /// Rules in rank order: rule `r` merges `(lefts[r], rights[r])` into `results[r]`.
    /// Ids are in 0…Int32.max.
    init(lefts: [Int32], rights: [Int32], results: [Int32]) {
        self.lefts = lefts
        self.rights = rights
        self.results = results
        var bits: UInt64 = 4
        while (1 << bits) < 2 * max(lefts.count, 1) { bits += 1 }
        shift = 64 - bits
        var keys = [UInt64](repeating: Self.emptyKey, count: 1 << Int(bits))
        var ranks = [Int32](repeating: -1, count: 1 << Int(bits))
        let mask = keys.count - 1
        for rank in lefts.indices {
            let key = Self.pairKey(lefts[rank], rights[rank])
            var slot = Self.slot(key, shift: shift)
            while keys[slot] != Self.emptyKey && keys[slot] != key { slot = (slot + 1) & mask }
            keys[slot] = key
            ranks[slot] = Int32(rank)   // a later duplicate overrides
        }
        self.keys = keys
        self.ranks = ranks
        // The highest rank producing each token; every rule must outrank those of its operands.
        var producedUpTo: [Int32: Int32] = [:]
        for rank in results.indices { producedUpTo[results[rank]] = Int32(rank) }
        ranksIncreaseAlongMerges = lefts.indices.allSatisfy { rank in
            (producedUpTo[lefts[rank]] ?? -1) < rank && (producedUpTo[rights[rank]] ?? -1) < rank
        }
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The rank of the rule merging `(left, right)`, or -1 when there is none.
    @inline(__always)
    func rank(_ left: Int32, _ right: Int32) -> Int32 {
        let key = Self.pairKey(left, right)
        let mask = keys.count - 1
        return keys.withUnsafeBufferPointer { k in
            var slot = Self.slot(key, shift: shift)
            while true {
                let found = k[slot]
                if found == key { return ranks[slot] }
                if found == Self.emptyKey { return -1 }
                slot = (slot + 1) & mask
            }
        }
    }
}
