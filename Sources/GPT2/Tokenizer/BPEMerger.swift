/// Applies BPE merges to one pre-token, the way HuggingFace's tokenizers does: a min-heap of
/// candidate pairs ordered by (rank, position), so the lowest-ranked pair merges first and,
/// among equal ranks, the leftmost. O(n log n) in the word's length, so a long run of
/// characters without a break cannot stall the caller.
///
/// Pure function of its inputs; safe from any thread.
enum BPEMerger {
    /// The ids `word` (one id per byte symbol) becomes after every applicable merge.
    static func merge(_ word: [Int32], rules: [UInt64: BPEVocabulary.Merge]) -> [Int32] {
        let n = word.count
        guard n > 1 else { return word }
        // Doubly linked symbols; a merged-away symbol gets `alive = false`.
        var ids = word
        var next = Array(1...n)            // n = none
        var previous = Array(-1..<(n - 1))  // -1 = none
        var alive = [Bool](repeating: true, count: n)
        var heap = CandidateHeap()
        for i in 0..<(n - 1) {
            if let rule = rules[BPEVocabulary.pairKey(ids[i], ids[i + 1])] {
                heap.push(Candidate(rank: rule.rank, position: i, left: ids[i], right: ids[i + 1], result: rule.result))
            }
        }
        while let candidate = heap.pop() {
            let i = candidate.position
            // Stale when either symbol has changed since the pair was queued.
            guard alive[i], ids[i] == candidate.left, next[i] < n,
                  ids[next[i]] == candidate.right else { continue }
            let j = next[i]
            ids[i] = candidate.result
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0, let rule = rules[BPEVocabulary.pairKey(ids[previous[i]], ids[i])] {
                heap.push(Candidate(rank: rule.rank, position: previous[i], left: ids[previous[i]], right: ids[i], result: rule.result))
            }
            if next[i] < n, let rule = rules[BPEVocabulary.pairKey(ids[i], ids[next[i]])] {
                heap.push(Candidate(rank: rule.rank, position: i, left: ids[i], right: ids[next[i]], result: rule.result))
            }
        }
        var result: [Int32] = []
        var i = 0
        while i < n {
            result.append(ids[i])
            i = next[i]
        }
        return result
    }

    /// A pair that may merge: `left` at `position`, `right` at the next live symbol.
    struct Candidate {
        let rank: Int32
        let position: Int
        let left: Int32
        let right: Int32
        let result: Int32

        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    /// A binary min-heap of candidates by (rank, position).
    struct CandidateHeap {
        private var items: [Candidate] = []

        mutating func push(_ item: Candidate) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var smallest = parent
                    if left < items.count && items[left].precedes(items[smallest]) { smallest = left }
                    if right < items.count && items[right].precedes(items[smallest]) { smallest = right }
                    if smallest == parent { break }
                    items.swapAt(parent, smallest)
                    parent = smallest
                }
            }
            return top
        }
    }
}
