func runForwardBench(runs: Int, threads: Int, tokenCounts: [Int], keepAttention: Bool) {}
