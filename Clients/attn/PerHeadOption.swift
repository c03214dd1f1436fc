import ArgumentParser
import AttnProtocol
import Foundation
import JSONRPC

/// `--per-head RUN|FILE` of `sweep` and `kl`: apply a per-head configuration (Protocol/README.md
/// §10 `calibrate`, `perHead`) instead of one rule for every head.
///
/// RUN is a `calibrate` run id, or any unique prefix of one (sent as `{calibrationRunId}`); FILE,
/// when a file of that name exists, is JSON holding the table itself, a `calibrate` result
/// (`attn calibrate --json`) or a stored run (`attn runs show ID --json`): its `perHead` is sent
/// inline, so it works without the history that stored it.
struct PerHeadOption: ParsableArguments {
    @Option(help: ArgumentHelp("Apply a per-head calibration: a calibrate run id (or unique prefix), or a JSON file of its perHead table or result; fixes rule, values, tiles, estimator and keep policies.", valueName: "run-or-file"))
    var perHead: String?

    /// The options that `--per-head` fixes, by flag, when the command was given them.
    static func refuse(_ given: [(String, Bool)]) throws {
        if let flag = given.first(where: \.1)?.0 {
            throw ValidationError("\(flag) cannot be combined with --per-head: the calibration fixes the rule, its values, the tiles, "
                + "the estimator and the keep policies")
        }
    }

    /// What `--per-head` resolved to: the `perHead` param, and the calibration when known (a run
    /// id's stored result, or a file holding a whole result) for comparison with its own check.
    struct Resolved {
        var param: JSONValue
        var calibration: CalibrateResponse?
        /// The run id, when the configuration is a stored calibration.
        var runId: String?
    }

    /// - Throws: `CLIFailure.usage` for a file that is not a table, result or run, or an id no
    ///   run (or several) starts with.
    func resolve(session: DaemonSession) throws -> Resolved? {
        guard let perHead else { return nil }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: perHead, isDirectory: &isFolder), !isFolder.boolValue {
            return try Self.read(file: perHead)
        }
        let id = try RunIDs.resolve(perHead, session: session)
        let run = try? session.call("runs/get", params: ["id": .string(id)])
        let calibration = run?["result"].flatMap { try? $0.decode(CalibrateResponse.self) }
        if let method = run?["method"]?.stringValue, method != "calibrate" {
            throw CLIFailure.usage("--per-head \(perHead): run \(id) is a \(method) run; give a calibrate run (attn runs list shows each run's method)")
        }
        return Resolved(param: ["calibrationRunId": .string(id)], calibration: calibration, runId: id)
    }

    /// A JSON file: the table itself, a calibrate result or a stored calibrate run.
    static func read(file path: String) throws -> Resolved {
        let json: JSONValue
        do { json = try JSONParser.parse(try Input.read(file: path)) } catch let failure as CLIFailure {
            throw failure
        } catch {
            throw CLIFailure.usage("--per-head \(path): not JSON (\(error)); give a calibrate run id or a JSON file of its perHead table")
        }
        let result = json["result"]?["perHead"] != nil ? json["result"] : json
        if let table = result?["perHead"], table.objectValue != nil {
            return Resolved(param: table, calibration: try? result?.decode(CalibrateResponse.self), runId: result?["runId"]?.stringValue)
        }
        if json["values"]?.arrayValue != nil { return Resolved(param: json, calibration: nil, runId: nil) }
        throw CLIFailure.usage("--per-head \(path): the JSON has no perHead table (expected the table {estimator, selection, blockSize, "
            + "values, …}, a calibrate result or a stored calibrate run)")
    }
}

/// `calibrate`'s result on the wire (its members and the analysis fields).
typealias CalibrateResponse = AnalysisResult<CalibrateResult>
