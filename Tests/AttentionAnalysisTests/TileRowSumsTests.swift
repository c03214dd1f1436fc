import XCTest
import Kernels
@testable import AttentionAnalysis
import SyntheticAttention

/// `TileRowSums` (the O(T·Nk) scoring of a mask) against `TileRowMetrics`' per-key loops of §11,
/// on synthetic attention and random masks, with ε small (the shortcut everywhere) and ε large
/// (many entries in (0, ε), so kept blocks take the per-key path): equal within 1e-12.
final class TileRowSumsTests: XCTestCase {
    func testRowSumsGiveThePerKeyValues() {
        let t = 41, heads = 3
        let layer = SyntheticAttention.layer(heads: heads, tokens: t, seed: 99)
        var rng = SystemRandomNumberGenerator()
        var shortcutRows = 0, perKeyRows = 0
        layer.withUnsafeBufferPointer { all in
            for h in 0..<heads {
                let a = UnsafeBufferPointer(rebasing: all[(h * t * t)..<((h + 1) * t * t)])
                for (bq, bk) in [(1, 1), (1, 4), (3, 5), (8, 8), (16, 3)] {
                    let g = TileGeometry(tokens: t, queryBlockSize: bq, keyBlockSize: bk)
                    for epsilon in [1e-12, 1e-2] {
                        // Built beside other block sizes, as a sweep builds them (one pass, shared logs).
                        let sums = TileRowSums.make(attention: a, tokens: t, keyBlockSizes: [7, bk, 2], epsilon: epsilon)[1]
                        for density in [0.0, 0.3, 0.7, 1.0] {
                            var mask = TileMask(geometry: g)
                            for i in 0..<g.queryBlocks {
                                for j in 0..<g.visibleKeyBlocks(queryBlock: i) where Double.random(in: 0..<1, using: &rng) < density {
                                    mask.keep(queryBlock: i, keyBlock: j)
                                }
                            }
                            for q in 0..<t {
                                let label = "h \(h) Bq \(bq) Bk \(bk) ε \(epsilon) density \(density) q \(q)"
                                XCTAssertEqual(sums.keptMass(mask, query: q), TileRowMetrics.keptMass(mask, attention: a, query: q),
                                               accuracy: 1e-12, label)
                                let want = TileRowMetrics.seedKL(pure: mask, attention: a, query: q, epsilon: epsilon)
                                XCTAssertEqual(sums.seedKL(pure: mask, attention: a, query: q), want, accuracy: 1e-12 * max(1, want), label)
                                let i = g.queryBlock(of: q)
                                let kept = (0..<g.visibleKeyBlocks(query: q)).filter { mask.isKept(queryBlock: i, keyBlock: $0) }.count
                                XCTAssertEqual(sums.keptBlocksWithoutFallback(mask, query: q), kept, label)
                                XCTAssertEqual(sums.keptBlocks(mask, query: q), mask.fallsBack(query: q) ? g.visibleKeyBlocks(query: q) : kept)
                                let smallInKept = (0...q).contains { k in
                                    mask.isKept(queryBlock: i, keyBlock: k / bk) && a[q * t + k] > 0 && Double(a[q * t + k]) < epsilon
                                }
                                if smallInKept { perKeyRows += 1 } else { shortcutRows += 1 }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(perKeyRows, 100, "ε = 0.01 sends rows down the per-key path")
        XCTAssertGreaterThan(shortcutRows, 100)
    }
}
