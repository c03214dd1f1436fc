import Foundation
import JSONRPC
import XCTest

/// `pruneSweep`'s `exportMask` on the real `attnd` (tiny-peaked, L = 2, H = 4): the folder's
/// `.npy` files are exactly what `generate_mask_export_golden.py` loaded into PyTorch's
/// `BlockMask.from_kv_blocks` (FlexGoldenTests checks BlockSparseAttention against the
/// flex_attention output it recorded); the export follows the path rules of `exportPath` and
/// never replaces what is there; its result member is never stored with the run.
final class MaskExportDaemonTests: XCTestCase {
    private var folder: URL!
    private var clients: [RPCClient] = []

    override func setUpWithError() throws {
        folder = try DaemonSupport.temporaryFolder()
    }

    override func tearDown() {
        clients.forEach(DaemonSupport.stop)
        try? FileManager.default.removeItem(at: folder)
    }

    private func daemon(_ extra: [String] = ["--no-history"]) throws -> RPCClient {
        let client = try DaemonSupport.spawn(["--model", DaemonSupport.model("tiny-peaked")] + extra)
        clients.append(client)
        return client
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private struct Golden: Decodable {
        struct Point: Decodable {
            let estimator, selection, folder: String
            let value: Double
            let queryBlockSize, blockSize: Int
            let kvNumBlocks, kvIndices, fullKvNumBlocks, fullKvIndices: [Int32]
        }
        let tokens: [Int]
        let points: [Point]
    }

    /// A little-endian int32 `.npy` (v1.0): its shape and values. Fails the test on anything else.
    private func readInt32Npy(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (shape: [Int], values: [Int32]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0], path, file: file, line: line)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'descr': '<i4'"), header, file: file, line: line)
        XCTAssertEqual((10 + headerLength) % 64, 0, "data starts on a 64-byte boundary", file: file, line: line)
        let dims = try XCTUnwrap(header.range(of: "'shape': (").map { header[$0.upperBound...].prefix { $0 != ")" } })
        let shape = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let body = data.dropFirst(10 + headerLength)
        let values = body.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) } }
        XCTAssertEqual(values.count, shape.reduce(1, *), path, file: file, line: line)
        return (shape, values)
    }

    func testExportedFilesAreTheMasksFlexAttentionRan() throws {
        let url = DaemonSupport.fixtures.appendingPathComponent("analysis/mask_export_tiny-peaked_english.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        XCTAssertEqual(golden.points.count, 4)
        let client = try daemon()
        for (estimator, selection, value) in [("meanPool", "coverage", 0.8), ("quest", "topK", 2.0)] {
            let out = path("masks-\(estimator)")
            let result = try client.request("pruneSweep", params: [
                "tokens": .array(golden.tokens.map { .int(Int64($0)) }), "queryBlockSize": 4, "blockSizes": [4, 8],
                "estimator": .string(estimator), "selection": .string(selection), "thresholds": [.double(value)],
                "exportMask": true, "exportPath": .string(out),
            ], timeout: 120)
            let exported = try XCTUnwrap(result["exportedMask"])
            XCTAssertEqual(exported["path"]?.stringValue, out)
            XCTAssertEqual(exported["queryBlockSize"]?.intValue, 4)
            XCTAssertEqual(exported["points"]?.array.map { $0["folder"]?.stringValue ?? "" }, ["point-000", "point-001"])
            XCTAssertEqual(exported["points"]?.array.map { $0["fallbackRows"]?.intValue ?? -1 }, [0, 0])
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [],
                           "no temporary folder left behind")
            let expected = golden.points.filter { $0.estimator == estimator }
            XCTAssertEqual(expected.map(\.blockSize), [4, 8])
            for point in expected {
                let dir = out + "/" + point.folder
                let label = "\(estimator) Bk \(point.blockSize)"
                let nq = (golden.tokens.count + 3) / 4, nk = (golden.tokens.count + point.blockSize - 1) / point.blockSize
                let kvNum = try readInt32Npy(dir + "/kv_num_blocks.npy")
                XCTAssertEqual(kvNum.shape, [2, 4, nq], label)
                XCTAssertEqual(kvNum.values, point.kvNumBlocks, label)
                let kvIdx = try readInt32Npy(dir + "/kv_indices.npy")
                XCTAssertEqual(kvIdx.shape, [2, 4, nq, nk], label)
                XCTAssertEqual(kvIdx.values, point.kvIndices, label)
                XCTAssertEqual(try readInt32Npy(dir + "/full_kv_num_blocks.npy").values, point.fullKvNumBlocks, label)
                XCTAssertEqual(try readInt32Npy(dir + "/full_kv_indices.npy").values, point.fullKvIndices, label)
                let dense = try readInt32Npy(dir + "/dense_rows.npy")
                XCTAssertEqual(dense.shape, [2, 4, golden.tokens.count], label)
                XCTAssertTrue(dense.values.allSatisfy { $0 == 0 }, label)
                let meta = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: dir + "/mask.json")))
                XCTAssertEqual(meta["BLOCK_SIZE"], [4, .int(Int64(point.blockSize))], label)
                XCTAssertEqual(meta["tokens"]?.array.compactMap(\.intValue), golden.tokens, label)
                XCTAssertEqual(meta["settings"]?["estimator"]?.stringValue, estimator, label)
                XCTAssertEqual(meta["settings"]?["threshold"]?.doubleValue, value, label)
                XCTAssertEqual(meta["maskMod"]?.stringValue, "causal", label)
            }
        }
    }

    /// The oracle's masks can leave rows with no kept key: `dense_rows.npy` lists exactly the
    /// point's `fullyPrunedRows`, and the tile arrays still hold only the kept tiles.
    func testOracleFallbackRowsAreTheFullyPrunedRows() throws {
        let client = try daemon()
        let out = path("oracle")
        let text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again."
        let result = try client.request("pruneSweep", params: [
            "text": .string(text), "queryBlockSize": 4, "blockSizes": [2, 4], "estimator": "oracle", "selection": "threshold",
            "thresholds": [0.9, 0.3], "exportMask": true, "exportPath": .string(out),
        ], timeout: 120)
        let points = result["points"]?.array ?? []
        let exported = result["exportedMask"]?["points"]?.array ?? []
        XCTAssertEqual(points.count, 4)
        XCTAssertEqual(exported.count, 4)
        var sawFallback = false
        for (point, entry) in zip(points, exported) {
            let rows = try XCTUnwrap(point["fullyPrunedRows"]?.intValue)
            XCTAssertEqual(entry["fallbackRows"]?.intValue, rows)
            XCTAssertEqual(entry["blockSize"], point["blockSize"])
            XCTAssertEqual(entry["threshold"]?.doubleValue, point["threshold"]?.doubleValue)
            let dense = try readInt32Npy(out + "/" + (entry["folder"]?.stringValue ?? "") + "/dense_rows.npy")
            XCTAssertEqual(Int(dense.values.reduce(0, +)), rows)
            let meta = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: out + "/" + (entry["folder"]?.stringValue ?? "") + "/mask.json")))
            XCTAssertEqual(meta["fallbackRows"]?.intValue, rows)
            sawFallback = sawFallback || rows > 0
        }
        XCTAssertTrue(sawFallback, "τ = 0.9 leaves rows without a kept key (93 and 95 here)")
    }

    func testExportFollowsThePathRulesAndNeverReplaces() throws {
        let client = try daemon()
        let tiles: [String: JSONValue] = ["tokens": [1, 2, 3, 4, 5, 6], "queryBlockSize": 2, "blockSizes": [2], "estimator": "meanPool",
                                          "selection": "coverage", "thresholds": [0.9], "exportMask": true]
        func request(_ extra: [String: JSONValue]) -> RPCError? {
            DaemonSupport.error(client, "pruneSweep", .object(tiles.merging(extra) { $1 }))
        }
        // A folder is there already: -32006, and what it holds survives.
        let existing = path("existing")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: existing + "/keep.txt", contents: Data("precious".utf8)))
        let taken = try XCTUnwrap(request(["exportPath": .string(existing)]))
        XCTAssertEqual(taken.code.rawValue, -32006)
        XCTAssertEqual(taken.data?["reason"]?.stringValue, "a directory is there")
        XCTAssertEqual(try String(contentsOfFile: existing + "/keep.txt", encoding: .utf8), "precious")
        // A regular file is there: refused too.
        let file = path("file")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        XCTAssertEqual(request(["exportPath": .string(file)])?.data?["field"]?.stringValue, "exportPath")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
        // Path rules and the params' own rules, -32602 naming the field.
        XCTAssertEqual(request(["exportPath": "relative/masks"])?.data?["field"]?.stringValue, "exportPath")
        XCTAssertEqual(request(["exportPath": .string(folder.path + "/a/../b")])?.data?["field"]?.stringValue, "exportPath")
        XCTAssertEqual(request(["exportPath": .string(folder.path + "/missing/masks")])?.data?["field"]?.stringValue, "exportPath")
        XCTAssertEqual(request(["exportPath": nil])?.data?["field"]?.stringValue, "exportPath", "exportMask needs exportPath")
        XCTAssertEqual(request(["exportMask": false, "exportPath": .string(path("m"))])?.data?["field"]?.stringValue, "exportPath")
        XCTAssertEqual(request(["exportPath": .string(path("m")), "queryBlockSize": 1, "estimator": "oracle", "selection": "threshold",
                                "thresholds": [0.01]])?.data?["field"]?.stringValue, "exportMask", "per-row points are not tiles")
        XCTAssertEqual(request(["exportPath": .string(path("m")), "tokens": nil, "texts": ["a b", "c d"]])?.data?["field"]?.stringValue,
                       "exportMask")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("m")), "a refused request writes nothing")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["existing", "file"])
    }

    func testExportDirConfinesRelativePaths() throws {
        let client = try daemon(["--no-history", "--export-dir", folder.path])
        let result = try client.request("pruneSweep", params: [
            "tokens": [1, 2, 3, 4, 5, 6], "queryBlockSize": 2, "blockSizes": [2, 4], "estimator": "streaming", "thresholds": [2],
            "sinkTokens": 1, "exportMask": true, "exportPath": "inside",
        ], timeout: 60)
        let real = try XCTUnwrap(realpath(folder.path, nil).map { p in defer { free(p) }; return String(cString: p) })
        XCTAssertEqual(result["exportedMask"]?["path"]?.stringValue, real + "/inside")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/inside").sorted(), ["point-000", "point-001"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/inside/point-001").sorted(),
                       ["dense_rows.npy", "full_kv_indices.npy", "full_kv_num_blocks.npy", "kv_indices.npy", "kv_num_blocks.npy", "mask.json"])
        let outside = DaemonSupport.error(client, "pruneSweep", [
            "tokens": [1, 2, 3], "queryBlockSize": 2, "blockSizes": [2], "estimator": "quest", "selection": "topK", "thresholds": [1],
            "exportMask": true, "exportPath": .string("/tmp/selectattention-outside-\(getpid())"),
        ])
        XCTAssertEqual(outside?.data?["field"]?.stringValue, "exportPath")
    }

    /// The run is stored without `exportedMask`, and an export is never answered from the cache.
    func testTheExportIsNotPartOfTheStoredRun() throws {
        let db = path("runs.sqlite")
        let client = try daemon(["--db", db])
        let params: [String: JSONValue] = ["tokens": [1, 2, 3, 4, 5, 6], "queryBlockSize": 2, "blockSizes": [2], "estimator": "meanPool",
                                           "selection": "coverage", "thresholds": [0.9]]
        var export = params
        export["exportMask"] = true
        export["exportPath"] = .string(path("first"))
        let first = try client.request("pruneSweep", params: .object(export), timeout: 60)
        XCTAssertNotNil(first["exportedMask"])
        let plain = try client.request("pruneSweep", params: .object(params), timeout: 60)
        XCTAssertEqual(plain["cached"]?.boolValue, true, "the export's run answers the plain request")
        XCTAssertNil(plain["exportedMask"], "but without the other request's files")
        XCTAssertEqual(plain["points"], first["points"])
        export["exportPath"] = .string(path("second"))
        let again = try client.request("pruneSweep", params: .object(export), timeout: 60)
        XCTAssertEqual(again["cached"]?.boolValue, false, "an export is computed and written, never taken from the cache")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("second") + "/point-000/kv_indices.npy"))
    }

    /// A full disk is an error with nothing left behind: with a 16 KiB file-size limit
    /// (RLIMIT_FSIZE, inherited by the daemon) kv_indices.npy (2, 4, 50, 100) int32 = 160 KB
    /// cannot be written: -32006 naming exportPath and EFBIG, no folder (hidden or not) remains,
    /// and a small export then succeeds.
    func testAFailedWriteLeavesNothingBehind() throws {
        let client = try DaemonSupport.withFileSizeLimit(16 << 10) { try daemon() }
        let out = path("masks")
        let params: [String: JSONValue] = ["tokens": .array((0..<100).map { .int(Int64($0 % 250 + 1)) }), "queryBlockSize": 2,
                                           "blockSizes": [1], "estimator": "streaming", "thresholds": [4],
                                           "exportMask": true, "exportPath": .string(out)]
        let e = DaemonSupport.error(client, "pruneSweep", .object(params))
        XCTAssertEqual(e?.code, .exportFailed)
        XCTAssertEqual(e?.data?["path"], .string(out))
        XCTAssertTrue(e?.data?["reason"]?.stringValue?.hasPrefix(String(cString: strerror(EFBIG))) == true, "\(String(describing: e))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no partial folder")
        var small = params
        small["tokens"] = [1, 2, 3, 4]
        let r = try client.request("pruneSweep", params: .object(small), timeout: 60)
        XCTAssertEqual(r["exportedMask"]?["path"]?.stringValue, out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/point-000/mask.json"))
    }
}
