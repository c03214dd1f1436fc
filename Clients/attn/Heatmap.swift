/// A terminal heatmap: one line per row, one glyph per column, in the shades ` ░▒▓█`.
///
/// A value `v` of a row is drawn at level `ceil(4 · v / maximum)` (clamped to 1…4) so that any
/// non-zero value stays visible; exactly 0 is level 0. `nil` cells (e.g. causally masked
/// blocks) are drawn as `blankGlyph`. When a row has more columns than `maxColumns`, adjacent
/// columns are averaged in groups of `ceil(count / maxColumns)` (nil cells ignored).
struct Heatmap {
    static let shades: [Character] = [" ", "░", "▒", "▓", "█"]
    /// ANSI 256 colours for levels 1…4 (yellow to dark red; grey levels read in print too).
    static let palette = [229, 214, 202, 124]

    var rowLabels: [String]
    var rows: [[Double?]]
    /// The value drawn as a full block; values above it are clamped.
    var maximum: Double
    /// The glyph for a level-0 value (default a space).
    var zeroGlyph: Character = " "
    var blankGlyph: Character = " "
    var maxColumns: Int = 100

    /// Columns merged into one glyph (1 when the rows fit).
    var groupSize: Int {
        let count = rows.map(\.count).max() ?? 0
        return max(1, (count + maxColumns - 1) / maxColumns)
    }

    /// The level 0…4 of one value.
    static func level(_ value: Double, maximum: Double) -> Int {
        guard value > 0, maximum > 0 else { return 0 }
        return min(4, max(1, Int((4 * value / maximum).rounded(.up))))
    }

    func render(terminal: Terminal) -> [String] {
        let labelWidth = rowLabels.map(\.count).max() ?? 0
        let group = groupSize
        return zip(rowLabels, rows).map { label, values in
            var line = label + String(repeating: " ", count: labelWidth - label.count) + " │"
            var start = 0
            while start < values.count {
                let cells = values[start..<min(values.count, start + group)].compactMap { $0 }
                start += group
                guard !cells.isEmpty else {
                    line.append(blankGlyph)
                    continue
                }
                let level = Heatmap.level(cells.reduce(0, +) / Double(cells.count), maximum: maximum)
                let glyph = level == 0 ? zeroGlyph : Heatmap.shades[level]
                line += level == 0 ? String(glyph) : terminal.paint(String(glyph), colour256: Heatmap.palette[level - 1])
            }
            return line + "│"
        }
    }

    /// A legend line: what each shade means.
    func legend(unit: String) -> String {
        let step = maximum / 4
        let parts = (1...4).map { level in
            "\(Heatmap.shades[level]) ≤ \(Format.number(step * Double(level)))"
        }
        var text = "scale: '\(zeroGlyph)' = 0, " + parts.joined(separator: ", ") + " \(unit)"
        if groupSize > 1 { text += "; each column is the mean of \(groupSize) positions" }
        return text
    }

    /// An x-axis line under the map: a tick label every `every` columns (in data positions).
    func axis(count: Int, every: Int = 10) -> String {
        let labelWidth = rowLabels.map(\.count).max() ?? 0
        let group = groupSize
        let columns = (count + group - 1) / group
        var axis = Array(repeating: Character(" "), count: columns + 8)
        var column = 0
        while column < columns {
            let label = Array(String(column * group))
            if column + label.count <= axis.count {
                for (offset, character) in label.enumerated() { axis[column + offset] = character }
            }
            column += max(every, label.count + 1)
        }
        var text = String(repeating: " ", count: labelWidth + 2) + String(axis)
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
