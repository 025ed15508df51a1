/// A file in Hugging Face's safetensors format, read and checked from its bytes.
///
/// The layout: 8 bytes holding N, a little-endian unsigned 64-bit integer; N bytes of UTF-8
/// JSON, an object mapping each tensor name to `{"dtype": "F32", "shape": [2, 3],
/// "data_offsets": [begin, end]}` plus an optional `"__metadata__"` object of string → string;
/// then the byte buffer, which the tensors' `[begin, end)` ranges (relative to the buffer's
/// start) must tile exactly — no gaps, no overlaps, nothing after the last one. Elements are
/// little-endian, row-major.
///
/// Every number in the header is checked before it is used (`SafeTensorsReader.swift`), so a
/// hostile file yields a `SafeTensorsError`, never a trap, an out-of-bounds read or an
/// allocation larger than the file itself.
public struct SafeTensorsFile: Sendable {
  /// The largest header accepted, the reference implementation's limit: the largest real
  /// headers are a few megabytes, so anything past this is a damaged or hostile file.
  public static let maxHeaderLength = 100_000_000

  /// The tensors, in the order of their data in the file.
  public let entries: [SafeTensorsEntry]
  /// The `__metadata__` strings, when the file has them.
  public let metadata: [String: String]?
  let bytes: [UInt8]
  /// Where the byte buffer starts in `bytes`.
  let dataStart: Int
  let indexByName: [String: Int]

  init(entries: [SafeTensorsEntry], metadata: [String: String]?, bytes: [UInt8], dataStart: Int) {
    self.entries = entries
    self.metadata = metadata
    self.bytes = bytes
    self.dataStart = dataStart
    var index: [String: Int] = [:]
    for (position, entry) in entries.enumerated() { index[entry.name] = position }
    indexByName = index
  }

  /// The tensor called `name`, if the file has one.
  public subscript(name: String) -> SafeTensorsEntry? {
    indexByName[name].map { entries[$0] }
  }

  /// The tensor's elements as 32-bit floats. F32 is copied exactly, F16 and BF16 widen exactly,
  /// F64 rounds to nearest, and one too large for a float is `.outOfRange`; any other dtype is
  /// `.unsupportedDType`.
  public func tensor(_ entry: SafeTensorsEntry) throws(SafeTensorsError) -> Tensor {
    switch entry.dtype {
    case .f32, .f64, .f16, .bf16: break
    default:
      throw SafeTensorsError(.unsupportedDType,
                             "the tensor '\(entry.name)' has the unsupported dtype "
                               + "\(entry.dtype.rawValue); only F32, F64, F16 and BF16 can be "
                               + "loaded")
    }
    let count: Int
    do {
      count = try Tensor.checkedCount(entry.shape)
    } catch {
      throw SafeTensorsError(.tooLarge, "the tensor '\(entry.name)' cannot be loaded: "
                               + error.message)
    }
    let start = dataStart + entry.offsets.lowerBound
    // The reader checked that the range lies in the buffer and holds count × size bytes.
    precondition(entry.offsets.count == count * entry.dtype.size
                   && start + entry.offsets.count <= bytes.count,
                 "safetensors entry \(entry.name) was not validated")
    var scalars = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
      let base = raw.baseAddress! + start
      func load<T: FixedWidthInteger>(_ index: Int, _: T.Type) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size,
                                           as: T.self))
      }
      switch entry.dtype {
      case .f32:
        for i in 0..<count { scalars[i] = Float(bitPattern: load(i, UInt32.self)) }
      case .f64:
        for i in 0..<count { scalars[i] = Float(Double(bitPattern: load(i, UInt64.self))) }
      case .f16:
        for i in 0..<count { scalars[i] = Self.widenHalf(load(i, UInt16.self)) }
      case .bf16:
        // bfloat16 is the top half of a float: widening is a shift.
        for i in 0..<count { scalars[i] = Float(bitPattern: UInt32(load(i, UInt16.self)) << 16) }
      default:
        break
      }
    }
    if entry.dtype == .f64 { try checkNarrowed(scalars, entry) }
    return Tensor(shape: entry.shape, scalars: scalars)
  }

  /// An F64 element past the float range became infinity when it was narrowed: an error, as
  /// the CSV reader's for a number too large, rather than a silent `inf` in the weights.
  /// Infinities and NaNs stored as such stay what they are.
  private func checkNarrowed(_ scalars: [Float], _ entry: SafeTensorsEntry)
    throws(SafeTensorsError) {
    let start = dataStart + entry.offsets.lowerBound
    for (index, scalar) in scalars.enumerated() where scalar.isInfinite {
      let wide = bytes.withUnsafeBytes { raw in
        Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(
          fromByteOffset: start + index * 8, as: UInt64.self)))
      }
      guard wide.isFinite else { continue }
      throw SafeTensorsError(.outOfRange, "the tensor '\(entry.name)' holds "
                               + "\(formatNumber(wide)) at element \(index), too large for a "
                               + "32-bit float (the largest is about 3.4e38)")
    }
  }

  /// An IEEE 754 binary16 value as a Float; every half is exactly representable in a float.
  static func widenHalf(_ bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      // Zero or subnormal: mantissa × 2⁻²⁴, a product that is exact in Float.
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1F:
      // Infinity or NaN, keeping the payload's top bits.
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
      // Rebias the exponent from 15 to 127.
      return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
  }
}

/// One tensor of a safetensors file: its name, element type, shape and byte range.
public struct SafeTensorsEntry: Equatable, Sendable {
  /// The tensor's name in the file header.
  public var name: String
  /// The element type as stored.
  public var dtype: SafeTensorsDType
  /// The tensor's shape.
  public var shape: [Int]
  /// The bytes `[begin, end)` of the tensor, relative to the start of the byte buffer.
  public var offsets: Range<Int>

  /// Makes an entry from its header fields.
  public init(name: String, dtype: SafeTensorsDType, shape: [Int], offsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.offsets = offsets
  }
}

/// The element types safetensors names, with their sizes. Sub-byte types (`F4`, `F6_*`) are
/// left out: a file holding them is reported as having an unknown dtype.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
  case bool = "BOOL"
  case u8 = "U8"
  case i8 = "I8"
  case f8e5m2 = "F8_E5M2"
  case f8e4m3 = "F8_E4M3"
  case f8e8m0 = "F8_E8M0"
  case i16 = "I16"
  case u16 = "U16"
  case f16 = "F16"
  case bf16 = "BF16"
  case i32 = "I32"
  case u32 = "U32"
  case f32 = "F32"
  case f64 = "F64"
  case i64 = "I64"
  case u64 = "U64"
  case c64 = "C64"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 1
    case .i16, .u16, .f16, .bf16: return 2
    case .i32, .u32, .f32: return 4
    case .f64, .i64, .u64, .c64: return 8
    }
  }
}

/// Why bytes are not a usable safetensors file, in words fit for a diagnostic.
public struct SafeTensorsError: Error, Equatable, Sendable {
  /// The category of the failure.
  public enum Kind: Sendable {
    /// The bytes break the format: a bad header, a bad entry, ranges that do not tile the data.
    case malformed
    /// A valid tensor whose element type cannot become 32-bit floats.
    case unsupportedDType
    /// Valid, but past a limit (the header length, the size of one tensor).
    case tooLarge
    /// A value that a 32-bit float cannot hold (an F64 element past its range).
    case outOfRange
  }

  /// The category of the failure.
  public var kind: Kind
  /// What is wrong, in words fit for a diagnostic.
  public var message: String

  /// Makes an error of `kind` with `message`.
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }
}
