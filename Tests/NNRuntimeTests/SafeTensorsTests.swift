import Testing
@testable import NNRuntime

// The safetensors reader and writer on bytes: round trips, the exact layout the reference
// writer produces, dtype conversions, and one case per way a hostile file can be malformed.

/// A file from a header's JSON text and the data buffer, the header length written as given
/// (or as the header's real length).
private func file(_ header: String, _ data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
  let headerBytes = Array(header.utf8)
  var bytes: [UInt8] = []
  withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian) { bytes += $0 }
  return bytes + headerBytes + data
}

private func floats(_ values: [Float]) -> [UInt8] {
  values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// The error reading `bytes` gives, or nil when they parse.
private func readError(_ bytes: [UInt8]) -> SafeTensorsError? {
  do {
    _ = try SafeTensorsFile(bytes: bytes)
    return nil
  } catch {
    return error
  }
}

// MARK: - Writing and round trips

@Test func serializedBytesMatchTheReferenceWriter() {
  // The reference implementation's own test vectors (safetensors/src/tensor.rs).
  let attention = Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
  let expected: [UInt8] = [
    64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
    116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
    58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
    101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
    0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
  ]
  #expect(SafeTensorsFile.serialize([("attn.0", attention)]) == expected)

  // A shorter name leaves the header 7 bytes short of a multiple of 8: padded with spaces.
  let padded = SafeTensorsFile.serialize(
    [("attn0", Tensor(shape: [1, 1, 2, 3], scalars: [0, 1, 2, 3, 4, 5]))])
  let header = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"#
  #expect(padded == file(header + "       ", floats([0, 1, 2, 3, 4, 5])))
  #expect(padded[0] == 72)

  let empty = SafeTensorsFile.serialize([], metadata: ["framework": "pt"])
  #expect(empty == file(#"{"__metadata__":{"framework":"pt"}}"# + "     "))
  #expect(SafeTensorsFile.serialize([]) == file("{}      "))
}

@Test func serializedTensorsAreSortedByNameAndPacked() throws {
  let bytes = SafeTensorsFile.serialize(
    [("dense2.weight", Tensor(shape: [1, 2], scalars: [5, 6])),
     ("dense1.weight", Tensor(shape: [2, 1], scalars: [1, 2])),
     ("dense1.bias", Tensor(shape: [2], scalars: [3, 4]))],
    metadata: ["b": "2", "a": "quote \" and \n newline"])
  let header = #"{"__metadata__":{"a":"quote \" and \n newline","b":"2"},"#
    + #""dense1.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
    + #""dense1.weight":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},"#
    + #""dense2.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[16,24]}}"#
  let padding = String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
  #expect(bytes == file(header + padding, floats([3, 4, 1, 2, 5, 6])))
  let parsed = try SafeTensorsFile(bytes: bytes)
  #expect(parsed.metadata == ["a": "quote \" and \n newline", "b": "2"])
}

@Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
  let tensors: [(name: String, tensor: Tensor)] = [
    ("w", Tensor(shape: [2, 3], scalars: [1, -2, 0.1, .infinity, -0.0, 3e-38])),
    ("scalar", Tensor(scalar: 7)),
    ("empty", Tensor(shape: [0, 4], scalars: [])),
    ("name with ünïcode", Tensor([1.5])),
  ]
  let bytes = SafeTensorsFile.serialize(tensors, metadata: ["format": "nn"])
  let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
  #expect(headerLength % 8 == 0)
  let parsed = try SafeTensorsFile(bytes: bytes)
  #expect(parsed.metadata == ["format": "nn"])
  #expect(parsed.entries.count == 4)
  for (name, tensor) in tensors {
    let entry = try #require(parsed[name])
    #expect(entry.dtype == .f32)
    let read = try parsed.tensor(entry)
    #expect(read.shape == tensor.shape)
    #expect(read.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
  }
  #expect(parsed["missing"] == nil)
}

