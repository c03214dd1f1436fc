import AttentionAnalysis
import AttnProtocol
import Foundation
import JSONRPC
import Kernels

/// `pruneSweep`'s `exportMask` (Protocol/README.md §10, `exportMask`): per point, the kept tiles
/// of every layer and head that the attention-level point scores, in FlexAttention `BlockMask`
/// layout, written as a new folder:
///
///     exportPath/
///       point-000/ kv_num_blocks.npy (L, H, Nq) int32, kv_indices.npy (L, H, Nq, Nk),
///                  full_kv_num_blocks.npy, full_kv_indices.npy, dense_rows.npy (L, H, T),
///                  mask.json (block sizes, tokens, the point's settings)
///       point-001/ …
///
/// Everything is written into a new hidden folder beside `exportPath` (each file created with
/// `O_EXCL | O_NOFOLLOW` and `fsync`ed by `NpyWriter`), which is renamed into place at the end
/// with `RENAME_NOREPLACE`: nothing already at `exportPath` is ever replaced, and a failed or
/// cancelled export leaves nothing behind.
/// - Important: used from the compute queue, one export at a time per request.
struct MaskExport {
    typealias Failure = ExportDestination.Failure

    /// One point's masks and what `mask.json` says about it.
    struct Point {
        let plan: TilePointPlan
        /// `masks[l][h]`
        let masks: [[TileMask]]
    }

    let destination: ExportDestination

    /// Writes every point and renames the folder into place; returns the wire summary.
    func write(_ points: [Point], params p: PruneSweepParams, tokens: [Int]) throws -> ExportedMask {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let staging = (destination.folder == "/" ? "" : destination.folder) + "/.attnd-export-\(getpid())-\(suffix).partial"
        guard mkdir(staging, 0o755) == 0 else {
            throw Failure.io(destination.path, "cannot create a temporary folder in \(destination.folder): \(String(cString: strerror(errno)))")
        }
        do {
            var written: [ExportedMaskPoint] = []
            for (index, point) in points.enumerated() {
                let name = String(format: "point-%03d", index)
                let folder = staging + "/" + name
                guard mkdir(folder, 0o755) == 0 else { throw Failure.io(destination.path, "mkdir \(name): \(String(cString: strerror(errno)))") }
                let flex = try FlexBlockMask(masks: point.masks, allowingFallback: true)
                try writePoint(flex, into: folder, settings: settings(point, index: index, params: p, tokens: tokens, flex: flex))
                written.append(ExportedMaskPoint(folder: name, blockSize: point.plan.geometry.keyBlockSize,
                                                 threshold: point.plan.value, fallbackRows: flex.fallbackRows))
            }
            try destination.checkReplaceable(overwrite: false)
            guard MaskExport.renameNoReplace(staging, destination.path) == 0 else {
                let why = errno == EEXIST ? "something appeared at the path meanwhile" : String(cString: strerror(errno))
                throw Failure.io(destination.path, why)
            }
            NpyWriter.syncFolder(destination.folder)
            return ExportedMask(path: destination.path, queryBlockSize: p.queryBlockSize, points: written)
        } catch Failure.io(let file, let why) {
            try? FileManager.default.removeItem(atPath: staging)
            // Name the folder asked for, not the hidden one being written (`file` may be inside it).
            throw Failure.io(destination.path, file == destination.path ? why : "\(why) (writing \(file.split(separator: "/").suffix(2).joined(separator: "/")))")
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's `renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE)`, looked up at run time
    /// (the Swift Glibc module does not export it); where it is missing, `rename(2)` after the
    /// caller's check (which then could replace an empty folder created in between).
    private static let renameAt2: RenameAt2? = dlsym(nil, "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }

    /// Renames `from` to `to` without replacing anything at `to`; 0 or -1 with `errno`.
    static func renameNoReplace(_ from: String, _ to: String) -> Int32 {
        let atCurrentDirectory: Int32 = -100    // AT_FDCWD
        let noReplace: UInt32 = 1               // RENAME_NOREPLACE
        if let renameAt2 {
            let r = renameAt2(atCurrentDirectory, from, atCurrentDirectory, to, noReplace)
            if r == 0 || errno != ENOSYS && errno != EINVAL { return r }
        }
        return rename(from, to)
    }

    private func writePoint(_ flex: FlexBlockMask, into folder: String, settings: JSONValue) throws {
        let (l, h, g) = (flex.layers, flex.heads, flex.geometry)
        let arrays: [(String, [Int], [Int32])] = [
            ("kv_num_blocks", [l, h, g.queryBlocks], flex.kvNumBlocks),
            ("kv_indices", [l, h, g.queryBlocks, g.keyBlocks], flex.kvIndices),
            ("full_kv_num_blocks", [l, h, g.queryBlocks], flex.fullKvNumBlocks),
            ("full_kv_indices", [l, h, g.queryBlocks, g.keyBlocks], flex.fullKvIndices),
            ("dense_rows", [l, h, g.tokens], flex.denseRows),
        ]
        for (name, shape, values) in arrays {
            let file = ExportDestination(path: folder + "/" + name + ".npy", folder: folder)
            let writer = try NpyWriter(destination: file, shape: shape, overwrite: false, element: .int32)
            do {
                try writer.append(values)
                try writer.finish()
            } catch {
                writer.abandon()
                throw error
            }
        }
        try NpyWriter.writeNewFile(Array(JSONWriter.data(settings)) + [0x0a], at: folder + "/mask.json")
    }

    /// `mask.json`: what a reader needs to rebuild the `BlockMask` and to know what it masks.
    private func settings(_ point: Point, index: Int, params p: PruneSweepParams, tokens: [Int], flex: FlexBlockMask) -> JSONValue {
        let g = point.plan.geometry
        var rule: [String: JSONValue] = [
            "estimator": .string(p.estimator.rawValue), "selection": .string(p.selection.rawValue),
            "threshold": .double(point.plan.value), "blockSize": .int(Int64(g.keyBlockSize)),
            "queryBlockSize": .int(Int64(g.queryBlockSize)), "keepSink": .bool(p.keepSink), "keepLocal": .bool(p.keepLocal),
        ]
        switch p.estimator {
        case .antidiagonal: rule["stride"] = .int(Int64(p.stride))
        case .lastQueries: rule["lastQueries"] = .int(Int64(p.lastQueries))
        case .streaming: rule["sinkTokens"] = .int(Int64(p.sinkTokens))
        case .oracle, .meanPool, .quest: break
        }
        return .object([
            "format": "selectattention-flex-block-mask/1",
            "point": .int(Int64(index)),
            "settings": .object(rule),
            "BLOCK_SIZE": .array([.int(Int64(g.queryBlockSize)), .int(Int64(g.keyBlockSize))]),
            "layers": .int(Int64(flex.layers)), "heads": .int(Int64(flex.heads)),
            "numTokens": .int(Int64(tokens.count)), "tokens": .array(tokens.map { .int(Int64($0)) }),
            "queryBlocks": .int(Int64(g.queryBlocks)), "keyBlocks": .int(Int64(g.keyBlocks)),
            "maskMod": "causal",
            "fallbackRows": .int(Int64(flex.fallbackRows)),
            "scored": "attention level: the masks chosen from the dense pass (its Q and K, or its exact attention for the oracle), the ones this point's prunedMass, attentionKL and recall score; an endToEnd pass chooses its own masks layer by layer in the pruned run",
        ])
    }
}
