import Foundation
import Testing

@testable import NNRuntime

// Hostile safetensors and CSV files (issue 8, part 5): each one must be a clear error or a
// correct load, never a trap, and nothing may be allocated from an untrusted size before it is
// checked against the bytes actually present. SafeTensorsTests.swift has the per-field cases of
// the header; these are the attacks on sizes, offsets, nesting and encodings, and the big files.

// MARK: - Safetensors helpers

/// A safetensors file: the header length (the header's own unless `length` says otherwise), the
/// header text, the data bytes.
private func safetensors(
  _ header: String, _ data: [UInt8] = [], length: UInt64? = nil
) -> [UInt8] {
  safetensors(Array(header.utf8), data, length: length)
}

private func safetensors(_ header: [UInt8], _ data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
  var bytes: [UInt8] = []
  withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { bytes += $0 }
  return bytes + header + data
}

/// The reader's error for `bytes`, or nil when it accepts them (then every tensor must convert
/// or fail cleanly too).
private func rejection(_ bytes: [UInt8]) -> SafeTensorsError? {
  do {
    let file = try SafeTensorsFile(bytes: bytes)
    for entry in file.entries { _ = try? file.tensor(entry) }
    return nil
  } catch {
    return error
  }
}

private func expectRejected(
  _ bytes: [UInt8], _ message: String, kind: SafeTensorsError.Kind = .malformed,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let error = rejection(bytes) else {
    Issue.record("accepted a hostile file", sourceLocation: sourceLocation)
    return
  }
  #expect(error.kind == kind, sourceLocation: sourceLocation)
  #expect(error.message.hasPrefix(message), "\(error.message)", sourceLocation: sourceLocation)
}

