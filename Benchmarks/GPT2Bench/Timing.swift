import Foundation

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Median of `values` (mean of the middle two for even counts).
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set size of this process so far, in bytes (getrusage ru_maxrss is in KiB on Linux).
func peakRSSBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return usage.ru_maxrss
    #endif
}

/// The value of `body` and its wall-clock seconds.
func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// Resets the kernel's resident-set high-water mark to the current RSS (Linux: writes 5 to
/// /proc/self/clear_refs), so `residentHighWaterBytes` measures one phase. Returns false where
/// that is not possible (then the high-water mark keeps the whole process's peak).
@discardableResult
func resetResidentHighWater() -> Bool {
    (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
}

/// Peak RSS since the last `resetResidentHighWater` (Linux `VmHWM`), in bytes; elsewhere the
/// process peak (`peakRSSBytes`).
func residentHighWaterBytes() -> Int {
    procStatusBytes("VmHWM:") ?? peakRSSBytes()
}

/// Current RSS (Linux `VmRSS`), in bytes; 0 where /proc is missing.
func currentResidentBytes() -> Int {
    procStatusBytes("VmRSS:") ?? 0
}

/// A `kB` field of /proc/self/status, in bytes.
private func procStatusBytes(_ field: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
          let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kib * 1024
}

/// RSS of the process before any model is loaded (runtime, code, libraries), bytes: taken when
/// first read, which `main` does before anything else.
let processBaselineBytes = currentResidentBytes()
