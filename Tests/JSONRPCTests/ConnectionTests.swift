import Foundation
import XCTest
@testable import JSONRPC

final class ConnectionTests: XCTestCase {
    func testConcurrentSendsNeverInterleave() throws {
        let (sender, receiver) = try Connection.pipePair()
        let lock = NSLock()
        var received: [JSONValue] = []
        var others: [FramerEvent] = []
        let done = expectation(description: "all received")
        let threads = 8, perThread = 50
        receiver.start(onEvent: { event in
            lock.lock()
            defer { lock.unlock() }
            guard case .message(let body) = event, let value = try? JSONParser.parse(body) else {
                others.append(event)
                return
            }
            received.append(value)
            if received.count == threads * perThread { done.fulfill() }
        }, onEnd: {})
        // Large-ish bodies (> pipe buffer chunks) so partial writes would show up as corruption.
        let padding = String(repeating: "p", count: 20_000)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                XCTAssertTrue(sender.send(["thread": .int(Int64(thread)), "index": .int(Int64(index)), "pad": .string(padding)]))
            }
        }
        wait(for: [done], timeout: 30)
        lock.lock()
        XCTAssertTrue(others.isEmpty, "\(others)")
        for thread in 0..<threads {
            let indices = received.filter { $0["thread"] == .int(Int64(thread)) }.compactMap { $0["index"]?.intValue }
            XCTAssertEqual(indices, Array(0..<perThread), "per-thread order kept for thread \(thread)")
        }
        lock.unlock()
        sender.close()
        receiver.close()
    }

    func testPeerCloseEndsReaderAndSendFailsAfterClose() throws {
        let (a, b) = try Connection.pipePair()
        let ended = expectation(description: "b sees end of input")
        b.start(onEvent: { _ in }, onEnd: { ended.fulfill() })
        a.start(onEvent: { _ in }, onEnd: {})
        a.close()
        wait(for: [ended], timeout: 5)
        XCTAssertFalse(a.send(["x": 1]))
        XCTAssertFalse(b.send(["x": 1]), "writing to a closed peer fails instead of raising SIGPIPE")
        b.close()
    }
}
