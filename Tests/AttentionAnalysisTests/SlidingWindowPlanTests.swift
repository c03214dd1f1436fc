import XCTest
@testable import AttentionAnalysis

/// The guide's window loop on numbers small enough to write out by hand.
final class SlidingWindowPlanTests: XCTestCase {
    private func shape(_ plan: SlidingWindowPlan) -> [[Int]] {
        plan.windows.map { [$0.begin, $0.end, $0.targetLength, $0.predictions, $0.guideWeight] }
    }

    /// 10 tokens, windows of 4 moving by 2: [0,4) scores labels 1…3 (3 rows, weight 3); each later
    /// window overlaps by 2, so its trg_len is 2, it scores labels 2 and 3 of the window (2 rows)
    /// and the guide weights it by trg_len − 1 = 1.
    func testOverlappingWindows() throws {
        let plan = try SlidingWindowPlan(tokenCount: 10, maxLength: 4, stride: 2)
        XCTAssertEqual(shape(plan), [[0, 4, 4, 3, 3], [2, 6, 2, 2, 1], [4, 8, 2, 2, 1], [6, 10, 2, 2, 1]])
        XCTAssertEqual(plan.windows.map(\.scoredRows), [0..<3, 1..<3, 1..<3, 1..<3])
        XCTAssertEqual(plan.guideTokenCount, 6)
        XCTAssertEqual(plan.predictionCount, 9, "every token but the first is predicted once")
    }

    /// stride = maxLength: disjoint windows, each loses its first label to the shift; the short
    /// last window [8, 10) scores one label.
    func testDisjointWindowsAndShortLastWindow() throws {
        let plan = try SlidingWindowPlan(tokenCount: 10, maxLength: 4, stride: 4)
        XCTAssertEqual(shape(plan), [[0, 4, 4, 3, 3], [4, 8, 4, 3, 3], [8, 10, 2, 1, 1]])
        XCTAssertEqual(plan.guideTokenCount, 7)
        XCTAssertEqual(plan.predictionCount, 7)
    }

    /// A last window of one token scores nothing (HF's loss would be NaN, weighted by 0).
    func testOneTokenLastWindowScoresNothing() throws {
        let plan = try SlidingWindowPlan(tokenCount: 9, maxLength: 4, stride: 4)
        XCTAssertEqual(shape(plan), [[0, 4, 4, 3, 3], [4, 8, 4, 3, 3], [8, 9, 1, 0, 0]])
        XCTAssertEqual(plan.windows[2].scoredRows, 0..<0)
    }

    /// An overlapping last window with trg_len = 1 scores its last label but has weight 0, as in
    /// the guide (its loss is multiplied by num_loss_tokens = 0); the loop stops at end = seq_len.
    func testLastWindowWithTargetLengthOne() throws {
        let plan = try SlidingWindowPlan(tokenCount: 9, maxLength: 8, stride: 4)
        XCTAssertEqual(shape(plan), [[0, 8, 8, 7, 7], [4, 9, 1, 1, 0]])
        XCTAssertEqual(plan.windows[1].scoredRows, 3..<4, "row 3 of [4, 9) predicts token 8")
    }

    /// A corpus shorter than one window is one window scoring T − 1 labels.
    func testCorpusShorterThanAWindow() throws {
        let plan = try SlidingWindowPlan(tokenCount: 3, maxLength: 1024, stride: 512)
        XCTAssertEqual(shape(plan), [[0, 3, 3, 2, 2]])
    }

    /// stride 1: one new label per window after the first.
    func testStrideOne() throws {
        let plan = try SlidingWindowPlan(tokenCount: 6, maxLength: 3, stride: 1)
        XCTAssertEqual(shape(plan), [[0, 3, 3, 2, 2], [1, 4, 1, 1, 0], [2, 5, 1, 1, 0], [3, 6, 1, 1, 0]])
    }

    func testRefusesBadSizes() {
        XCTAssertThrowsError(try SlidingWindowPlan(tokenCount: 1, maxLength: 4, stride: 2))
        XCTAssertThrowsError(try SlidingWindowPlan(tokenCount: 10, maxLength: 1, stride: 1))
        XCTAssertThrowsError(try SlidingWindowPlan(tokenCount: 10, maxLength: 4, stride: 0))
        XCTAssertThrowsError(try SlidingWindowPlan(tokenCount: 10, maxLength: 4, stride: 5)) { error in
            XCTAssertTrue("\(error)".contains("stride"), "\(error)")
        }
    }
}

