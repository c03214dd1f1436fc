import Foundation

/// A socket path inside a fresh folder of the test's own (mode 0700, from `mkdtemp`), as the
/// daemon and the client require: a socket in a folder other users can write (`/tmp` itself)
/// is refused (`SocketFolder`).
public enum PrivateSocketPath {
    /// `<fresh 0700 folder>/<name>`; remove the folder with `remove(_:)`.
    public static func make(_ name: String = "attnd.sock") -> String {
        var template = Array("/tmp/attnd-sock-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed: errno \(errno)") }
            return String(cString: made)
        }
        return folder + "/" + name
    }

    /// Removes the socket's folder and everything in it.
    public static func remove(_ socketPath: String) {
        try? FileManager.default.removeItem(atPath: (socketPath as NSString).deletingLastPathComponent)
    }
}
