import Foundation
@testable import GPT2

/// One tensor for `SafetensorsTestWriter`: its header entry and its raw little-endian bytes.
struct TestTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var data: [UInt8]

    static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> TestTensor {
        TestTensor(name: name, dtype: "F32", shape: shape, data: SafetensorsTestWriter.bytes(values))
    }
}

/// Writes safetensors files for tests, including deliberately broken ones. Independent of the
/// reader: it builds the header JSON text by hand.
enum SafetensorsTestWriter {
    /// A valid file: tensors laid out back to back in the given order. The header is padded
    /// with spaces so the data section starts at a file offset ≡ `dataStartModulo8` (mod 8).
    static func file(_ tensors: [TestTensor], metadata: [String: String]? = nil, dataStartModulo8: Int = 0) -> [UInt8] {
        var entries: [String] = []
        if let metadata {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        var data: [UInt8] = []
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
            data += t.data
        }
        var header = "{" + entries.joined(separator: ",") + "}"
        while (8 + header.utf8.count) % 8 != dataStartModulo8 { header += " " }
        return file(header: header, data: data)
    }

    /// A file with `header` as its JSON text (which may lie) followed by `data`.
    static func file(header: String, data: [UInt8]) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return littleEndian(UInt64(headerBytes.count)) + headerBytes + data
    }

    /// An 8-byte length field claiming `claimedHeaderBytes`, followed by `rest`.
    static func file(claimedHeaderBytes: UInt64, rest: [UInt8]) -> [UInt8] {
        littleEndian(claimedHeaderBytes) + rest
    }

    static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { littleEndian(UInt64($0.bitPattern)).prefix(4) }
    }

    static func bytes(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) }
    }
}

/// A fresh directory under the system temp dir, removed when the object goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gpt2-tests-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` (intermediate folders created) and returns its URL.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ text: String, to name: String) throws -> URL {
        try write(Array(text.utf8), to: name)
    }
}

extension FloatTensor {
    /// A copy of the elements, taken while the tensor (and so its owner) is alive. Reading
    /// `buffer` of a temporary tensor is a use-after-free once the owner is released.
    var values: [Float] { withExtendedLifetime(self) { Array(buffer) } }
}
