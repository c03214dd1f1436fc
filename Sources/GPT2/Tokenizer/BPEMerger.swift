/// Applies BPE merges to one pre-token, the way HuggingFace's tokenizers does: repeatedly the
/// pair of lowest rank merges, and among equal ranks the leftmost (a min-heap of candidates
/// ordered by (rank, position) in HuggingFace).
///
/// Two schedules give that order:
/// - `mergeWithHeap`: a binary min-heap of candidates, each one `UInt64` (`rank << 32 |
///   position`). O(n log n); used for short words and for merge tables of unusual shape.
/// - `mergeByRank`: when a merge of rank r can only create candidates of rank > r
///   (`BPEMergeTable.ranksIncreaseAlongMerges`, true of trained vocabularies such as GPT-2's),
///   candidates are filed per rank and the ranks taken in increasing order, each rank's
///   positions left to right. O(n + ranks) plus sorting each rank's few positions; used for long
///   words, so a megabyte-long pre-token (a run of letters, of one emoji) stays linear.
/// Both validate a candidate when it is taken (its two symbols must still be the rule's pair),
/// and give identical ids.
///
/// Pure functions of their inputs; safe from any thread.
enum BPEMerger {
    /// Words of at least this many byte symbols take `mergeByRank` when the table allows it.
    static let byRankMinimumLength = 2048

    /// The ids `word` (one id per byte symbol) becomes after every applicable merge.
    static func merge(_ word: [Int32], rules: BPEMergeTable) -> [Int32] {
        if word.count >= byRankMinimumLength && rules.ranksIncreaseAlongMerges {
            return mergeByRank(word, rules: rules)
        }
        return mergeWithHeap(word, rules: rules)
    }

    static func mergeWithHeap(_ word: [Int32], rules: BPEMergeTable) -> [Int32] {
        guard word.count > 1 else { return word }
        var chain = SymbolChain(word)
        var heap = CandidateHeap()
        heap.reserve(word.count)
        chain.forEachInitialPair(rules) { rank, position in heap.push(candidate(rank: rank, position: position)) }
        while let top = heap.pop() {
            chain.merge(rank: Int(top >> 32), at: Int(top & 0xFFFF_FFFF), rules) { rank, position in
                heap.push(candidate(rank: rank, position: position))
            }
        }
        return chain.ids()
    }

    /// - Precondition: `rules.ranksIncreaseAlongMerges`.
    static func mergeByRank(_ word: [Int32], rules: BPEMergeTable) -> [Int32] {
        guard word.count > 1 else { return word }
        var chain = SymbolChain(word)
        let ranks = rules.count
        // The unmerged word's candidates, counting-sorted by rank (each rank's positions
        // contiguous and increasing): `initial[firstOfRank[r]..<firstOfRank[r + 1]]`.
        var pairRank = [Int32](repeating: -1, count: word.count - 1)
        var firstOfRank = [Int32](repeating: 0, count: ranks + 1)
        chain.forEachInitialPair(rules) { rank, at in
            pairRank[at] = rank
            firstOfRank[Int(rank) + 1] += 1
        }
        for r in 0..<ranks { firstOfRank[r + 1] += firstOfRank[r] }
        var initial = [Int32](repeating: 0, count: Int(firstOfRank[ranks]))
        var fill = firstOfRank
        for (at, rank) in pairRank.enumerated() where rank >= 0 {
            initial[Int(fill[Int(rank)])] = Int32(at)
            fill[Int(rank)] += 1
        }
        pairRank = []
        fill = []
        // Candidates created by merges, filed per rank as singly linked lists of
        // (next node, position) in one pool.
        var head = [Int32](repeating: -1, count: ranks)
        var pool: [(link: Int32, position: Int32)] = []
        pool.reserveCapacity(word.count / 2)
        var positions: [Int32] = []
        for rank in 0..<ranks {
            let first = Int(firstOfRank[rank]), last = Int(firstOfRank[rank + 1])
            var node = head[rank]
            if first == last && node < 0 { continue }
            positions.removeAll(keepingCapacity: true)
            positions.append(contentsOf: initial[first..<last])
            if node >= 0 {
                while node >= 0 {
                    positions.append(pool[Int(node)].position)
                    node = pool[Int(node)].link
                }
                positions.sort()
            }
            for at in positions {
                chain.merge(rank: rank, at: Int(at), rules) { newRank, newAt in
                    // Monotone table: every new candidate outranks the current one.
                    pool.append((link: head[Int(newRank)], position: Int32(newAt)))
                    head[Int(newRank)] = Int32(pool.count - 1)
                }
            }
        }
        return chain.ids()
    }

