#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C library's calls whose names a type's own methods shadow (`close`, `write`,
/// `connect`, `listen`, `accept`, `send`), reachable by one portable name instead of `Glibc.close`, which compiles on
/// Linux only. Thin wrappers: same arguments, same results, `errno` left as the call set it.
/// Any thread.
public enum SystemCall {
    @discardableResult
    public static func close(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        return Glibc.close(fd)
        #else
        return Darwin.close(fd)
        #endif
    }

    public static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, bytes, count)
        #else
        return Darwin.write(fd, bytes, count)
        #endif
    }

    public static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        #if canImport(Glibc)
        return Glibc.connect(fd, address, length)
        #else
        return Darwin.connect(fd, address, length)
        #endif
    }

    public static func listen(_ fd: Int32, _ backlog: Int32) -> Int32 {
        #if canImport(Glibc)
        return Glibc.listen(fd, backlog)
        #else
        return Darwin.listen(fd, backlog)
        #endif
    }

    /// `accept(fd, nil, nil)`: the peer's address is not asked for.
    public static func accept(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        return Glibc.accept(fd, nil, nil)
        #else
        return Darwin.accept(fd, nil, nil)
        #endif
    }

    public static func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
        #if canImport(Glibc)
        return Glibc.send(fd, bytes, count, flags)
        #else
        return Darwin.send(fd, bytes, count, flags)
        #endif
    }
}
