import AttnProtocol

/// The head-role part of `attn profile` (Protocol/README.md §11, head roles): a layers × heads
/// grid of role letters, then one row of scores per head.
enum RolesRenderer {
    /// One head's role and scores (for `texts`: the scores' means, the role decided from them).
    struct Row: Equatable {
        var layer: Int
        var head: Int
        var role: HeadRoleName
        var sink: Double
        var local: Double
        var previousToken: Double
        var duplicateToken: Double
        var induction: Double
        var streamingMass: Double
        var streamingHead: Bool
    }

    /// One letter per role in the grid.
    static func letter(_ role: HeadRoleName) -> String {
        switch role {
        case .induction: return "I"
        case .duplicateToken: return "D"
        case .previousToken: return "P"
        case .sink: return "S"
        case .local: return "L"
        case .diffuse: return "·"
        }
    }

    /// Every head that has its role (all of them, but in runs stored before head roles), layer-major.
    static func rows(_ result: ProfileAttentionResult) -> [Row] {
        if let layers = result.layers {
            return layers.flatMap { l in
                l.heads.compactMap { h -> Row? in
                    guard let role = h.role, let sink = h.sinkScore, let local = h.localScore, let previous = h.previousTokenScore,
                          let duplicate = h.duplicateTokenScore, let induction = h.inductionScore, let mass = h.streamingMass,
                          let streaming = h.streamingHead else { return nil }
                    return Row(layer: l.layer, head: h.head, role: role, sink: sink, local: local, previousToken: previous,
                               duplicateToken: duplicate, induction: induction, streamingMass: mass, streamingHead: streaming)
                }
            }
        }
        return (result.aggregate?.heads ?? []).compactMap { h -> Row? in
            guard let role = h.role, let sink = h.sinkScore, let local = h.localScore, let previous = h.previousTokenScore,
                  let duplicate = h.duplicateTokenScore, let induction = h.inductionScore, let mass = h.streamingMass,
                  let streaming = h.streamingHead else { return nil }
            return Row(layer: h.layer, head: h.head, role: role, sink: sink.mean, local: local.mean, previousToken: previous.mean,
                       duplicateToken: duplicate.mean, induction: induction, streamingMass: mass.mean, streamingHead: streaming)
        }
    }

    /// The grid (layers down, heads across; a head's letter, `*` after a streaming head), its
    /// legend and the per-head table, fitted to the terminal.
    static func render(_ result: ProfileAttentionResult, terminal: Terminal) -> String {
        let rows = rows(result)
        guard !rows.isEmpty else { return "" }
        let heads = (rows.map(\.head).max() ?? 0) + 1
        var grid = [terminal.title("head roles (layers × heads)")]
        grid.append("     " + (0..<heads).map { pad(String($0), 3) }.joined())
        for layer in Array(Set(rows.map(\.layer))).sorted() {
            let cells = (0..<heads).map { head -> String in
                guard let r = rows.first(where: { $0.layer == layer && $0.head == head }) else { return pad("", 3) }
                return pad(letter(r.role) + (r.streamingHead ? "*" : ""), 3)
            }
            grid.append(pad("L\(layer)", 5, left: true) + cells.joined())
        }
        grid.append(Prose.wrap("I induction, D duplicate-token, P previous-token, S sink, L local, · diffuse; "
            + "* streaming head (sink + window keep enough mass)", width: terminal.tableWidth))
        var table = TextTable(headers: ["layer", "head", "role", "sink", "local", "prev", "dup", "induct", "stream", "streaming"],
                              leftAligned: [2], keyColumns: 2)
        for r in rows {
            table.append([String(r.layer), String(r.head), r.role.rawValue, score(r.sink), score(r.local), score(r.previousToken),
                          score(r.duplicateToken), score(r.induction), score(r.streamingMass), r.streamingHead ? "yes" : "no"])
        }
        let note = result.layers == nil ? " (means over texts; roles from the means)" : ""
        return (grid + ["", terminal.title("head-role scores" + note), table.render(width: terminal.tableWidth)])
            .joined(separator: "\n")
    }

    /// A score in [0, 1], 3 decimals.
    static func score(_ value: Double) -> String { String(format: "%.3f", value) }

    /// `text` padded with spaces to `width` characters: left-aligned with `left`, else right-aligned.
    private static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}
