import Foundation

/// Number and date formatting for labels, tables and SVG coordinates.
enum NumberFormat {
    /// A coordinate in SVG user units (pixels), 2 decimals, trailing zeros trimmed.
    static func coordinate(_ v: Double) -> String {
        trimZeros(String(format: "%.2f", v.isFinite ? v : 0))
    }

    /// A data value for labels and tables: 4 significant digits; exponent form below 1e-3
    /// and from 1e5 on (`5e-4`, `0.002`, `0.1235`, `12.5`).
    static func value(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "∞" : "−∞") }
        if v == 0 { return "0" }
        if v == v.rounded(), abs(v) < 1e5 { return String(Int(v)) }
        if abs(v) < 1e-3 || abs(v) >= 1e5 {
            return cleanExponent(String(format: "%.2e", v))  // 5.00e-04 → 5e-4
        }
        return trimZeros(String(format: "%.4g", v))
    }

    /// A tick label on a linear axis whose ticks are `step` apart.
    static func tick(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let s = String(format: "%.\(min(decimals, 10))f", abs(v) < step * 1e-9 ? 0 : v)
        return s
    }

    /// `2024-05-01T12:34:56Z` for milliseconds since the epoch (UTC, ISO 8601).
    static func isoDate(ms: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: ms / 1000))
    }

    /// `850 ms`, `1.23 s`, `2 min 5.0 s` for a duration in milliseconds.
    static func duration(ms: Double) -> String {
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let seconds = ms / 1000
        if seconds < 60 { return "\(trimZeros(String(format: "%.2f", seconds))) s" }
        let minutes = Int(seconds / 60)
        return "\(minutes) min \(String(format: "%.1f", seconds - Double(minutes) * 60)) s"
    }

    private static func trimZeros(_ s: String) -> String {
        guard s.contains("."), !s.contains("e") else { return s == "-0" ? "0" : s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t == "-0" ? "0" : t
    }

    /// `5.00e-04` → `5e-4`, `1.20e+05` → `1.2e5`.
    private static func cleanExponent(_ s: String) -> String {
        guard let e = s.firstIndex(of: "e") else { return trimZeros(s) }
        let mantissa = trimZeros(String(s[..<e]))
        var exponent = String(s[s.index(after: e)...])
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "-" || $0 == "+" || $0 == "0" })
        return mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
    }
}