// MARK: - Dtypes

@Test func anF64PastTheFloatRangeIsAnErrorNamingTheTensor() throws {
  let doubles: [Double] = [1, -1e300]
  let bytes = doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
  let parsed = try SafeTensorsFile(
    bytes: file(#"{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}"#, bytes))
  #expect(throws: SafeTensorsError(
    .outOfRange, "the tensor 'd' holds -1e+300 at element 1, too large for a 32-bit float "
      + "(the largest is about 3.4e38)")) {
    _ = try parsed.tensor(try #require(parsed["d"]))
  }
}

@Test func otherFloatTypesWidenToFloat() throws {
  // F16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), -0, inf; exact in Float.
  let halves: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00]
  let halfBytes = halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
  // BF16: the top halves of 1, -3.140625 and the float just above 1 with 7 mantissa bits.
  let brains: [UInt16] = [0x3F80, 0xC049, 0x3F81]
  let brainBytes = brains.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
  // F64 rounds to nearest; a stored infinity stays one (past the float range: see below).
  let doubles: [Double] = [0.1, -1e30, 2.5, -.infinity]
  let doubleBytes = doubles.flatMap { value in
    withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
  }
  let header = #"{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"#
    + #""b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]},"#
    + #""p":{"dtype":"U8","shape":[6],"data_offsets":[18,24]},"#
    + #""d":{"dtype":"F64","shape":[4],"data_offsets":[24,56]}}"#
  let parsed = try SafeTensorsFile(bytes: file(header, halfBytes + brainBytes
                                                 + [UInt8](repeating: 0, count: 6) + doubleBytes))
  let h = try parsed.tensor(try #require(parsed["h"])).scalars
  #expect(h == [1, -2, 65504, 0x1p-24, 0, .infinity])
  #expect(h[4].sign == .minus)
  let b = try parsed.tensor(try #require(parsed["b"])).scalars
  #expect(b == [1, -3.140625, 1.0078125])
  let d = try parsed.tensor(try #require(parsed["d"])).scalars
  #expect(d == [Float(0.1), Float(-1e30), 2.5, -.infinity])
  #expect(throws: SafeTensorsError(
    .unsupportedDType, "the tensor 'p' has the unsupported dtype U8; only F32, F64, F16 and "
      + "BF16 can be loaded")) {
    _ = try parsed.tensor(try #require(parsed["p"]))
  }
}

@Test func halfPrecisionWideningIsExactForEveryValue() {
  // Every finite half against Float16 where the platform has it, else against the formula.
  for bits in UInt16.min...UInt16.max {
    let widened = SafeTensorsFile.widenHalf(bits)
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = Float(bits & 0x3FF)
    let sign: Float = bits & 0x8000 == 0 ? 1 : -1
    if exponent == 0x1F {
      #expect(mantissa == 0 ? widened == sign * .infinity : widened.isNaN)
    } else if exponent == 0 {
      #expect(widened == sign * mantissa * 0x1p-24)
    } else {
      #expect(widened == sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15,
                                                             significand: 1))
    }
  }
}

// MARK: - Hostile files

private let valid = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

/// A malformed file and the start of the message it must produce.
struct HostileCase: CustomTestStringConvertible, Sendable {
  var name: String
  var bytes: [UInt8]
  var kind: SafeTensorsError.Kind
  var message: String
  var testDescription: String { name }
}

private func hostile(
  _ name: String, _ bytes: [UInt8], _ message: String,
  kind: SafeTensorsError.Kind = .malformed
) -> HostileCase {
  HostileCase(name: name, bytes: bytes, kind: kind, message: message)
}

