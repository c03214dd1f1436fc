import AttentionAnalysis
import Foundation
import JSONRPC
import Kernels

/// Refuses the numbers of a pass that produced NaN or an infinity: `-32009 nonFiniteResult`
/// naming the quantity (and layer or sweep point), instead of an internal error from the JSON
/// encoder or a plausible-looking wrong number.
///
/// Weights are already known to be finite (the loader refuses NaN/Inf weights); a non-finite
/// value here means huge weights overflowed float32 on this input. Checked: every dense layer's
/// attention `(H, T, T)`, the dense and the pruned logits `(T, V)`, and every number of the
/// result. `forward`, which reads no attention, checks its logits in `DenseLogitsReference`'s
/// row pass and scans the attention only when they are non-finite (a NaN or infinity in any
/// layer's attention reaches the logits), to name the layer as the other methods do.
/// Pure functions; safe from any thread.
enum FiniteGuard {
    /// Throws `-32009` when `values` holds a non-finite number.
    /// - Parameters:
    ///   - quantity: `attention`, `logits` or `prunedLogits`.
    ///   - layer: the layer of a per-layer quantity; `point`: the sweep point of a pruned pass.
    static func check(_ values: UnsafeBufferPointer<Float>, quantity: String, layer: Int? = nil, point: Int? = nil) throws {
        guard let i = NonFiniteScan.firstNonFinite(values) else { return }
        throw error(quantity: quantity, layer: layer, point: point, value: Double(values[i]))
    }

    static func check(_ values: [Float], quantity: String, point: Int? = nil) throws {
        try values.withUnsafeBufferPointer { try check($0, quantity: quantity, point: point) }
    }

    /// Runs `body` (a `DenseLogitsReference` init or `compare`, which check the logits in their
    /// row pass), turning the `NonFiniteLogits` it throws into `-32009` naming `quantity`
    /// (`logits`, `prunedLogits`) and `point` — the error `check(_:quantity:point:)` gives.
    static func checking<T>(_ quantity: String, point: Int? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let found as NonFiniteLogits {
            throw error(quantity: quantity, layer: nil, point: point, value: Double(found.value))
        }
    }

    /// Throws `-32009` naming the first (in key order) field of `result` that holds a
    /// non-finite number, by its path (`layers[0].heads[1].sinkMass`).
    static func check(result: [String: JSONValue]) throws {
        // One walk without paths (the common case: every number finite), paths only on a hit.
        guard !isFinite(.object(result)) else { return }
        if let (path, value) = firstNonFinite(.object(result), path: "") {
            throw error(quantity: path, layer: nil, point: nil, value: value)
        }
    }

    /// The JSON encoder's refusal of a non-finite number turned into `-32009` naming the
    /// field's path; any other error unchanged.
    static func translating(_ error: Error) -> Error {
        guard case EncodingError.invalidValue(let value, let context) = error else { return error }
        let number = (value as? Double) ?? (value as? Float).map(Double.init) ?? .nan
        guard !number.isFinite else { return error }
        return self.error(quantity: path(context.codingPath), layer: nil, point: nil, value: number)
    }

    static func error(quantity: String, layer: Int?, point: Int?, value: Double) -> RPCError {
        let name = value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf")
        var data: [String: JSONValue] = ["quantity": .string(quantity), "value": .string(name)]
        var place = quantity
        if let layer {
            data["layer"] = .int(Int64(layer))
            place = "layer \(layer)'s \(quantity)"
        }
        if let point {
            data["point"] = .int(Int64(point))
            place = "\(quantity) of sweep point \(point)"
        }
        return RPCError(.nonFiniteResult,
                        "the pass produced \(name) in \(place): the model's weights overflow float32 on this input; no result is reported",
                        data: .object(data))
    }

    private static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let d): return d.isFinite
        case .array(let elements): return elements.allSatisfy(isFinite)
        case .object(let members): return members.values.allSatisfy(isFinite)
        default: return true
        }
    }

    private static func firstNonFinite(_ value: JSONValue, path: String) -> (String, Double)? {
        switch value {
        case .double(let d) where !d.isFinite:
            return (path, d)
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                if let hit = firstNonFinite(element, path: "\(path)[\(i)]") { return hit }
            }
        case .object(let members):
            for key in members.keys.sorted() {
                if let hit = firstNonFinite(members[key]!, path: path.isEmpty ? key : "\(path).\(key)") { return hit }
            }
        default:
            break
        }
        return nil
    }

    private static func path(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let i = key.intValue, key.stringValue == "Index \(i)" || key.stringValue == "\(i)" {
                text += "[\(i)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}