    /// Orders by rank, then position: the order HuggingFace merges in.
    @inline(__always)
    private static func candidate(rank: Int32, position: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position)
    }

    /// The word's symbols as a doubly linked list over their first byte positions. A symbol
    /// merged into its left neighbour is unlinked and marked dead.
    struct SymbolChain {
        private var symbols: [Int32]
        private var next: [Int32]      // n = none
        private var previous: [Int32]  // -1 = none
        private var alive: [Bool]
        private let end: Int32

        init(_ word: [Int32]) {
            let n = word.count
            precondition(n < Int(Int32.max), "a pre-token of 2^31 bytes")
            symbols = word
            next = [Int32](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Int32(i + 1) }; c = n }
            previous = [Int32](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Int32(i - 1) }; c = n }
            alive = [Bool](repeating: true, count: n)
            end = Int32(n)
        }

        /// Calls `candidate(rank, position)` for every adjacent pair of the unmerged word that has a rule.
        func forEachInitialPair(_ rules: BPEMergeTable, _ candidate: (Int32, Int) -> Void) {
            for i in 0..<(symbols.count - 1) {
                let rank = rules.rank(symbols[i], symbols[i + 1])
                if rank >= 0 { candidate(rank, i) }
            }
        }

        /// Merges the pair at `i` by rule `rank` unless the candidate is stale (either symbol
        /// changed since it was filed), then reports the two new neighbouring pairs that have rules.
        mutating func merge(rank: Int, at i: Int, _ rules: BPEMergeTable, _ candidate: (Int32, Int) -> Void) {
            guard alive[i], next[i] < end, symbols[i] == rules.lefts[rank],
                  symbols[Int(next[i])] == rules.rights[rank] else { return }
            let j = Int(next[i])
            symbols[i] = rules.results[rank]
            alive[j] = false
            next[i] = next[j]
            if next[j] < end { previous[Int(next[j])] = Int32(i) }
            if previous[i] >= 0 {
                let p = Int(previous[i])
                let r = rules.rank(symbols[p], symbols[i])
                if r >= 0 { candidate(r, p) }
            }
            if next[i] < end {
                let r = rules.rank(symbols[i], symbols[Int(next[i])])
                if r >= 0 { candidate(r, i) }
            }
        }

        /// The live symbols, left to right.
        func ids() -> [Int32] {
            var result: [Int32] = []
            var i = 0
            while i < symbols.count {
                result.append(symbols[i])
                i = Int(next[i])
            }
            return result
        }
    }

    /// A binary min-heap of candidates.
    struct CandidateHeap {
        private var items: [UInt64] = []

        mutating func reserve(_ count: Int) { items.reserveCapacity(count) }

        mutating func push(_ item: UInt64) {
            items.append(item)
            items.withUnsafeMutableBufferPointer { h in
                var child = h.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard item < h[parent] else { break }
                    h[child] = h[parent]
                    child = parent
                }
                h[child] = item
            }
        }

        mutating func pop() -> UInt64? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            items.withUnsafeMutableBufferPointer { h in
                let count = h.count
                guard count > 0 else { return }
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    if left >= count { break }
                    let right = left + 1
                    let smaller = right < count && h[right] < h[left] ? right : left
                    guard h[smaller] < last else { break }
                    h[parent] = h[smaller]
                    parent = smaller
                }
                h[parent] = last
            }
            return top
        }
    }
}