private func entry(_ body: String, data: Int = 8) -> [UInt8] {
  file(#"{"a":"# + body + "}", [UInt8](repeating: 0, count: data))
}

let hostileCases: [HostileCase] = [
  hostile("empty file", [], "the file is 0 bytes long, too short"),
  hostile("seven bytes", [1, 0, 0, 0, 0, 0, 0], "the file is 7 bytes long"),
  hostile("header length past the end", file("{}", length: 3),
          "the header length says 3 bytes, but only 2 follow it"),
  hostile("header length 2^64 - 1", file("{}", length: .max),
          "the header length 18446744073709551615 is more than", kind: .tooLarge),
  hostile("header length just past the limit", file("{}", length: 100_000_001),
          "the header length 100000001 is more than the 100000000 bytes", kind: .tooLarge),
  hostile("header not starting with a brace", file(" {}"), "the header does not start with '{'"),
  hostile("header an array", file("[1]"), "the header does not start with '{'"),
  hostile("header not UTF-8",
          file("{\"a\":1}").enumerated().map { $0.offset == 9 ? 0xFF : $0.element },
          "the header is not valid UTF-8"),
  hostile("header not JSON", file("{\"a\":"), "the header is not valid JSON"),
  hostile("header nested too deeply",
          file("{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
                 + "}"), "the header nests arrays and objects more than 128 levels deep"),
  hostile("entry not an object", file(#"{"a":[1,2]}"#),
          "the entry of tensor 'a' is an array, not an object"),
  hostile("entry without dtype", entry(#"{"shape":[2],"data_offsets":[0,8]}"#),
          "the tensor 'a' has no dtype"),
  hostile("entry without shape", entry(#"{"dtype":"F32","data_offsets":[0,8]}"#),
          "the tensor 'a' has no shape"),
  hostile("entry without offsets", entry(#"{"dtype":"F32","shape":[2]}"#),
          "the tensor 'a' has no data_offsets"),
  hostile("dtype a number", entry(#"{"dtype":32,"shape":[2],"data_offsets":[0,8]}"#),
          "the dtype of tensor 'a' is a number, not a string"),
  hostile("unknown dtype", entry(#"{"dtype":"F128","shape":[2],"data_offsets":[0,8]}"#),
          "the tensor 'a' has the unknown dtype 'F128'"),
  hostile("shape a string", entry(#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#),
          "the shape of tensor 'a' is a string, not an array of whole numbers"),
  hostile("negative dimension", entry(#"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#),
          "the shape of tensor 'a' must hold whole numbers ≥ 0, not -2"),
  hostile("fractional dimension", entry(#"{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}"#),
          "the shape of tensor 'a' must hold whole numbers ≥ 0, not 2.5"),
  hostile("boolean dimension", entry(#"{"dtype":"F32","shape":[true],"data_offsets":[0,8]}"#),
          "the shape of tensor 'a' must hold whole numbers ≥ 0, not a bool"),
  hostile("dimension past Int", entry(
    #"{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}"#),
          "the shape of tensor 'a' must hold whole numbers ≥ 0, not 1.8446744073709552e+19"),
  hostile("overflowing shape product", entry(
    #"{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}"#, data: 0),
          "the shape of tensor 'a' has more elements than can be counted"),
  hostile("overflowing byte count", entry(
    #"{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}"#),
          "the tensor 'a' of shape [4611686018427387904] and dtype F64 needs more bytes"),
  hostile("one offset", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[8]}"#),
          "the data_offsets of tensor 'a' must be [begin, end], not 1 numbers"),
  hostile("offsets reversed", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#),
          "the data_offsets of tensor 'a' end (0) before they begin (8)"),
  hostile("offsets past the end", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[8,16]}"#),
          "the data buffer has a gap of 8 bytes at its start"),
  hostile("range too short for shape", entry(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#),
          "the tensor 'a' of shape [3] and dtype F32 needs 12 bytes, but its data_offsets "
            + "[0, 8] span 8"),
  hostile("range past the buffer", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,
                                         data: 4),
          "the tensor 'a' ends at byte 8 of the data buffer, but the buffer holds only 4"),
  hostile("bytes after the last tensor", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,
                                               data: 12),
          "the data buffer holds 12 bytes, but its tensors account for only 8"),
  hostile("overlapping tensors", file(
    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
      + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
    [UInt8](repeating: 0, count: 12)),
          "the tensors 'a' and 'b' overlap in the data buffer"),
  hostile("gap between tensors", file(
    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
      + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
    [UInt8](repeating: 0, count: 12)),
          "the data buffer has a gap of 4 bytes after tensor 'a'"),
  hostile("duplicate names", file(
    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
      + #""a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8)),
          "the header names 'a' more than once"),
  hostile("duplicate names by escape", file(
    #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"#
      + #""\u0061":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#),
          "the header names 'a' more than once"),
  hostile("duplicate field",
          entry(#"{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}"#),
          "an object in the header has the key 'dtype' more than once"),
  hostile("metadata not an object", file(#"{"__metadata__":"nn"}"#),
          "__metadata__ must be an object of strings, not a string"),
  hostile("metadata value a number", file(#"{"__metadata__":{"format":1}}"#),
          "__metadata__ must map strings to strings, but 'format' holds a number"),
  hostile("metadata value an object", file(#"{"__metadata__":{"model":{"name":"x"}}}"#),
          "__metadata__ must map strings to strings, but 'model' holds an object"),
]

@Test("a hostile file is an error, never a trap", arguments: hostileCases)
func hostileFile(_ example: HostileCase) {
  guard let error = readError(example.bytes) else {
    Issue.record("\(example.name) was accepted")
    return
  }
  #expect(error.kind == example.kind)
  #expect(error.message.hasPrefix(example.message), "\(error.message)")
}

@Test func validEdgeCasesAreAccepted() throws {
  #expect(readError(file(valid, [UInt8](repeating: 0, count: 8))) == nil)
  // Trailing spaces (the reference writer's padding), no tensors, null metadata, unknown keys
  // in an entry, and empty tensors sharing an offset.
  #expect(readError(file("{}   ")) == nil)
  #expect(readError(file(#"{"__metadata__":null}"#)) == nil)
  #expect(readError(entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[1]}"#)) == nil)
  let empties = file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"#
                       + #""b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"#
                       + #""c":{"dtype":"F32","shape":[3,0],"data_offsets":[8,8]}}"#,
                     [UInt8](repeating: 0, count: 8))
  let parsed = try SafeTensorsFile(bytes: empties)
  #expect(parsed.entries.map(\.name) == ["a", "b", "c"])
  #expect(try parsed.tensor(try #require(parsed["c"])).shape == [3, 0])
}

@Test func aTensorPastTheSizeLimitIsTooLargeToLoad() throws {
  let parsed = try SafeTensorsFile(bytes: entry(
    #"{"dtype":"F32","shape":[0,1073741824,1073741824],"data_offsets":[0,0]}"#, data: 0))
  #expect(throws: SafeTensorsError.self) {
    _ = try parsed.tensor(try #require(parsed["a"]))
  }
}

@Test func everyTruncationAndByteChangeIsHandled() {
  let bytes = SafeTensorsFile.serialize(
    [("a", Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])), ("b", Tensor([5]))],
    metadata: ["format": "nn"])
  // Reading must end in a file or an error, and every tensor of an accepted file must load or
  // fail cleanly; a trap would end the test run.
  func exercise(_ candidate: [UInt8]) {
    guard let parsed = try? SafeTensorsFile(bytes: candidate) else { return }
    for entry in parsed.entries { _ = try? parsed.tensor(entry) }
  }
  for length in 0...bytes.count { exercise(Array(bytes.prefix(length))) }
  for index in bytes.indices {
    for replacement: UInt8 in [0, 0x20, 0x22, 0x30, 0x39, 0x5B, 0x7B, 0x7D, 0xFF] {
      var changed = bytes
      changed[index] = replacement
      exercise(changed)
    }
  }
}
