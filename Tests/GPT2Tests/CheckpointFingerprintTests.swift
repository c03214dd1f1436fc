import XCTest
@testable import GPT2

/// The model fingerprint: format, stability across loads, sensitivity to weights and config.
final class CheckpointFingerprintTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    func testFingerprintIsStableLowercaseHex() throws {
        let dir = try TinyGPT2().write(into: folder)
        let first = try GPT2Checkpoint.load(directory: dir).fingerprint
        let second = try GPT2Checkpoint.load(directory: dir).fingerprint
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.count, 32)
        XCTAssertTrue(first.allSatisfy { "0123456789abcdef".contains($0) }, first)
        // Same files written to another folder: same content, same fingerprint.
        let copy = try TinyGPT2().write(into: folder, subfolder: "copy")
        XCTAssertEqual(try GPT2Checkpoint.load(directory: copy).fingerprint, first)
    }

    func testOneChangedWeightChangesTheFingerprint() throws {
        let dir = try TinyGPT2().write(into: folder)
        let original = try GPT2Checkpoint.load(directory: dir).fingerprint
        let weightsURL = dir.appendingPathComponent("model.safetensors")
        let bytes = try [UInt8](Data(contentsOf: weightsURL))
        // Flip the lowest mantissa bit of the last float (ln_f.bias's last element) and, separately,
        // of a float in the middle of the data section.
        let dataStart = 8 + Int(bytes[0]) + Int(bytes[1]) << 8  // header length < 64 KiB here
        for position in [bytes.count - 4, dataStart + (bytes.count - dataStart) / 2 & ~3] {
            var changed = bytes
            changed[position] ^= 1
            try Data(changed).write(to: weightsURL)
            XCTAssertNotEqual(try GPT2Checkpoint.load(directory: dir).fingerprint, original, "byte \(position)")
        }
        try Data(bytes).write(to: weightsURL)
        XCTAssertEqual(try GPT2Checkpoint.load(directory: dir).fingerprint, original)
    }

    func testConfigChangeChangesTheFingerprint() throws {
        let original = try GPT2Checkpoint.load(directory: TinyGPT2().write(into: folder)).fingerprint
        let otherEpsilon = try TinyGPT2(configFields: ["layer_norm_epsilon": "1e-06"]).write(into: folder, subfolder: "eps")
        XCTAssertNotEqual(try GPT2Checkpoint.load(directory: otherEpsilon).fingerprint, original)
    }

    func testHashSeparatesLengthsAndSingleBits() {
        // Trailing zero bytes change the length, so they must change the hash.
        var seen = Set<String>()
        for length in 0...70 {
            let zeros = [UInt8](repeating: 0, count: length)
            let h = zeros.withUnsafeBytes { FingerprintHash.hash($0) }
            seen.insert("\(h.0)-\(h.1)")
        }
        XCTAssertEqual(seen.count, 71)
        // Every single-bit flip of a 67-byte input (two blocks and a 3-byte tail) changes both halves.
        let input = (0..<67).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let base = input.withUnsafeBytes { FingerprintHash.hash($0) }
        for bit in 0..<(67 * 8) {
            var flipped = input
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            let h = flipped.withUnsafeBytes { FingerprintHash.hash($0) }
            XCTAssertNotEqual(h.0, base.0, "bit \(bit)")
            XCTAssertNotEqual(h.1, base.1, "bit \(bit)")
        }
    }
}
