import AttnProtocol

/// An aligned plain-text table: a header row, a rule, then rows. Cells are padded to the
/// widest cell of their column (counted in Characters); text columns align left, the rest right.
///
/// Fitting a width (`render(width:)`): first the `elidable` columns are cut down (a cut cell
/// ends in `…`, never below the column's minimum); if the table is still too wide, its other
/// columns are wrapped into several stacked tables, each repeating the first `keyColumns`
/// columns (e.g. the layer) so every block reads on its own.
struct TextTable {
    var headers: [String]
    /// Columns aligned left (by index); all others align right.
    var leftAligned: Set<Int> = [0]
    /// Leading columns repeated in every block when the table wraps.
    var keyColumns = 1
    /// Columns that may be cut to fit, with the narrowest they may become (characters).
    var elidable: [Int: Int] = [:]
    var rows: [[String]] = []

    init(headers: [String], leftAligned: Set<Int> = [0], keyColumns: Int = 1, elidable: [Int: Int] = [:]) {
        self.headers = headers
        self.leftAligned = leftAligned
        self.keyColumns = keyColumns
        self.elidable = elidable
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines, columns separated by two spaces, fitted to `width` columns when given
    /// (nil: as wide as it needs).
    func render(width: Int? = nil) -> String {
        let columnCount = ([headers.count] + rows.map(\.count)).max() ?? 0
        let all = ([headers] + rows).map { row in (0..<columnCount).map { $0 < row.count ? row[$0] : "" } }
        var widths = Array(repeating: 0, count: columnCount)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func total(_ columns: [Int]) -> Int { columns.map { widths[$0] }.reduce(0, +) + 2 * max(0, columns.count - 1) }
        guard let width, total(Array(0..<columnCount)) > width else {
            return block(all, columns: Array(0..<columnCount), widths: widths)
        }
        // 1. Cut elidable columns, widest first, one character at a time.
        while total(Array(0..<columnCount)) > width,
              let widest = elidable.filter({ widths[$0.key] > $0.value }).max(by: { widths[$0.key] < widths[$1.key] })?.key {
            widths[widest] -= 1
        }
        let fitted = all.map { row in row.enumerated().map { index, cell in Self.cut(cell, to: widths[index]) } }
        guard total(Array(0..<columnCount)) > width else { return block(fitted, columns: Array(0..<columnCount), widths: widths) }
        // 2. Wrap the other columns into blocks that fit beside the key columns.
        let keys = Array(0..<min(keyColumns, columnCount))
        var blocks: [[Int]] = []
        var current: [Int] = []
        for column in keys.count..<columnCount {
            if !current.isEmpty, total(keys + current + [column]) > width {
                blocks.append(current)
                current = []
            }
            current.append(column)
        }
        if !current.isEmpty { blocks.append(current) }
        return blocks.map { block(fitted, columns: keys + $0, widths: widths) }.joined(separator: "\n\n")
    }

    private func block(_ table: [[String]], columns: [Int], widths: [Int]) -> String {
        func line(_ row: [String]) -> String {
            var text = columns.map { index -> String in
                let cell = row[index]
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return leftAligned.contains(index) ? cell + padding : padding + cell
            }.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = columns.map { String(repeating: "─", count: widths[$0]) }.joined(separator: "  ")
        return ([line(table[0]), rule] + table.dropFirst().map(line)).joined(separator: "\n")
    }

    /// `text` cut to `width` characters, ending in `…` when cut.
    static func cut(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        return width <= 1 ? String(text.prefix(width)) : String(text.prefix(width - 1)) + "…"
    }
}

/// Sentences printed under tables, word-wrapped to the table width.
enum Prose {
    /// `text` broken at spaces into lines of at most `width` characters (nil: one line).
    static func wrap(_ text: String, width: Int?) -> String {
        guard let width, text.count > width else { return text }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = "  " + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}

/// Number formats shared by the tables.
enum Format {
    /// A divergence in nats, 4 significant digits (`0.01985`, `1.623`, `2.1e-05`).
    static func nats(_ value: Double?) -> String {
        guard let value else { return "—" }
        if value == 0 { return "0" }
        return String(format: "%.4g", value)
    }

    /// A fraction as a percentage with one decimal (`53.6%`).
    static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.1f%%", value * 100)
    }

    /// A difference of two fractions in percentage points (`+5.0 pp`, not a relative %).
    static func points(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.1f pp", value * 100)
    }

    /// A probability as a percentage: one decimal from 0.1% on, two significant digits below
    /// (`0.031%`), so a small candidate never shows as `0.0%`.
    static func probability(_ value: Double) -> String {
        if value >= 0.001 || value == 0 { return String(format: "%.1f%%", value * 100) }
        return String(format: "%.2g%%", value * 100)
    }

    /// A mean NLL in nats, always 3 decimals (`11.183`), the same in every table.
    static func nll(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.3f", value)
    }

    /// A plain number, 4 significant digits.
    static func number(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.4g", value)
    }

    /// A rule value: an integer when integral (k of topK), else as short as exact (`0.005`, `0.0005`).
    static func ruleValue(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    /// How a rule's value is named in column headers: `τ`, `c` (relativeThreshold: the cut is
    /// c / visible keys), `coverage` or `k`.
    static func ruleName(_ selection: Selection) -> String {
        switch selection {
        case .threshold: return "τ"
        case .relativeThreshold: return "c"
        case .coverage: return "coverage"
        case .topK: return "k"
        case .window: return "window"
        }
    }

    /// A token piece made visible: spaces as `·`, newlines as `⏎`, tabs as `⇥`.
    static func piece(_ text: String) -> String {
        text.replacingOccurrences(of: " ", with: "·")
            .replacingOccurrences(of: "\n", with: "⏎")
            .replacingOccurrences(of: "\t", with: "⇥")
            .replacingOccurrences(of: "\r", with: "␍")
    }
}
