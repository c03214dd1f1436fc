import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A decoded 8-bit PNG (grey, RGB, grey+alpha or RGBA; not interlaced), enough to tell a
/// rendered page from a blank one.
///
/// Inflating IDAT uses the system zlib, loaded with `dlopen`: zlib ships with every Linux and
/// macOS (Chromium itself links it), this needs no headers, no module map and no extra
/// package target, and Foundation on Linux has no public inflate.
struct PNGImage {
    var width: Int
    var height: Int
    /// Bytes per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    var channels: Int
    /// (height, width × channels), filters removed.
    var pixels: [UInt8]

    enum DecodeError: Error, CustomStringConvertible {
        case notPNG, truncated, unsupported(String), zlibUnavailable, inflateFailed(Int32)
        var description: String {
            switch self {
            case .notPNG: return "not a PNG (bad signature)"
            case .truncated: return "PNG truncated"
            case .unsupported(let what): return "unsupported PNG: \(what)"
            case .zlibUnavailable: return "could not dlopen the system zlib (libz.so.1 / libz.1.dylib)"
            case .inflateFailed(let code): return "zlib uncompress failed with code \(code)"
            }
        }
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0..<8].elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else { throw DecodeError.notPNG }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var offset = 8, idat: [UInt8] = []
        var header: (width: Int, height: Int, depth: UInt8, colourType: UInt8, interlace: UInt8)?
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let start = offset + 8
            guard start + length + 4 <= bytes.count else { throw DecodeError.truncated }
            if type == "IHDR" {
                header = (u32(start), u32(start + 4), bytes[start + 8], bytes[start + 9], bytes[start + 12])
            } else if type == "IDAT" {
                idat += bytes[start..<(start + length)]
            } else if type == "IEND" {
                break
            }
            offset = start + length + 4  // data + CRC
        }
        guard let h = header else { throw DecodeError.truncated }
        guard h.depth == 8 else { throw DecodeError.unsupported("bit depth \(h.depth)") }
        guard h.interlace == 0 else { throw DecodeError.unsupported("interlaced") }
        let channelsByType: [UInt8: Int] = [0: 1, 2: 3, 4: 2, 6: 4]
        guard let channels = channelsByType[h.colourType] else { throw DecodeError.unsupported("colour type \(h.colourType)") }
        width = h.width
        height = h.height
        self.channels = channels
        let stride = h.width * channels
        let raw = try Self.inflate(idat, expectedSize: h.height * (stride + 1))
        pixels = try Self.unfilter(raw, height: h.height, stride: stride, bytesPerPixel: channels)
    }

    /// The RGB of pixel (x, y) (grey repeated; alpha ignored).
    func rgb(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * channels
        return channels >= 3 ? (pixels[i], pixels[i + 1], pixels[i + 2]) : (pixels[i], pixels[i], pixels[i])
    }

    /// Distinct RGB colours (counting stops at `cap`) and the share of pixels that differ from
    /// the top-left pixel (the page background).
    func colourStatistics(cap: Int = 100_000) -> (distinct: Int, nonBackgroundShare: Double) {
        var seen = Set<UInt32>()
        let background = rgb(x: 0, y: 0)
        var different = 0
        for y in 0..<height {
            for x in 0..<width {
                let c = rgb(x: x, y: y)
                if c != background { different += 1 }
                if seen.count < cap { seen.insert(UInt32(c.0) << 16 | UInt32(c.1) << 8 | UInt32(c.2)) }
            }
        }
        return (seen.count, Double(different) / Double(max(width * height, 1)))
    }

    private typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?,
                                                   UnsafePointer<UInt8>?, UInt) -> Int32

    private static func inflate(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        let candidates = ["libz.so.1", "libz.so", "/usr/lib/libz.1.dylib", "libz.dylib"]
        guard let handle = candidates.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first else { throw DecodeError.zlibUnavailable }
        defer { dlclose(handle) }
        guard let symbol = dlsym(handle, "uncompress") else { throw DecodeError.zlibUnavailable }
        let uncompress = unsafeBitCast(symbol, to: Uncompress.self)
        var output = [UInt8](repeating: 0, count: expectedSize)
        var outputLength = UInt(expectedSize)
        let code = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                uncompress(out.baseAddress, &outputLength, inp.baseAddress, UInt(inp.count))
            }
        }
        guard code == 0 else { throw DecodeError.inflateFailed(code) }
        guard Int(outputLength) == expectedSize else { throw DecodeError.truncated }
        return output
    }

    /// Removes PNG's per-row filters (None, Sub, Up, Average, Paeth).
    private static func unfilter(_ raw: [UInt8], height: Int, stride: Int, bytesPerPixel bpp: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1, dst = y * stride, prev = dst - stride
            for i in 0..<stride {
                let a = i >= bpp ? Int(out[dst + i - bpp]) : 0
                let b = y > 0 ? Int(out[prev + i]) : 0
                let c = (y > 0 && i >= bpp) ? Int(out[prev + i - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw DecodeError.unsupported("filter type \(filter) in row \(y)")
                }
                out[dst + i] = UInt8(truncatingIfNeeded: Int(raw[src + i]) + predictor)
            }
        }
        return out
    }
}
