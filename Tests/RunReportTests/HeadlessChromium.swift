import Foundation

/// Runs Debian's `chromium` (or another Chromium build) headless against local files.
struct HeadlessChromium {
    let executable: URL

    /// Names tried on PATH, in order. `CHROMIUM` in the environment overrides the search.
    static let candidateNames = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"]

    /// The first Chromium found, or nil.
    static func find() -> HeadlessChromium? {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["CHROMIUM"], FileManager.default.isExecutableFile(atPath: explicit) {
            return HeadlessChromium(executable: URL(fileURLWithPath: explicit))
        }
        let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin", "/usr/local/bin"]
        for name in candidateNames {
            for dir in path where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return HeadlessChromium(executable: URL(fileURLWithPath: "\(dir)/\(name)"))
            }
        }
        return nil
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Lines Chromium logged for the page's console (`INFO:CONSOLE…`): script errors,
        /// failed resource loads, console.log calls. A clean static page has none.
        var consoleLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") } }
    }

    enum RunError: Error, CustomStringConvertible {
        case timedOut(seconds: Double, arguments: [String])
        var description: String {
            switch self {
            case .timedOut(let s, let args): return "chromium did not finish within \(s) s: \(args.joined(separator: " "))"
            }
        }
    }

    /// Runs chromium with the common headless flags plus `extra`, then `page`. Output goes to
    /// files in `workDirectory` (no pipe deadlocks); the process is terminated after `timeout`.
    func run(_ extra: [String], page: URL, workDirectory: URL, timeout: Double = 90) throws -> Output {
        let arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--user-data-dir=\(workDirectory.appendingPathComponent("profile").path)",
                         "--enable-logging=stderr", "--v=0"] + extra + [page.absoluteString]
        let out = workDirectory.appendingPathComponent("chromium-\(UUID().uuidString).out")
        let err = workDirectory.appendingPathComponent("chromium-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw RunError.timedOut(seconds: timeout, arguments: arguments)
        }
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Screenshots `page` at `width`×`height` CSS pixels into a PNG and decodes it.
    func screenshot(_ page: URL, width: Int, height: Int, workDirectory: URL) throws -> (PNGImage, Output, URL) {
        let png = workDirectory.appendingPathComponent("screenshot-\(UUID().uuidString).png")
        let output = try run(["--hide-scrollbars", "--screenshot=\(png.path)", "--window-size=\(width),\(height)"],
                             page: page, workDirectory: workDirectory)
        return (try PNGImage(data: Data(contentsOf: png)), output, png)
    }
}
