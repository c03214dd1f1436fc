import AttentionAnalysis
import Foundation
import Kernels

/// gpt2-bench: speed and memory of the GPT-2 engine and the attention sweep.
///
///   gpt2-bench --gemm [--runs N] [--threads N] [--shape qkv]
///   gpt2-bench --forward [--runs N] [--threads N] [--tokens 64,256,1024] [--keep-attention] [--model DIR] [--variants profile_b4,…]
///   gpt2-bench --write-model DIR
///   gpt2-bench --sweep [--runs N] [--threads N] [--tokens 1024] [--model DIR] [--end-to-end] [--load-runs N]
///   gpt2-bench --compare [--runs N] [--threads N] [--tokens 1024]
///   gpt2-bench --profile-only [--runs N] [--threads N] [--tokens 1024] [--block-sizes 4,32] [--roles]
///   gpt2-bench --fingerprint [--runs N] [--model DIR]
///   gpt2-bench --tokenize VOCAB_DIR [--runs N] [--sizes 1,4,16]
///   gpt2-bench --tiles [--runs N] [--threads N] [--tokens 1024] [--estimators meanPool,quest,…]
///   gpt2-bench --tile-table --model DIR [--tokens 128] [--block-sizes 8,16]
///   gpt2-bench --tiles-forward [--runs N] [--threads N] [--tokens 1024]
///
/// `--model DIR` loads a checkpoint folder through `GPT2Checkpoint.load` (as the daemon does);
/// `--sweep` uses the random gpt2-small model in DIR (default: a temp folder), writing it first
/// if missing. `--compare` times `DenseLogitsReference` and `AttentionIntervention` alone on
/// synthetic data (no model). Without `--model`, `--forward` builds random weights in memory.
/// Output is one `key=value` line per measurement, for Benchmarks/run.sh and sweep_vs_torch.sh.
_ = processBaselineBytes                 // read before any allocation of ours
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let runs = Int(option("--runs") ?? "") ?? 5
let threads = Int(option("--threads") ?? "") ?? ParallelChunks.defaultThreads
let modelDirectory = option("--model").map { URL(fileURLWithPath: $0) }
let modes = ["--gemm", "--forward", "--write-model", "--sweep", "--analysis-only", "--profile-only", "--compare", "--fingerprint", "--tokenize", "--tiles", "--tile-table", "--tiles-forward"].filter(arguments.contains)
do {
    if let path = option("--write-model") {
        let bytes = try writeRandomCheckpoint(directory: URL(fileURLWithPath: path), config: .gpt2Small)
        print("wrote_model dir=\(path) safetensors_bytes=\(bytes)")
    }
    if arguments.contains("--gemm") {
        runGemmBench(runs: runs, threads: threads, only: option("--shape"))
    }
    if arguments.contains("--forward") {
        let tokens = (option("--tokens") ?? "64,256,1024").split(separator: ",").compactMap { Int($0) }
        let variants = option("--variants").map { $0.split(separator: ",").map(String.init) }
        if let unknown = variants?.first(where: { !forwardBenchVariants.contains($0) }) {
            FileHandle.standardError.write("--variants: unknown variant \(unknown); accepted: \(forwardBenchVariants.joined(separator: ", "))\n".data(using: .utf8)!)
            exit(2)
        }
        try runForwardBench(runs: runs, threads: threads, tokenCounts: tokens, modelDirectory: modelDirectory,
                            keepAttention: arguments.contains("--keep-attention"),
                            variants: variants)
    }
    if arguments.contains("--profile-only") {
        try runProfileOnlyBench(tokens: Int(option("--tokens") ?? "") ?? 1024,
                                blockSizes: (option("--block-sizes") ?? "4,32").split(separator: ",").compactMap { Int($0) },
                                runs: runs, threads: threads, roles: arguments.contains("--roles"))
    }
    if arguments.contains("--analysis-only") {
        // The sweep alone on synthetic (12, 12, 1024, 1024) attention: no model, no forward pass.
        for t in [1, threads] {
            let report = try SweepBenchmark.run(threadCount: t)
            print(String(format: "analysis_only layers=%d heads=%d tokens=%d points=%d threads=%d seconds=%.3f",
                         report.layers, report.heads, report.tokens, report.points, report.threads, report.seconds))
        }
    }
    if arguments.contains("--compare") {
        try runCompareBench(runs: runs, threads: threads, tokenCount: Int(option("--tokens") ?? "") ?? 1024)
    }
    if arguments.contains("--tiles") {
        runTileBench(runs: runs, threads: threads, tokenCount: Int(option("--tokens") ?? "") ?? 1024,
                     only: option("--estimators").map { Set($0.split(separator: ",").map(String.init)) })
    }
    if arguments.contains("--tiles-forward") {
        try runTileForwardBench(runs: runs, threads: threads, tokenCount: Int(option("--tokens") ?? "") ?? 1024)
    }
    if arguments.contains("--tile-table"), let modelDirectory {
        try runTileTable(directory: modelDirectory, tokenCount: Int(option("--tokens") ?? "") ?? 128,
                         blockSizes: (option("--block-sizes") ?? "8,16").split(separator: ",").compactMap { Int($0) },
                         threads: threads)
    }
    if let vocabulary = option("--tokenize") {
        let sizes = (option("--sizes") ?? "1,4,16").split(separator: ",").compactMap { Int($0) }
        try runTokenizerBench(directory: URL(fileURLWithPath: vocabulary), sizesMB: sizes, runs: runs)
    }
    if arguments.contains("--fingerprint") {
        let directory = modelDirectory ?? defaultBenchModelDirectory
        try ensureRandomCheckpoint(directory)
        try runFingerprintBench(directory: directory, runs: runs)
    }
    if arguments.contains("--sweep") {
        let directory = modelDirectory ?? defaultBenchModelDirectory
        try ensureRandomCheckpoint(directory)
        let loaded = try loadBenchModel(directory: directory, runs: Int(option("--load-runs") ?? "") ?? 3, threads: threads)
        try runSweepBench(loaded: loaded, runs: runs, threads: threads, tokenCount: Int(option("--tokens") ?? "") ?? 1024,
                          endToEnd: arguments.contains("--end-to-end"))
    }
} catch {
    FileHandle.standardError.write(Data("gpt2-bench: \(error)\n".utf8))
    exit(1)
}
if modes.isEmpty {
    print("usage: gpt2-bench --gemm|--forward|--sweep|--analysis-only|--compare|--fingerprint|--tiles|--tile-table|--tiles-forward|--tokenize VOCAB_DIR|--write-model DIR [--runs N] [--threads N] [--shape NAME] "
        + "[--tokens 64,256,1024] [--keep-attention] [--model DIR] [--end-to-end] [--load-runs N]")
}
// With --sweep the kernel peak was reset after the load: this is the peak since then.
print("peak_rss_bytes=\(peakRSSBytes())")