/// A header with one tensor `a` described by `body`.
private func oneTensor(_ body: String, data: Int) -> [UInt8] {
  safetensors(#"{"a":"# + body + "}", [UInt8](repeating: 0, count: data))
}

// MARK: - Sizes that point past the file

@Test func aHeaderLengthPastTheEndIsAnError() {
  expectRejected(safetensors("{}", length: 1_000), "the header length says 1000 bytes, but only 2 "
                   + "follow it")
  // A length that fits the limit but not the file: refused before any header is read.
  expectRejected(safetensors("{}", length: 99_999_999),
                 "the header length says 99999999 bytes, but only 2 follow it")
}

@Test func aHeaderLengthOfTwoToTheSixtyThirdIsRefusedAsTooLarge() {
  // 2^63 does not fit in Int: the check must happen on the unsigned value.
  expectRejected(safetensors("{}", length: 1 << 63),
                 "the header length 9223372036854775808 is more than the 100000000 bytes",
                 kind: .tooLarge)
  expectRejected(safetensors("{}", length: (1 << 63) - 1),
                 "the header length 9223372036854775807 is more than", kind: .tooLarge)
}

@Test func offsetsPastTheDataBufferAreErrors() {
  // Offsets that agree with the shape but point far past the 8 bytes present.
  expectRejected(oneTensor(#"{"dtype":"F32","shape":[2],"data_offsets":[4611686018427387904,"#
                             + #"4611686018427387912]}"#, data: 8),
                 "the data buffer has a gap of 4611686018427387904 bytes at its start")
  expectRejected(oneTensor(#"{"dtype":"U8","shape":[9223372036854775807],"#
                             + #""data_offsets":[0,9223372036854775807]}"#, data: 8),
                 "the tensor 'a' ends at byte 9223372036854775807 of the data buffer, but the "
                   + "buffer holds only 8")
  // An offset past Int.
  expectRejected(oneTensor(#"{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}"#,
                           data: 8),
                 "the data_offsets of tensor 'a' must hold whole numbers ≥ 0, not 1.8446744073709552e+19")
}

@Test func overlappingAndNestedOffsetsAreErrors() {
  let twelve = [UInt8](repeating: 0, count: 12)
  expectRejected(safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"#
                               + #""b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, twelve),
                 "the tensors 'a' and 'b' overlap in the data buffer")
  // Two tensors on the very same bytes.
  expectRejected(safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"#
                               + #""b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#, twelve),
                 "the tensors 'a' and 'b' overlap in the data buffer")
}

@Test func offsetsThatDisagreeWithDtypeAndShapeAreErrors() {
  expectRejected(oneTensor(#"{"dtype":"F64","shape":[2],"data_offsets":[0,8]}"#, data: 8),
                 "the tensor 'a' of shape [2] and dtype F64 needs 16 bytes, but its data_offsets "
                   + "[0, 8] span 8")
  expectRejected(oneTensor(#"{"dtype":"BF16","shape":[],"data_offsets":[0,4]}"#, data: 4),
                 "the tensor 'a' of shape [] and dtype BF16 needs 2 bytes, but its data_offsets "
                   + "[0, 4] span 4")
}

@Test func absurdShapesAreErrorsBeforeAnythingIsAllocated() {
  // 10^12 elements, with offsets that agree: the buffer check refuses it, not an allocation.
  expectRejected(oneTensor(#"{"dtype":"F32","shape":[1000000,1000000],"#
                             + #""data_offsets":[0,4000000000000]}"#, data: 16),
                 "the tensor 'a' ends at byte 4000000000000 of the data buffer, but the buffer "
                   + "holds only 16")
  // A product past Int, with and without a zero among the dimensions.
  expectRejected(oneTensor(#"{"dtype":"F32","shape":[4294967296,4294967296],"#
                             + #""data_offsets":[0,0]}"#, data: 0),
                 "the shape of tensor 'a' has more elements than can be counted")
  expectRejected(oneTensor(#"{"dtype":"F32","shape":[0,9223372036854775807,9223372036854775807],"#
                             + #""data_offsets":[0,0]}"#, data: 0),
                 "the shape of tensor 'a' has more elements than can be counted")
  // A shape with 100,000 dimensions of 1 is countable; its element count must still match.
  let ones = Array(repeating: "1", count: 100_000).joined(separator: ",")
  expectRejected(oneTensor(#"{"dtype":"F32","shape":["# + ones + #"],"data_offsets":[0,8]}"#,
                           data: 8),
                 "the tensor 'a' of shape [1, 1, 1, 1, 1, 1, 1, 1, … (100000 dimensions)] and "
                   + "dtype F32 needs 4 bytes, but its data_offsets [0, 8] span 8")
}

@Test func anEmptyTensorWithHugeDimensionsIsValidButTooLargeToLoad() throws {
  // [0, 10^6, 10^6] holds no bytes, so the file is valid; loading it as a tensor is refused
  // by the tensor size limit rather than allocated.
  let bytes = oneTensor(#"{"dtype":"F32","shape":[0,1000000,1000000],"data_offsets":[0,0]}"#,
                        data: 0)
  let file = try SafeTensorsFile(bytes: bytes)
  let entry = try #require(file["a"])
  #expect(throws: SafeTensorsError.self) { _ = try file.tensor(entry) }
}

@Test func unknownAndSubByteDtypesAreErrors() {
  for dtype in ["F4", "F6_E2M3", "f32", "", "F32 "] {
    expectRejected(oneTensor(#"{"dtype":""# + dtype + #"","shape":[2],"data_offsets":[0,8]}"#,
                             data: 8),
                   "the tensor 'a' has the unknown dtype '\(dtype)'")
  }
  // A known dtype that is not a float: a valid file whose tensor cannot be loaded.
  let ints = oneTensor(#"{"dtype":"I32","shape":[2],"data_offsets":[0,8]}"#, data: 8)
  #expect(rejection(ints) == nil)
  #expect(throws: SafeTensorsError.self) {
    let file = try SafeTensorsFile(bytes: ints)
    _ = try file.tensor(file.entries[0])
  }
}

@Test func duplicateNamesAreErrorsWhereverTheyAre() {
  expectRejected(safetensors(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
                               + #""b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"#
                               + #""a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                             [UInt8](repeating: 0, count: 12)),
                 "the header names 'a' more than once")
  expectRejected(safetensors(#"{"__metadata__":{"k":"1","k":"2"}}"#),
                 "an object in the header has the key 'k' more than once")
}

// MARK: - Nesting

@Test func aHeaderNestedTenThousandDeepIsAnError() {
  let arrays = #"{"a":"# + String(repeating: "[", count: 10_000)
    + String(repeating: "]", count: 10_000) + "}"
  expectRejected(safetensors(arrays), "the header nests arrays and objects more than 128 levels "
                   + "deep (a safetensors header needs 3)")
  let objects = String(repeating: #"{"a":"#, count: 10_000) + "1"
    + String(repeating: "}", count: 10_000)
  expectRejected(safetensors(objects), "the header nests arrays and objects more than 128")
  // Never closed, and a million deep.
  expectRejected(safetensors("{" + String(repeating: "[", count: 1_000_000)),
                 "the header nests arrays and objects more than 128")
}

@Test func bracketsInsideStringsDoNotCountAsNesting() throws {
  let deep = String(repeating: "[{", count: 10_000) + #"\"\\"#
  let bytes = safetensors(#"{"__metadata__":{"note":""# + deep + #""}}"#)
  let file = try SafeTensorsFile(bytes: bytes)
  #expect(file.metadata?["note"] == String(repeating: "[{", count: 10_000) + "\"\\")
}

@Test func jsonDepthIsBoundedAtTheLimitExactly() {
  func nested(_ depth: Int) -> [UInt8] {
    Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
  }
  guard case .success = JSONValue.parse(nested(JSONValue.maxDepth)) else {
    Issue.record("JSON nested \(JSONValue.maxDepth) deep was refused")
    return
  }
  guard case .failure(let error) = JSONValue.parse(nested(JSONValue.maxDepth + 1)) else {
    Issue.record("JSON nested \(JSONValue.maxDepth + 1) deep was accepted")
    return
  }
  #expect(error.message == "it nests arrays and objects more than 128 levels deep")
  guard case .failure = JSONValue.parse(nested(10_000)) else {
    Issue.record("JSON nested 10,000 deep was accepted")
    return
  }
}

// MARK: - Encoding and trailing bytes

@Test func invalidUTF8InTheHeaderIsAnError() {
  let cases: [[UInt8]] = [
    [0xFF],  // never valid
    [0xC0, 0x80],  // an overlong NUL
    [0xED, 0xA0, 0x80],  // a UTF-16 surrogate
    [0xE2, 0x82],  // cut short
    [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
  ]
  for bad in cases {
    let header = Array(#"{"__metadata__":{"k":""#.utf8) + bad + Array(#""}}"#.utf8)
    expectRejected(safetensors(header), "the header is not valid UTF-8")
    // In a tensor name too.
    let named = Array(#"{""#.utf8) + bad
      + Array(#"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#.utf8)
    expectRejected(safetensors(named), "the header is not valid UTF-8")
  }
}

@Test func trailingGarbageIsAnError() {
  var bytes = SafeTensorsFile.serialize([("w", Tensor(shape: [2], scalars: [1, 2]))])
  #expect(rejection(bytes) == nil)
  bytes += Array("garbage".utf8)
  expectRejected(bytes, "the data buffer holds 15 bytes, but its tensors account for only 8")
  // Garbage after the JSON inside the header is not JSON.
  expectRejected(safetensors("{} x"), "the header is not valid JSON")
}

@Test func everyPrefixOfABigValidFileIsAnErrorNeverATrap() {
  // The truncations a killed writer could leave (if a save were not atomic): each must fail.
  let tensor = Tensor(shape: [64, 64], scalars: (0..<4096).map(Float.init))
  let bytes = SafeTensorsFile.serialize([("w", tensor)], metadata: ["format": "nn"])
  for length in stride(from: 0, to: bytes.count, by: 7) {
    #expect(rejection(Array(bytes.prefix(length))) != nil, "prefix of \(length) bytes")
  }
}

// MARK: - CSV helpers

private func csv(
  _ bytes: [UInt8], header: Bool = true, classes: Int? = nil
) throws(DataError) -> Dataset {
  try CSV.load(bytes: bytes, header: header, classes: classes)
}

private func csvError(_ bytes: [UInt8], header: Bool = true) -> DataError? {
  do {
    _ = try csv(bytes, header: header)
    return nil
  } catch {
    return error
  }
}

private func csvError(_ text: String, header: Bool = true) -> DataError? {
  csvError(Array(text.utf8), header: header)
}

// MARK: - Big CSV files

@Test func aMillionRowsLoadCorrectly() throws {
  // A block of 1,000 distinct rows `i,-i.5,i%3`, written 1,000 times (making a million rows
  // one by one takes longer than loading them in a debug build).
  let rows = 1_000_000
  var block = ""
  for i in 0..<1_000 { block += "\(i),-\(i).5,\(i % 3)\n" }
  let blockBytes = Array(block.utf8)
  var bytes: [UInt8] = Array("a,b,y\n".utf8)
  bytes.reserveCapacity(blockBytes.count * 1_000 + 6)
  for _ in 0..<(rows / 1_000) { bytes += blockBytes }
  // No timing assertion (timing belongs in scripts/bench): a quadratic step would take hours
  // here, and CI's time limit would catch it.
  let data = try csv(bytes, classes: 3)
  #expect(data.n == rows)
  #expect(data.x.shape == [rows, 2])
  for row in [0, 1, 999, 1_000, 123_456, 999_999] {
    let i = row % 1_000
    #expect(data.x[flat: 2 * row] == Float(i))
    #expect(data.x[flat: 2 * row + 1] == -Float(i) - 0.5)
    #expect(data.y[flat: row] == Float(i % 3))
  }
}

@Test func aTenMegabyteCellIsAShortErrorOrALoad() throws {
  let size = 10 << 20
  // Digits: a number far too long, reported with the cell cut short (not 10 MB of message).
  let digits = [UInt8](repeating: UInt8(ascii: "7"), count: size)
  let long = try #require(csvError(Array("a,y\n1,".utf8) + digits + Array("\n".utf8)))
  #expect(long.line == 2 && long.column == 2)
  #expect(long.message == "not a number: \"" + String(repeating: "7", count: 40)
            + "…\" (10485760 bytes)")
  // Letters in a quoted cell holding line breaks and delimiters.
  var quoted = Array("a,y\n1,\"".utf8)
  quoted += [UInt8](repeating: UInt8(ascii: "x"), count: size / 2) + Array(",\r\n".utf8)
  quoted += [UInt8](repeating: UInt8(ascii: "x"), count: size / 2) + Array("\"\n".utf8)
  let text = try #require(csvError(quoted))
  #expect(text.line == 2 && text.column == 2)
  #expect(text.message.count < 100, "\(text.message.prefix(200))")
  #expect(text.message.hasSuffix("…\" (10485763 bytes)"))
  // A 10 MB column name is only a name: the file loads.
  let name = [UInt8](repeating: UInt8(ascii: "n"), count: size)
  let data = try csv(name + Array(",y\n1,2\n".utf8))
  #expect(data.n == 1)
}

@Test func longNumbersNeverOverflowTheFastPath() throws {
  // Twenty and more digits once overflowed the digit accumulator of the fast path (a trap).
  let data = try csv(Array("a,y\n99999999999999999999,1\n123456789012345678901234567890,2\n".utf8))
  #expect(data.x[flat: 0] == 1e20)
  #expect(data.x[flat: 1] == Float(123456789012345678901234567890.0))
  // Numbers past Float are an error naming the cell, not an infinity in the data.
  #expect(csvError("a,y\n1e39,1\n")
    == DataError("the number \"1e39\" is too large for a 32-bit float (the largest is about "
                   + "3.4e38)", line: 2, column: 1))
  #expect(csvError("a,y\n1,-" + String(repeating: "9", count: 400) + "\n")?.message
    .hasPrefix("the number \"-999") == true)
  #expect(csvError("a,y\ninf,1\n") == DataError("not a number: \"inf\"", line: 2, column: 1))
  #expect(csvError("a,y\n1,-nan\n") == DataError("not a number: \"-nan\"", line: 2, column: 2))
}

@Test func aHugeNumberOfColumnsLoads() throws {
  let width = 100_000
  let header = (0..<width).map { "c\($0)" }.joined(separator: ",")
  let row = Array(repeating: "1", count: width).joined(separator: ",")
  let data = try csv(Array((header + "\n" + row + "\n" + row).utf8))
  #expect(data.x.shape == [2, width - 1])
  // An unknown target lists 20 of them, not 100,000.
  do {
    _ = try CSV.load(bytes: Array((header + "\n" + row).utf8), target: .name("nope"))
    Issue.record("found a column that is not there")
  } catch {
    #expect(error.message.hasSuffix("\"c19\" and 99980 more"), "\(error.message.suffix(80))")
  }
}

// MARK: - Encodings, line endings, odd lines

@Test func invalidUTF8InACellNamesTheCellAndTheEncoding() throws {
  let bytes = Array("a,y\n1,2\n3,".utf8) + [0xFF, 0xFE] + Array("\n".utf8)
  #expect(csvError(bytes)
    == DataError("not a number: \"\u{FFFD}\u{FFFD}\" (its bytes are not valid UTF-8)", line: 3,
                 column: 2))
  // Inside a quoted cell as well.
  let quoted = Array("a,y\n\"1".utf8) + [0xC0, 0x80] + Array("\",2\n".utf8)
  #expect(csvError(quoted)?.message.hasSuffix("(its bytes are not valid UTF-8)") == true)
}

@Test func invalidUTF8InTheHeaderIsKeptAsAReplacementCharacter() throws {
  // Spreadsheets still write Latin-1 names ("é" as 0xE9): the numbers load all the same.
  let bytes = Array("caf".utf8) + [0xE9] + Array(",y\n1,2\n".utf8)
  let data = try csv(bytes)
  #expect(data.x == Tensor(shape: [1, 1], scalars: [1]))
  do {
    _ = try CSV.load(bytes: bytes, target: .name("café"))
    Issue.record("found a column that is not there")
  } catch {
    #expect(error.message == "there is no column named \"café\"; the columns are \"caf\u{FFFD}\", \"y\"")
  }
}

@Test func mixedLineEndingsAreAllLineBreaks() throws {
  let data = try csv(Array("a,y\n1,2\r\n3,4\r5,6\n7,8\r".utf8))
  #expect(data.x == Tensor(shape: [4, 1], scalars: [1, 3, 5, 7]))
  #expect(data.y == Tensor(shape: [4, 1], scalars: [2, 4, 6, 8]))
  // Line numbers count each kind once: the bad cell is on line 5.
  #expect(csvError("a,y\n1,2\r\n3,4\r5,6\nx,8\r")
    == DataError("not a number: \"x\"", line: 5, column: 1))
  // "\n\r" is two line breaks (LF, then a lone CR), so a blank line between.
  #expect(csvError("a,y\n\r1,2\n\rx,8")
    == DataError("not a number: \"x\"", line: 5, column: 1))
}

@Test func aByteOrderMarkAndBlankLinesAreSkipped() throws {
  let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("\r\n\n  \r\na,y\r\n\r\n1,2\n\t\n\r3,4\r\n\r\n".utf8)
  let data = try csv(bytes, classes: 5)
  #expect(data.y == Tensor([2, 4]))
  // The mark only counts at the very start; elsewhere it is text in a cell.
  #expect(csvError(Array("a,y\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("1,2\n".utf8))
    == DataError("not a number: \"\u{FEFF}1\"", line: 2, column: 1))
  // A BOM alone, or with only blank lines, is an empty file.
  #expect(csvError([0xEF, 0xBB, 0xBF] + Array("\r\n\n".utf8)) == DataError("the file is empty"))
}

@Test func raggedRowsAfterMixedLineEndingsNameTheirLine() {
  #expect(csvError("a,b,y\r\n1,2,3\r4,5\n")
    == DataError("this line has 2 fields, but the header has 3", line: 3))
  #expect(csvError("a,b,y\n1,2,3\n4,5,6,7\r\n")
    == DataError("this line has 4 fields, but the header has 3", line: 3))
}

@Test func quotedFieldsHoldEveryKindOfLineBreakAndDelimiter() throws {
  let data = try csv(Array("\"a,\r\nb\",\"y\"\"\r\"\n\" 1\",\"2\"\r\n".utf8))
  #expect(data.x == Tensor(shape: [1, 1], scalars: [1]))
  // A quoted cell that is not a number, with line breaks of each kind inside.
  #expect(csvError("a,y\n\"1\r\n\n\r\",2\nx,3\n")
    == DataError(#"not a number: "1\u{D}\u{A}\u{A}\u{D}""#, line: 2, column: 1))
  // The line count goes through CRLF, LF and a lone CR inside quotes, once each: the header
  // ends on line 4, so the bad cell is on line 6.
  #expect(csvError("\"a\r\n\n\rb\",y\n1,2\nx,3\n")
    == DataError("not a number: \"x\"", line: 6, column: 1))
}

@Test func nulBytesAndControlCharactersAreNotNumbers() {
  #expect(csvError(Array("a,y\n1,".utf8) + [0] + Array("\n".utf8))
    == DataError(#"not a number: "\u{0}""#, line: 2, column: 2))
  #expect(csvError("a,y\n1,\u{7}2\n")?.line == 2)
  // Double(String) reads a C string, which a NUL ends: the whole cell must be the number.
  #expect(csvError(Array("a,y\n1,1".utf8) + [0] + Array("zzz\n".utf8))
    == DataError(#"not a number: "1\u{0}zzz""#, line: 2, column: 2))
}

@Test func aHeaderWiderOrNarrowerThanTheRowsIsAnErrorWhateverTheTarget() {
  // The width once came from the first data row and the target's index from the header, so a
  // named target past the rows' width trapped (found by FuzzCSV).
  for target: CSVTarget in [.name("y"), .last, .index(1), .index(-1)] {
    #expect(throws: DataError("this line has 2 fields, but the header has 4", line: 2)) {
      _ = try CSV.load(bytes: Array("a,b,c,y\n1,2\n".utf8), target: target)
    }
  }
  #expect(throws: DataError("this line has 4 fields, but the header has 2", line: 2)) {
    _ = try CSV.load(bytes: Array("a,y\n1,2,3,4\n".utf8), target: .name("y"))
  }
}
