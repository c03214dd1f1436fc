/// The element types the safetensors format defines. Only `F32`, `F16` and `BF16` can be
/// loaded as float weights; the others are recognised (so a file that lists them is valid)
/// and refused only when asked to load one of them as float.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case c64 = "C64"
    case i64 = "I64"
    case u64 = "U64"

    /// Size of one element in bits (the sub-byte float formats are 4 or 6 bits).
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .f64, .c64, .i64, .u64: return 64
        }
    }

    /// True for the dtypes this reader widens (or views) as float32.
    public var isLoadableAsFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }

    /// The dtypes `SafetensorsFile.floatTensor(_:)` accepts, for error messages.
    public static let floatLoadable: [SafetensorsDType] = [.f32, .f16, .bf16]
}
