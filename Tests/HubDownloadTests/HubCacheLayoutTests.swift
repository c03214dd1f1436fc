import XCTest
@testable import HubDownload

final class HubCacheLayoutTests: XCTestCase {
    private let root = URL(fileURLWithPath: "/cache/hub", isDirectory: true)

    func testFolderNameKeepsTheNameAsGiven() throws {
        XCTAssertEqual(try HubCacheLayout(cacheRoot: root, repo: "gpt2").folderName, "models--gpt2")
        XCTAssertEqual(try HubCacheLayout(cacheRoot: root, repo: "openai-community/gpt2").folderName,
                       "models--openai-community--gpt2")
    }

    func testPathsFollowTheHubLayout() throws {
        let layout = try HubCacheLayout(cacheRoot: root, repo: "org/name")
        XCTAssertEqual(layout.blob("abc").path, "/cache/hub/models--org--name/blobs/abc")
        XCTAssertEqual(layout.incompleteBlob("abc").path, "/cache/hub/models--org--name/blobs/abc.incomplete")
        XCTAssertEqual(layout.snapshotFolder(commit: "c0ffee").path, "/cache/hub/models--org--name/snapshots/c0ffee")
        XCTAssertEqual(layout.ref("main").path, "/cache/hub/models--org--name/refs/main")
    }

    func testRefusesMalformedRepositoryNames() {
        for bad in ["", "a//b", "/gpt2", "a/b/c", "..", "org/.."] {
            XCTAssertThrowsError(try HubCacheLayout(cacheRoot: root, repo: bad), bad) { error in
                XCTAssertEqual(error as? HubDownloadError, .invalidRepository(bad))
            }
        }
    }

    func testRelativeBlobTargetClimbsOutOfNestedFiles() {
        XCTAssertEqual(HubCacheLayout.relativeBlobTarget(file: "config.json", blob: "e1"), "../../blobs/e1")
        XCTAssertEqual(HubCacheLayout.relativeBlobTarget(file: "onnx/model.onnx", blob: "e1"), "../../../blobs/e1")
    }

    func testBlobNameFromETagStripsQuotesAndWeakPrefix() {
        XCTAssertEqual(HubCacheLayout.blobName(fromETag: "\"a1b2\""), "a1b2")
        XCTAssertEqual(HubCacheLayout.blobName(fromETag: "W/\"a1b2-3\""), "a1b2-3")
        XCTAssertNil(HubCacheLayout.blobName(fromETag: "\"\""))
        XCTAssertNil(HubCacheLayout.blobName(fromETag: "\"../x\""))
        XCTAssertNil(HubCacheLayout.blobName(fromETag: nil))
    }

    func testDefaultEndpointFollowsTheEnvironment() {
        XCTAssertEqual(HubDownloader.defaultEndpoint(environment: [:]).absoluteString, "https://huggingface.co")
        XCTAssertEqual(HubDownloader.defaultEndpoint(environment: ["HF_ENDPOINT": "http://127.0.0.1:9"]).absoluteString,
                       "http://127.0.0.1:9")
    }
}
