import Kernels

/// GEMM shapes of GPT-2 small at T = 1024: (name, M, K, N).
let gpt2GemmShapes: [(name: String, m: Int, k: Int, n: Int)] = [
    ("qkv", 1024, 768, 2304),
    ("attn_proj", 1024, 768, 768),
    ("mlp_fc", 1024, 768, 3072),
    ("mlp_proj", 1024, 3072, 768),
    ("lm_head", 1024, 768, 50257),
]

/// Prints GFLOPS (median of `runs`) of `Gemm.multiply` with pre-packed B on each shape.
func runGemmBench(runs: Int, threads: Int, only: String?) {
    for shape in gpt2GemmShapes where only == nil || only == shape.name {
        let a = AlignedFloats(count: shape.m * shape.k)
        let b = AlignedFloats(count: shape.k * shape.n)
        let c = AlignedFloats(count: shape.m * shape.n)
        var seed: UInt32 = 12345
        for i in 0..<a.count { seed = seed &* 1664525 &+ 1013904223; a.base[i] = Float(seed >> 8) / Float(1 << 24) - 0.5 }
        for i in 0..<b.count { seed = seed &* 1664525 &+ 1013904223; b.base[i] = Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let packed = PackedMatrix(k: shape.k, n: shape.n, source: b.base, rowStride: shape.n)
        let flops = 2.0 * Double(shape.m * shape.k * shape.n)
        var times: [Double] = []
        for run in 0...runs {
            let t = seconds {
                Gemm.multiply(m: shape.m, a: a.base, lda: shape.k, b: packed, c: c.base, ldc: shape.n, threads: threads)
            }
            if run > 0 { times.append(t) }                       // run 0 warms caches and pages
        }
        let med = median(times)
        print("gemm \(shape.name) \(shape.m)x\(shape.k)x\(shape.n) threads=\(threads) median_s=\(fmt(med)) gflops=\(fmt(flops / med / 1e9))")
    }
}

func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
