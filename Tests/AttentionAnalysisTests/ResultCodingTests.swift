import Foundation
import XCTest
@testable import AttentionAnalysis

/// The result types encode with exactly the field names of Protocol/README.md §10's result tables.
final class ResultCodingTests: XCTestCase {
    private func keys(_ value: some Encodable) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any]
        return Set(try XCTUnwrap(object).keys)
    }

    func testSweepPointFieldNames() throws {
        let r = try HandWorked.sweep(HandWorked.fourByFour, tokens: 4, SweepSetting(selection: .topK, blockSize: 2, value: 1))
        XCTAssertEqual(try keys(r), ["selection", "blockSize", "threshold", "prunedBlockFraction", "seedPrunedFraction",
                                     "prunedMass", "attentionKL", "seedKL", "fullyPrunedRows", "layers"])
        XCTAssertEqual(try keys(r.layers[0]), ["layer", "prunedBlockFraction", "prunedMass", "attentionKL", "seedKL",
                                               "fullyPrunedRows"])
        var withE2E = r
        withE2E.endToEnd = EndToEndMetrics(outputKL: 0, top1Agreement: 1, nllFull: 1, nllPruned: 1)
        XCTAssertTrue(try keys(withE2E).contains("endToEnd"))
        XCTAssertEqual(try keys(withE2E.endToEnd!), ["outputKL", "top1Agreement", "nllFull", "nllPruned",
                                                     "perplexityFull", "perplexityPruned"])
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        XCTAssertTrue(json.contains("\"selection\":\"topK\""), json)
        XCTAssertEqual(try JSONDecoder().decode(SweepPointResult.self, from: Data(json.utf8)), r)
    }

    func testProfileAndPerPositionFieldNames() throws {
        let acc = try ProfileAccumulator(options: ProfileOptions(blockSize: 2, thresholds: [0.2]), tokens: 4, heads: 1, layers: 1)
        try HandWorked.fourByFour.withUnsafeBufferPointer { try acc.consume(layer: 0, attention: $0) }
        let profile = try acc.result()
        XCTAssertEqual(try keys(profile), ["layers", "summary"])
        XCTAssertEqual(try keys(profile.layers[0]), ["layer", "heads"])
        XCTAssertEqual(try keys(profile.layers[0].heads[0]), ["head", "entrySparsity", "entrySparsitySeed", "entropy",
                                                              "sinkMass", "localMass", "blocks", "coverage"])
        XCTAssertEqual(try keys(profile.layers[0].heads[0].blocks[0]), ["threshold", "fraction", "fractionSeed"])
        XCTAssertEqual(try keys(profile.layers[0].heads[0].coverage), ["p90", "p95", "p99"])
        let layer = try HandWorked.perPosition(HandWorked.fourByFour, tokens: 4, SweepSetting(selection: .threshold, blockSize: 2, value: 0.2),
                                               metric: .attentionKL, segmentSize: 2)
        XCTAssertEqual(try keys(layer), ["layer", "values", "segments"])
        XCTAssertEqual(try keys(layer.segments![0]), ["start", "end", "mean"])
    }
}
