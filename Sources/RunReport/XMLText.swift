/// Escaping for text that goes into SVG/HTML. Everything user-supplied (token text, params,
/// ids, titles) passes through here, so `<script>` in a token becomes `&lt;script&gt;`.
enum XMLText {
    /// Character data: escapes `&`, `<`, `>`; replaces characters XML 1.0 forbids
    /// (controls other than tab/newline/carriage return) with U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                out.unicodeScalars.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    /// XML 1.0's Char production.
    private static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// A token's text made visible in a label: spaces as `␣`, newline `↵`, tab `⇥`, other
    /// controls `�`; cut to `maxLength` characters with `…`. Not escaped: pass to `escape`.
    static func tokenLabel(_ piece: String, maxLength: Int = 10) -> String {
        var out = ""
        for ch in piece {
            switch ch {
            case " ": out += "␣"
            case "\n", "\r\n": out += "↵"
            case "\t": out += "⇥"
            default:
                out += ch.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) ? String(ch) : "\u{FFFD}"
            }
        }
        return out.count > maxLength ? String(out.prefix(maxLength - 1)) + "…" : out
    }
}
