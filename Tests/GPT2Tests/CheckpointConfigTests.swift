import XCTest
@testable import GPT2

/// `GPT2Config.init(jsonData:)`: what it reads, its defaults, and each refusal.
final class CheckpointConfigTests: XCTestCase {
    private func parse(_ json: String) throws -> GPT2Config {
        try GPT2Config(jsonData: Data(json.utf8))
    }

    private func refusal(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> GPT2ConfigError? {
        var caught: GPT2ConfigError?
        XCTAssertThrowsError(try parse(json), file: file, line: line) { caught = $0 as? GPT2ConfigError }
        return caught
    }

    private let base = #""n_layer": 12, "n_head": 12, "n_embd": 768, "n_positions": 1024, "vocab_size": 50257"#

    func testGPT2SmallConfigAsHuggingFaceWritesIt() throws {
        let json = """
            {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
             "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
             "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
             "n_inner": null, "n_layer": 12, "n_positions": 1024, "reorder_and_upcast_attn": false,
             "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": false, "scale_attn_weights": true,
             "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}}, "vocab_size": 50257}
            """
        XCTAssertEqual(try parse(json), GPT2Config(nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257, layerNormEpsilon: 1e-5, nInner: 3072))
    }

    func testDefaultsAndExplicitInnerWidth() throws {
        let config = try parse("{\(base), \"n_inner\": 100, \"layer_norm_epsilon\": 0.001}")
        XCTAssertEqual(config.nInner, 100)
        XCTAssertEqual(config.layerNormEpsilon, 0.001)
        let defaults = try parse("{\(base)}")
        XCTAssertEqual(defaults.nInner, 3072, "absent n_inner → 4·n_embd")
        XCTAssertEqual(defaults.layerNormEpsilon, 1e-5)
        XCTAssertEqual(defaults.headDim, 64)
    }

    func testOlderNCtxStandsInForNPositions() throws {
        XCTAssertEqual(try parse(#"{"n_layer": 1, "n_head": 1, "n_embd": 2, "n_ctx": 9, "vocab_size": 3}"#).nPositions, 9)
    }

    func testOtherActivationsAreRefused() {
        for activation in ["gelu", "relu", "gelu_pytorch_tanh", "silu"] {
            let error = refusal("{\(base), \"activation_function\": \"\(activation)\"}")
            XCTAssertEqual(error, .unsupported(key: "activation_function", value: "\"\(activation)\"", accepted: "\"gelu_new\""))
            XCTAssertTrue(error.map { "\($0)" }?.contains("not implemented") == true)
        }
    }

    func testUnimplementedAttentionVariantsAreRefused() {
        XCTAssertEqual(refusal("{\(base), \"scale_attn_by_inverse_layer_idx\": true}"),
                       .unsupported(key: "scale_attn_by_inverse_layer_idx", value: "true", accepted: "false"))
        XCTAssertEqual(refusal("{\(base), \"reorder_and_upcast_attn\": true}"),
                       .unsupported(key: "reorder_and_upcast_attn", value: "true", accepted: "false"))
        XCTAssertEqual(refusal("{\(base), \"scale_attn_weights\": false}"),
                       .unsupported(key: "scale_attn_weights", value: "false", accepted: "true"))
        XCTAssertEqual(refusal("{\(base), \"model_type\": \"gpt_neo\"}"),
                       .unsupported(key: "model_type", value: "\"gpt_neo\"", accepted: "\"gpt2\""))
    }

    func testSizesMustBePositiveAndDivide() {
        XCTAssertEqual(refusal(#"{"n_layer": 0, "n_head": 1, "n_embd": 2, "n_positions": 4, "vocab_size": 3}"#),
                       .notPositive(key: "n_layer", value: 0))
        XCTAssertEqual(refusal(#"{"n_layer": 1, "n_head": 1, "n_embd": 2, "n_positions": 4, "vocab_size": -3}"#),
                       .notPositive(key: "vocab_size", value: -3))
        XCTAssertEqual(refusal("{\(base), \"n_inner\": 0}"), .notPositive(key: "n_inner", value: 0))
        XCTAssertEqual(refusal(#"{"n_layer": 1, "n_head": 5, "n_embd": 12, "n_positions": 4, "vocab_size": 3}"#),
                       .embeddingNotDivisibleByHeads(nEmbd: 12, nHead: 5))
    }

    func testMissingKeysWrongTypesAndNonObjects() {
        XCTAssertEqual(refusal(#"{"n_layer": 1, "n_head": 1, "n_embd": 2, "n_positions": 4}"#), .missingKey("vocab_size"))
        XCTAssertEqual(refusal(#"{"n_layer": "12", "n_head": 1, "n_embd": 2, "n_positions": 4, "vocab_size": 3}"#),
                       .wrongType(key: "n_layer", expected: "an integer ≥ 1", found: "a string"))
        XCTAssertEqual(refusal(#"{"n_layer": 1.5, "n_head": 1, "n_embd": 2, "n_positions": 4, "vocab_size": 3}"#),
                       .wrongType(key: "n_layer", expected: "an integer ≥ 1", found: "a non-integer number"))
        XCTAssertEqual(refusal("[1]"), .notAnObject(found: "an array"))
        guard case .notJSON? = refusal("{n_layer: 1}") else { return XCTFail("expected notJSON") }
    }
}