/// Window scoring and the guide's combination on hand-made logits.
final class CorpusNLLTests: XCTestCase {
    /// V = 2, a window of 3 tokens [0, 1, 1] with no overlap: rows 0 and 1 are scored.
    /// Row 0 logits (0, ln 3): p(1) = 3/4; row 1 logits (0, 0): p(1) = 1/2.
    func testDenseWindowNLLByHand() throws {
        let window = CorpusWindow(index: 0, begin: 0, end: 3, targetLength: 3)
        let logits: [Float] = [0, Float(log(3.0)), 0, 0, 5, -5]
        let scorer = try WindowLogitsScorer(window: window, tokens: [0, 1, 1], denseLogits: logits, vocabularySize: 2)
        XCTAssertEqual(scorer.denseNLLSum, -log(0.75) - log(0.5), accuracy: 1e-7)
        let same = try scorer.score(prunedLogits: logits)
        XCTAssertEqual(same.nllSum, scorer.denseNLLSum)
        XCTAssertEqual(same.outputKLSum, 0)
        XCTAssertEqual(same.top1Agreements, 2)
        // Row 0 flipped to (ln 3, 0): p(1) = 1/4, argmax changes; KL(3/4,1/4 ‖ 1/4,3/4) = ½ ln 3.
        let flipped = try scorer.score(prunedLogits: [Float(log(3.0)), 0, 0, 0, 5, -5])
        XCTAssertEqual(flipped.nllSum, -log(0.25) - log(0.5), accuracy: 1e-7)
        XCTAssertEqual(flipped.outputKLSum, 0.5 * log(3.0), accuracy: 1e-7)
        XCTAssertEqual(flipped.top1Agreements, 1, "row 0's argmax moved; row 1 ties at index 0 in both")
        XCTAssertThrowsError(try scorer.score(prunedLogits: [0, 0]))
    }

    /// Two windows: weights 3 and 1 (trg_len 4 and 2), 3 and 2 predictions. Dense means 1.0 and
    /// 2.0 → nll = (3·1 + 1·2) / 4 = 1.25. Setting means 1.5 and 2.0 → 1.625; ΔNLL = 0.375, and
    /// with deltas (0.5, 0) the interval is 0.375 ∓ 12.706205 · √(2 · (9·0.125² + 1·0.375²)) / 4.
    func testGuideWeightingAndInterval() throws {
        let w0 = CorpusWindow(index: 0, begin: 0, end: 4, targetLength: 4)
        let w1 = CorpusWindow(index: 1, begin: 2, end: 6, targetLength: 2)
        let windows = [
            WindowScores(window: w0, denseNLLSum: 3.0, settings: [SettingWindowScores(nllSum: 4.5, outputKLSum: 0.3, top1Agreements: 3,
                                                                                   prunedBlocks: 2, visibleBlocks: 10)]),
            WindowScores(window: w1, denseNLLSum: 4.0, settings: [SettingWindowScores(nllSum: 4.0, outputKLSum: 0.2, top1Agreements: 1,
                                                                                   prunedBlocks: 3, visibleBlocks: 10)]),
        ]
        let s = try CorpusNLL.summarize(windows)
        XCTAssertEqual(s.windows, 2)
        XCTAssertEqual(s.tokensScored, 4)
        XCTAssertEqual(s.predictionsScored, 5)
        XCTAssertEqual(s.denseNLL, 1.25, accuracy: 1e-15)
        XCTAssertEqual(s.densePerplexity, exp(1.25), accuracy: 1e-12)
        let setting = try XCTUnwrap(s.settings.first)
        XCTAssertEqual(setting.nll, 1.625, accuracy: 1e-15)
        XCTAssertEqual(setting.deltaNLL.mean, 0.375, accuracy: 1e-15)
        let half = 12.706205 * (2 * (9 * 0.125 * 0.125 + 0.375 * 0.375)).squareRoot() / 4
        XCTAssertEqual(try XCTUnwrap(setting.deltaNLL.lower), 0.375 - half, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(setting.deltaNLL.upper), 0.375 + half, accuracy: 1e-12)
        XCTAssertEqual(setting.deltaNLL.n, 2)
        XCTAssertEqual(setting.outputKL, 0.5 / 5, accuracy: 1e-15)
        XCTAssertEqual(setting.top1Agreement, 4.0 / 5, accuracy: 1e-15)
        XCTAssertEqual(setting.prunedBlockFraction, 0.25, "(2 + 3) / (10 + 10)")
    }

    /// Equal weights: the interval is the ordinary paired t interval (`MeanInterval`).
    func testEqualWeightsGiveThePairedTInterval() throws {
        let deltas = [0.1, 0.4, -0.2, 0.3]
        let got = CorpusNLL.deltaInterval(deltas, weights: [5, 5, 5, 5], mean: deltas.reduce(0, +) / 4)
        let want = try XCTUnwrap(MeanInterval(deltas))
        XCTAssertEqual(got.mean, want.mean, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(got.lower), try XCTUnwrap(want.lower), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(got.upper), try XCTUnwrap(want.upper), accuracy: 1e-12)
        XCTAssertNil(CorpusNLL.deltaInterval([0.2], weights: [3], mean: 0.2).lower)
    }
}
