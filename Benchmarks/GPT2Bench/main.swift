import Foundation
import Kernels

/// gpt2-bench: speed and memory of the GPT-2 engine.
///
///   swift run -c release gpt2-bench --gemm [--runs N] [--threads N] [--shape qkv]
///   swift run -c release gpt2-bench --forward [--runs N] [--threads N] [--tokens 64,256,1024] [--keep-attention]
///
/// Output is one `key=value` line per measurement, for Benchmarks/run.sh to parse.
var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let runs = Int(option("--runs") ?? "") ?? 5
let threads = Int(option("--threads") ?? "") ?? ParallelChunks.defaultThreads
if arguments.contains("--gemm") {
    runGemmBench(runs: runs, threads: threads, only: option("--shape"))
}
if arguments.contains("--forward") {
    let tokens = (option("--tokens") ?? "64,256,1024").split(separator: ",").compactMap { Int($0) }
    runForwardBench(runs: runs, threads: threads, tokenCounts: tokens,
                    keepAttention: arguments.contains("--keep-attention"))
}
if !arguments.contains("--gemm") && !arguments.contains("--forward") {
    print("usage: gpt2-bench --gemm|--forward [--runs N] [--threads N] [--shape NAME] [--tokens 64,256,1024] [--keep-attention]")
}
print("peak_rss_bytes=\(peakRSSBytes())")
