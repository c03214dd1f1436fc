import Foundation
import XCTest

/// Where SwiftPM put the executables (`attnd`, `attn`) that tests spawn: the products folder
/// next to the test bundle (`.build/debug` after `swift build --build-tests`).
public enum BuiltProducts {
    /// The products folder holding every name in `executables`, if any.
    public static func folder(containing executables: [String] = ["attnd"]) -> URL? {
        var folders = [Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
                       URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return folders.first { folder in
            executables.allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
        }
    }

    /// The built executable `name`; fails the test (and skips the rest) when it is missing.
    public static func executable(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let folder = folder(containing: [name]) else {
            XCTFail("\(name) not found next to the test bundle; run `swift build --build-tests` first", file: file, line: line)
            throw XCTSkip("\(name) missing")
        }
        return folder.appendingPathComponent(name)
    }
}
