import XCTest
@testable import GPT2

/// Model resolution on a fake HuggingFace hub cache.
final class ModelLocatorTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    /// Creates `<root>/models--<repo>/snapshots/<revision>/config.json`, with refs/main when asked.
    @discardableResult
    private func cacheModel(root: String, repo: String, revision: String, refsMain: Bool = true) throws -> URL {
        let repoFolder = "\(root)/models--\(repo)"
        try folder.write("{}", to: "\(repoFolder)/snapshots/\(revision)/config.json")
        if refsMain { try folder.write(revision + "\n", to: "\(repoFolder)/refs/main") }
        return folder.url.appendingPathComponent("\(repoFolder)/snapshots/\(revision)")
    }

    private func path(_ relative: String) -> String { folder.url.appendingPathComponent(relative).path }

    func testFolderPathsAbsoluteAndTilde() throws {
        try folder.write("{}", to: "models/tiny/config.json")
        let expected = folder.url.appendingPathComponent("models/tiny").standardizedFileURL
        XCTAssertEqual(try ModelLocator.resolve(path("models/tiny"), environment: [:]), expected)
        XCTAssertEqual(try ModelLocator.resolve("~/models/tiny", environment: ["HOME": folder.url.path]), expected)
        XCTAssertThrowsError(try ModelLocator.resolve(path("models"), environment: [:])) { error in
            XCTAssertEqual(error as? ModelLocatorError, .noConfig(folder: self.path("models")))
        }
        XCTAssertThrowsError(try ModelLocator.resolve(path("absent"), environment: [:])) { error in
            XCTAssertEqual(error as? ModelLocatorError, .folderNotFound(path: self.path("absent")))
        }
    }

    func testRelativeFolderPath() throws {
        try folder.write("{}", to: "rel/m/config.json")
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.url.path))
        let expected = folder.url.appendingPathComponent("rel/m").standardizedFileURL.resolvingSymlinksInPath()
        XCTAssertEqual(try ModelLocator.resolve("rel/m", environment: [:]).resolvingSymlinksInPath(), expected)
        XCTAssertEqual(try ModelLocator.resolve("./rel/m", environment: [:]).resolvingSymlinksInPath(), expected)
    }

    func testCacheRootPrecedence() throws {
        let hubCache = try cacheModel(root: "hubcache", repo: "gpt2", revision: "aaa")
        let hfHome = try cacheModel(root: "hfhome/hub", repo: "gpt2", revision: "bbb")
        let xdg = try cacheModel(root: "xdg/huggingface/hub", repo: "gpt2", revision: "ccc")
        let home = try cacheModel(root: "home/.cache/huggingface/hub", repo: "gpt2", revision: "ddd")
        let all = ["HF_HUB_CACHE": path("hubcache"), "HF_HOME": path("hfhome"), "XDG_CACHE_HOME": path("xdg"), "HOME": path("home")]
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: all), hubCache)
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: all.filter { $0.key != "HF_HUB_CACHE" }), hfHome)
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: ["XDG_CACHE_HOME": path("xdg"), "HOME": path("home")]), xdg)
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: ["HOME": path("home")]), home)
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: ["HF_HUB_CACHE": "", "HOME": path("home")]), home, "empty variable is unset")
    }

    /// The folder downloads go to (the daemon hands it to `HubDownloader`) is the one the
    /// locator searches: one definition for both.
    func testHubCacheRootFollowsTheEnvironment() {
        XCTAssertEqual(ModelLocator.hubCacheRoot(environment: ["HF_HOME": "/h"]).path, "/h/hub")
        XCTAssertEqual(ModelLocator.hubCacheRoot(environment: ["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]).path, "/c")
        XCTAssertEqual(ModelLocator.hubCacheRoot(environment: ["HOME": "/home/u"]).path, "/home/u/.cache/huggingface/hub")
        XCTAssertEqual(ModelLocator.hubCacheRoot(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/home/u"]).path, "/x/huggingface/hub")
    }

    func testRefsMainChoosesTheSnapshot() throws {
        try cacheModel(root: "hub", repo: "openai-community--gpt2", revision: "old", refsMain: false)
        let current = try cacheModel(root: "hub", repo: "openai-community--gpt2", revision: "new")
        let env = ["HF_HUB_CACHE": path("hub")]
        XCTAssertEqual(try ModelLocator.resolve("openai-community/gpt2", environment: env), current)
        XCTAssertEqual(try ModelLocator.resolve("gpt2", environment: env), current, "bare gpt2 also tries openai-community")
    }

    func testSingleSnapshotWithoutRefsMain() throws {
        let only = try cacheModel(root: "hub", repo: "distilbert--distilgpt2", revision: "123abc", refsMain: false)
        XCTAssertEqual(try ModelLocator.resolve("distilgpt2", environment: ["HF_HUB_CACHE": path("hub")]), only)
    }

    func testOrganisationNameFallsBackToTheBareFolder() throws {
        let bare = try cacheModel(root: "hub", repo: "gpt2", revision: "r1")
        XCTAssertEqual(try ModelLocator.resolve("openai-community/gpt2", environment: ["HF_HUB_CACHE": path("hub")]), bare)
    }

    func testNothingFoundListsEveryPlaceAndHowToGetIt() throws {
        try cacheModel(root: "hub", repo: "gpt2", revision: "x", refsMain: false)
        try cacheModel(root: "hub", repo: "gpt2", revision: "y", refsMain: false)
        try folder.write("deadbeef", to: "hub/models--openai-community--gpt2/refs/main")
        XCTAssertThrowsError(try ModelLocator.resolve("gpt2", environment: ["HF_HUB_CACHE": path("hub")])) { error in
            guard case .notFound(let name, let searched)? = error as? ModelLocatorError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "gpt2")
            XCTAssertEqual(searched.count, 3)
            XCTAssertTrue(searched[1].hasPrefix(self.path("hub/models--gpt2")) && searched[1].contains("2 snapshots"), searched[1])
            XCTAssertTrue(searched[2].hasPrefix(self.path("hub/models--openai-community--gpt2")) && searched[2].contains("deadbeef"), searched[2])
            let message = "\(error)"
            XCTAssertTrue(message.contains("attn model pull gpt2"), message)
            XCTAssertTrue(message.contains("huggingface-cli download gpt2 config.json model.safetensors vocab.json merges.txt"), message)
        }
        XCTAssertThrowsError(try ModelLocator.resolve("distilgpt2", environment: ["HOME": path("nohome")])) { error in
            guard case .notFound(_, let searched)? = error as? ModelLocatorError else { return XCTFail("\(error)") }
            XCTAssertEqual(searched.dropFirst().map { $0.components(separatedBy: " (")[0] }, [
                self.path("nohome/.cache/huggingface/hub/models--distilgpt2"),
                self.path("nohome/.cache/huggingface/hub/models--distilbert--distilgpt2"),
            ])
            XCTAssertTrue(searched.allSatisfy { $0.hasSuffix("(no such folder)") }, "\(searched)")
        }
    }

    func testEmptyArgument() {
        XCTAssertThrowsError(try ModelLocator.resolve("  ", environment: [:])) { error in
            XCTAssertEqual(error as? ModelLocatorError, .emptyName)
        }
    }
}
