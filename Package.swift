// swift-tools-version:6.0
import PackageDescription

/// Native code generation for the hot loops. Without these flags `SIMD16<Float>` lowers to
/// scalar `fmaf` calls; with them the compiler emits AVX-512/FMA. The Swift sources stay
/// portable: the same code is correct (only slower) when built without the flags.
/// Set SELECTATTENTION_PORTABLE=1 to build without `-march=native` (checks the portable path).
let nativeFlags: [SwiftSetting] = Context.environment["SELECTATTENTION_PORTABLE"] != nil ? [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
] : [
    .unsafeFlags(["-Xcc", "-march=native"]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

/// Linux only: the daemon's transports call Glibc directly (sockets, poll, pipes), and no other
/// platform is built or tested. No `platforms:` are declared for that reason.
let package = Package(
    name: "SelectAttention",
    products: [
        .executable(name: "attnd", targets: ["attnd"]),
        .executable(name: "attn", targets: ["attn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        // The hot loops: matmul, softmax, layer norm, GELU. Nothing else.
        .target(name: "Kernels", swiftSettings: nativeFlags),
        // Checkpoints, config, tokenizer, forward pass.
        .target(name: "GPT2", dependencies: [
            "Kernels", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: nativeFlags),
        // Block masks, divergence metrics, studies. No I/O.
        .target(name: "AttentionAnalysis", dependencies: ["Kernels"], swiftSettings: nativeFlags),
        // SQLite run history.
        .target(name: "RunStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // Framing, messages, connection.
        .target(name: "JSONRPC"),
        // The typed contract: every method's params and result, the app's error codes. Shared
        // by the daemon, the CLI and the report.
        .target(name: "AttnProtocol", dependencies: ["JSONRPC"]),
        // HuggingFace hub downloads into the hub cache layout. No project dependencies.
        .target(name: "HubDownload"),
        // Session and method handlers.
        .target(name: "AttnServer", dependencies: [
            "GPT2", "AttentionAnalysis", "AttnProtocol", "Kernels", "RunStore", "JSONRPC", "HubDownload", "RunReport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Renders stored runs (JSON) to a self-contained HTML report and standalone SVG figures.
        .target(name: "RunReport", dependencies: ["AttnProtocol", "JSONRPC"]),
        // The Model Context Protocol endpoint (`attnd --mcp`): translates MCP over stdio into
        // calls on a session of the server. Tool schemas are embedded from Protocol/schema.
        .target(name: "AttnMCP", dependencies: ["AttnServer", "AttnProtocol", "JSONRPC"]),
        .executableTarget(name: "attnd", dependencies: [
            "AttnServer", "AttnMCP", "AttnProtocol", "JSONRPC",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "attn", dependencies: [
            "AttnProtocol", "JSONRPC",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Clients/attn", exclude: ["README.md", "examples"]),
        // Deterministic synthetic attention rows, shared by the analysis tests and the benchmarks.
        .target(name: "SyntheticAttention", path: "Benchmarks/SyntheticAttention"),
        .executableTarget(name: "gpt2-bench", dependencies: ["GPT2", "AttentionAnalysis", "Kernels", "SyntheticAttention"],
                          path: "Benchmarks/GPT2Bench", swiftSettings: nativeFlags),

        // Test helpers shared by the test targets that spawn the built executables.
        .target(name: "TestSupport", dependencies: ["JSONRPC"], path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "GPT2Tests", dependencies: ["GPT2"]),
        .testTarget(name: "AttentionAnalysisTests", dependencies: ["AttentionAnalysis", "GPT2", "SyntheticAttention"]),
        .testTarget(name: "RunStoreTests", dependencies: ["RunStore"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC"]),
        .testTarget(name: "AttnProtocolTests", dependencies: ["AttnProtocol", "JSONRPC"]),
        .testTarget(name: "AttnServerTests", dependencies: [
            "AttnServer", "AttnProtocol", "AttentionAnalysis", "RunStore", "JSONRPC", "GPT2", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["AttnProtocol", "JSONRPC", "attn", "TestSupport"]),
        .testTarget(name: "HubDownloadTests", dependencies: ["HubDownload", "TestSupport"]),
        .testTarget(name: "RunReportTests", dependencies: ["RunReport"]),
        .testTarget(name: "AttnMCPTests", dependencies: ["AttnMCP", "AttnServer", "AttnProtocol", "JSONRPC"]),
    ],
    swiftLanguageModes: [.v5]
)
