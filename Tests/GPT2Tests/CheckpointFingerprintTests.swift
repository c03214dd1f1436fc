import XCTest
#if canImport(Glibc)
import Glibc
#endif
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
        XCTAssertEqual(first.count, 64)
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

    /// Golden values computed outside Swift, with Python's hashlib (the recipe in
    /// `ModelFingerprint`'s doc comment), over the committed fixture files.
    func testFixtureFingerprintsMatchTheDocumentedSHA256Recipe() throws {
        XCTAssertEqual(try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-peaked")).fingerprint,
                       "b871a1e5fb3c21ac4ee8a692f1427acf3e23c62b34bcd2b26d242c14897c1d6d")
        XCTAssertEqual(try GPT2Checkpoint.load(directory: FixturePaths.model("tiny-legacy")).fingerprint,
                       "78decd7a4e804bfc874f7921feab96f4b954e8034e933d421aab763b5069aa5d")
    }

    /// FIPS 180-2's "abc" example, through the public in-memory entry point: the outer hash
    /// of the two inner digests is the documented one.
    func testComputeIsTheVersionedHashOfTheTwoDigests() {
        let abc = Array("abc".utf8), empty: [UInt8] = []
        let fingerprint = abc.withUnsafeBytes { a in empty.withUnsafeBytes { e in
            ModelFingerprint.compute(configJSON: a, safetensors: e)
        } }
        // sha256("abc") = ba7816bf…15ad, sha256("") = e3b0c442…b855 (FIPS 180-2 / NIST).
        // hashlib.sha256(b"selectattention-model-v2\n" + bytes.fromhex(abc) + bytes.fromhex(empty)).hexdigest()
        XCTAssertEqual(fingerprint, "f82ab9ef11b9a9e7479d0deec3fb1c27626db1a7295abd5eeba87bd17d8cf6a4")
    }

    func testReloadOfAnUnchangedFileDoesNotRehash() throws {
        let dir = try TinyGPT2().write(into: folder)
        let cache = WeightsDigestCache(minimumAge: 0.05)
        Thread.sleep(forTimeInterval: 0.1)   // older than minimumAge: settled, may be remembered
        let first = try GPT2Checkpoint.load(directory: dir, digestCache: cache).fingerprint
        XCTAssertEqual(cache.filesHashed, 1)
        XCTAssertEqual(try GPT2Checkpoint.load(directory: dir, digestCache: cache).fingerprint, first)
        XCTAssertEqual(cache.filesHashed, 1, "the second load must reuse the remembered digest")
        // Another cache (a fresh daemon) hashes again and agrees.
        XCTAssertEqual(try GPT2Checkpoint.load(directory: dir, digestCache: WeightsDigestCache()).fingerprint, first)
    }

    #if os(Linux)
    /// A same-size rewrite in place whose mtime is set back to the old value keeps path, size,
    /// mtime and inode: only the change time tells, so it must be part of the key.
    func testInPlaceRewriteWithRestoredMtimeIsRehashed() throws {
        let dir = try TinyGPT2().write(into: folder)
        let weightsURL = dir.appendingPathComponent("model.safetensors")
        let cache = WeightsDigestCache(minimumAge: 0.05)
        Thread.sleep(forTimeInterval: 0.1)
        let original = try GPT2Checkpoint.load(directory: dir, digestCache: cache).fingerprint
        let before = try status(weightsURL)
        var bytes = try [UInt8](Data(contentsOf: weightsURL))
        bytes[bytes.count - 4] ^= 1   // ln_f.bias's last element, lowest mantissa bit
        let handle = try FileHandle(forWritingTo: weightsURL)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, weightsURL.path, &times, 0), 0)
        let after = try status(weightsURL)
        XCTAssertEqual(after.st_ino, before.st_ino)
        XCTAssertEqual(after.st_size, before.st_size)
        XCTAssertEqual(after.st_mtim.tv_sec, before.st_mtim.tv_sec)
        XCTAssertEqual(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec)
        XCTAssertNotEqual(try GPT2Checkpoint.load(directory: dir, digestCache: cache).fingerprint, original)
        XCTAssertEqual(cache.filesHashed, 2)
    }

    private func status(_ url: URL) throws -> stat {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw CocoaError(.fileReadUnknown) }
        return info
    }
    #endif

    /// A file changed moments ago is not remembered: an in-place rewrite within the same tick
    /// of the kernel's timestamp clock would keep its identity.
    func testAFreshlyWrittenFileIsNotRemembered() throws {
        let dir = try TinyGPT2().write(into: folder)
        let cache = WeightsDigestCache(minimumAge: 60)
        _ = try GPT2Checkpoint.load(directory: dir, digestCache: cache)
        _ = try GPT2Checkpoint.load(directory: dir, digestCache: cache)
        XCTAssertEqual(cache.filesHashed, 2)
    }
}
