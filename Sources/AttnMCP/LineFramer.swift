import Foundation

/// Splits a byte stream into newline-delimited messages (MCP's stdio framing).
///
/// A message ends at `\n`; a `\r` just before it is dropped; blank lines are skipped. A line
/// longer than `maxLineBytes` is reported once as `.tooLong` and skipped up to its newline,
/// without being kept in memory. Not thread-safe: one reader owns it.
struct LineFramer {
    enum Event: Equatable {
        case line(Data)
        case tooLong(limitBytes: Int)
    }

    let maxLineBytes: Int
    private var pending = Data()
    private var skipping = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Feeds `chunk` (any split of the stream) and returns the complete events it finishes.
    mutating func consume(_ chunk: Data) -> [Event] {
        var events: [Event] = []
        var start = chunk.startIndex
        while start < chunk.endIndex {
            guard let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                append(chunk[start...], into: &events)
                break
            }
            append(chunk[start..<newline], into: &events)
            if skipping {
                skipping = false
            } else {
                var line = pending
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.count > maxLineBytes {
                    events.append(.tooLong(limitBytes: maxLineBytes))
                } else if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { events.append(.line(line)) }
            }
            pending = Data()
            start = chunk.index(after: newline)
        }
        return events
    }

    private mutating func append(_ bytes: Data, into events: inout [Event]) {
        guard !skipping else { return }
        // +1 allows the `\r` of a `\r\n` ending on a line of exactly the limit.
        if pending.count + bytes.count > maxLineBytes + 1 {
            pending = Data()
            skipping = true
            events.append(.tooLong(limitBytes: maxLineBytes))
            return
        }
        pending.append(bytes)
    }
}
