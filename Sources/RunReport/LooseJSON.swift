import Foundation

/// Tolerant readers for values that came out of `JSONSerialization` (not a JSON value type:
/// the report reads stored runs leniently, leaving out what is missing or malformed).
///
/// JSON numbers arrive as `Int`, `Double` or `NSNumber` depending on the platform; these
/// helpers accept all three and return `nil` for anything else (missing, null, wrong type,
/// not finite), so an optional field that is absent or malformed is simply left out.
enum LooseJSON {
    static func double(_ value: Any?) -> Double? {
        let number: Double?
        switch value {
        case let v as Double: number = v
        case let v as Int: number = Double(v)
        case let v as NSNumber: number = v.doubleValue
        default: number = nil
        }
        guard let finite = number, finite.isFinite else { return nil }
        return finite
    }

    static func int(_ value: Any?) -> Int? {
        guard let v = double(value), v == v.rounded(), abs(v) < 9.0e15 else { return nil }
        return Int(v)
    }

    static func string(_ value: Any?) -> String? { value as? String }

    static func object(_ value: Any?) -> [String: Any]? { value as? [String: Any] }

    static func objects(_ value: Any?) -> [[String: Any]] {
        (value as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
    }

    /// A compact, deterministic JSON rendering of `value` for display (sorted keys).
    static func compactText(_ value: Any) -> String {
        if let s = value as? String { return s }
        if let d = double(value), !(value is Bool) { return NumberFormat.value(d) }
        if JSONSerialization.isValidJSONObject([value]),
           let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
           var text = String(data: data, encoding: .utf8) {
            // Strip the wrapping array added to accept fragments.
            text.removeFirst()
            text.removeLast()
            return text
        }
        return String(describing: value)
    }
}
