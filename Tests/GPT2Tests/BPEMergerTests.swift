import Foundation
import XCTest
@testable import GPT2

/// The two merge schedules (`mergeWithHeap`, `mergeByRank`) agree, and the by-rank one is only
/// used on merge tables where ranks increase along merges.
final class BPEMergerTests: XCTestCase {
    private func vocabulary(_ folder: URL) throws -> BPEVocabulary {
        try BPEVocabulary(vocabJSON: Data(contentsOf: folder.appendingPathComponent("vocab.json")),
                          mergesText: String(contentsOf: folder.appendingPathComponent("merges.txt"), encoding: .utf8),
                          vocabName: "vocab.json", mergesName: "merges.txt")
    }

    func testTrainedFixtureTablesHaveIncreasingRanks() throws {
        for folder in [FixturePaths.tokenizer, FixturePaths.model("tiny-peaked"), FixturePaths.model("tiny-legacy")] {
            XCTAssertTrue(try vocabulary(folder).merges.ranksIncreaseAlongMerges, folder.path)
        }
    }

    /// Long words of random bytes from the merges' operands (trials 0, 1), and of random
    /// vocabulary tokens' bytes run together (trial 2): both schedules give the same ids.
    func testByRankAndHeapAgreeOnLongWords() throws {
        let vocab = try vocabulary(FixturePaths.tokenizer)
        let table = vocab.merges
        var alphabet: [UInt8] = []
        for rank in 0..<min(table.count, 200) {
            for id in [table.lefts[rank], table.rights[rank]] { alphabet += vocab.tokenBytes[Int(id)] ?? [] }
        }
        let pieces = vocab.tokenBytes.compactMap { $0 }.filter { $0.count > 1 }
        XCTAssertGreaterThan(alphabet.count, 50)
        var state: UInt64 = 7
        func random(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        for length in [2, 3, 17, 2048, 5000, 30_000] {
            for trial in 0..<3 {
                var bytes: [UInt8] = []
                while bytes.count < length {
                    if trial == 2 { bytes += pieces[random(pieces.count)] } else { bytes.append(alphabet[random(alphabet.count)]) }
                }
                let word = bytes.prefix(length).map { vocab.byteIDs[Int($0)] }
                let heap = BPEMerger.mergeWithHeap(word, rules: table)
                XCTAssertEqual(BPEMerger.mergeByRank(word, rules: table), heap, "length \(length), trial \(trial)")
                if length > 100 { XCTAssertLessThan(heap.count, length * 9 / 10, "merges happened (trial \(trial))") }
            }
        }
    }

    /// `a ab → aab` ranked before `a b → ab`: a merge creates a candidate of lower rank, so the
    /// ranks cannot be taken in order; a long word still merges as HuggingFace would.
    func testTableWhoseMergesCreateLowerRanksFallsBackToTheHeap() throws {
        // ids: a = 0, b = 1, ab = 2, aab = 3.
        let table = BPEMergeTable(lefts: [0, 0], rights: [2, 1], results: [3, 2])
        XCTAssertFalse(table.ranksIncreaseAlongMerges)
        let word: [Int32] = [[Int32]](repeating: [0, 0, 1], count: 1000).flatMap { $0 }   // "aab" × 1000
        XCTAssertGreaterThanOrEqual(word.count, BPEMerger.byRankMinimumLength)
        XCTAssertEqual(BPEMerger.merge(word, rules: table), [Int32](repeating: 3, count: 1000))
        // Taken in rank order the `a ab` candidates would come too late:
        XCTAssertEqual(BPEMerger.mergeByRank(word, rules: table), [[Int32]](repeating: [0, 2], count: 1000).flatMap { $0 })
    }

    /// A later duplicate of a pair takes the later rank (HuggingFace's behaviour).
    func testDuplicatePairKeepsTheLaterRank() {
        // ids: x = 0, y = 1, z = 2, xy = 3, yz = 4. Rules: x y (0), y z (1), x y again (2).
        let table = BPEMergeTable(lefts: [0, 1, 0], rights: [1, 2, 1], results: [3, 4, 3])
        XCTAssertEqual(table.rank(0, 1), 2)
        XCTAssertEqual(table.rank(1, 2), 1)
        XCTAssertEqual(table.rank(2, 0), -1)
        // x y z: y z (rank 1) now merges before x y (rank 2).
        XCTAssertEqual(BPEMerger.merge([0, 1, 2], rules: table), [0, 4])
    }
}
