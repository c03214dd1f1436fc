import AttnProtocol

/// An aligned plain-text table: a header row, a rule, then rows. Cells are padded to the
/// widest cell of their column (counted in Characters); text columns align left, the rest right.
struct TextTable {
    var headers: [String]
    /// Columns aligned left (by index); all others align right.
    var leftAligned: Set<Int> = [0]
    var rows: [[String]] = []

    init(headers: [String], leftAligned: Set<Int> = [0]) {
        self.headers = headers
        self.leftAligned = leftAligned
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines, columns separated by two spaces.
    func render() -> String {
        let columnCount = ([headers.count] + rows.map(\.count)).max() ?? 0
        var widths = Array(repeating: 0, count: columnCount)
        for row in [headers] + rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ row: [String]) -> String {
            var cells: [String] = []
            for index in 0..<columnCount {
                let cell = index < row.count ? row[index] : ""
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                cells.append(leftAligned.contains(index) ? cell + padding : padding + cell)
            }
            var text = cells.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
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

    /// How a rule's value is named in column headers: `τ`, `coverage` or `k`.
    static func ruleName(_ selection: Selection) -> String {
        switch selection {
        case .threshold: return "τ"
        case .coverage: return "coverage"
        case .topK: return "k"
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
