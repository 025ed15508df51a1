// Reading a safetensors file treats it as hostile: each length and offset is checked against
// the bytes actually present (with overflow checks) before anything is allocated from it, and
// the rules of the reference implementation are enforced: the header starts with `{`, the
// tensors' byte ranges tile the buffer exactly, each range holds exactly shape × dtype size
// bytes, names are unique, and `__metadata__` maps strings to strings.

extension SafeTensorsFile {
  /// Parses and checks a whole safetensors file held in `bytes`.
  public init(bytes: [UInt8]) throws(SafeTensorsError) {
    guard bytes.count >= 8 else {
      throw Self.malformed("the file is \(bytes.count) bytes long, too short for the 8-byte "
                             + "header length every safetensors file starts with")
    }
    var length: UInt64 = 0
    for index in 0..<8 { length |= UInt64(bytes[index]) << (8 * UInt64(index)) }
    guard length <= UInt64(Self.maxHeaderLength) else {
      throw SafeTensorsError(.tooLarge, "the header length \(length) is more than the "
                               + "\(Self.maxHeaderLength) bytes a safetensors header may have")
    }
    let headerLength = Int(length)
    guard headerLength <= bytes.count - 8 else {
      throw Self.malformed("the header length says \(headerLength) bytes, but only "
                             + "\(bytes.count - 8) follow it")
    }
    let header = bytes[8..<(8 + headerLength)]
    let dataStart = 8 + headerLength
    let fields = try Self.headerObject(header)
    var metadata: [String: String]?
    var entries: [SafeTensorsEntry] = []
    entries.reserveCapacity(fields.count)
    for (name, value) in fields {
      if name == "__metadata__" {
        metadata = try Self.metadata(value)
      } else {
        entries.append(try Self.entry(name, value))
      }
    }
    // Data order, with the name as a tie-break (empty tensors share an offset) so the result
    // does not depend on dictionary order.
    entries.sort {
      ($0.offsets.lowerBound, $0.offsets.upperBound, $0.name)
        < ($1.offsets.lowerBound, $1.offsets.upperBound, $1.name)
    }
    try Self.checkTiling(entries, dataLength: bytes.count - dataStart)
    self.init(entries: entries, metadata: metadata, bytes: bytes, dataStart: dataStart)
  }

  private static func malformed(_ message: String) -> SafeTensorsError {
    SafeTensorsError(.malformed, message)
  }

  // MARK: - Header

  private static func headerObject(
    _ header: ArraySlice<UInt8>
  ) throws(SafeTensorsError) -> [String: JSONValue] {
    guard header.first == UInt8(ascii: "{") else {
      throw malformed("the header does not start with '{', so it is not a JSON object")
    }
    guard String(validating: header, as: UTF8.self) != nil else {
      throw malformed("the header is not valid UTF-8")
    }
    // Checked before parsing, so the message says what is wrong rather than a parser's words.
    if JSONValue.exceedsDepth(header, JSONValue.maxDepth) {
      throw malformed("the header nests arrays and objects more than \(JSONValue.maxDepth) "
                        + "levels deep (a safetensors header needs 3)")
    }
    let value: JSONValue
    switch JSONValue.parse(header) {
    case .success(let parsed): value = parsed
    case .failure:
      // Foundation's own reason differs between platforms and versions; the position it gives
      // is of little use in a binary file, so the message stays the same everywhere.
      throw malformed("the header is not valid JSON")
    }
    guard case .object(let fields) = value else {
      throw malformed("the header is \(value.kindName), not a JSON object")
    }
    // JSON parsers keep one of two equal keys silently; the format forbids them, and a second
    // tensor of the same name could otherwise hide in the file.
    if let duplicate = JSONKeyScanner.firstDuplicateKey(in: header) {
      if duplicate.topLevel {
        throw malformed("the header names '\(duplicate.key)' more than once")
      }
      throw malformed("an object in the header has the key '\(duplicate.key)' more than once")
    }
    return fields
  }

  private static func metadata(_ value: JSONValue) throws(SafeTensorsError) -> [String: String]? {
    switch value {
    case .null:
      return nil
    case .object(let fields):
      var strings: [String: String] = [:]
      for (key, item) in fields {
        guard case .string(let text) = item else {
          throw malformed("__metadata__ must map strings to strings, but '\(key)' holds "
                            + item.kindName)
        }
        strings[key] = text
      }
      return strings
    default:
      throw malformed("__metadata__ must be an object of strings, not \(value.kindName)")
    }
  }

  // MARK: - Entries

  private static func entry(
    _ name: String, _ value: JSONValue
  ) throws(SafeTensorsError) -> SafeTensorsEntry {
    guard case .object(let fields) = value else {
      throw malformed("the entry of tensor '\(name)' is \(value.kindName), not an object with "
                        + "dtype, shape and data_offsets")
    }
    func field(_ key: String) throws(SafeTensorsError) -> JSONValue {
      guard let item = fields[key] else {
        throw malformed("the tensor '\(name)' has no \(key)")
      }
      return item
    }
    let dtypeValue = try field("dtype")
    guard case .string(let dtypeName) = dtypeValue else {
      throw malformed("the dtype of tensor '\(name)' is \(dtypeValue.kindName), not a string")
    }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
      throw malformed("the tensor '\(name)' has the unknown dtype '\(dtypeName)'")
    }
    let shape = try counts(try field("shape"), what: "the shape of tensor '\(name)'")
    let offsets = try counts(try field("data_offsets"),
                             what: "the data_offsets of tensor '\(name)'")
    guard offsets.count == 2 else {
      throw malformed("the data_offsets of tensor '\(name)' must be [begin, end], not "
                        + "\(offsets.count) numbers")
    }
    guard offsets[0] <= offsets[1] else {
      throw malformed("the data_offsets of tensor '\(name)' end (\(offsets[1])) before they "
                        + "begin (\(offsets[0]))")
    }
    // The element count, with zero dimensions skipped so [0, 2^40, 2^40] still overflows: the
    // shape is nonsense whatever its byte count.
    var elements = 1
    var empty = false
    for dimension in shape {
      if dimension == 0 {
        empty = true
        continue
      }
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      guard !overflow else {
        throw malformed("the shape of tensor '\(name)' has more elements than can be counted")
      }
      elements = product
    }
    if empty { elements = 0 }
    let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
    guard !overflow, byteCount == offsets[1] - offsets[0] else {
      throw malformed("the tensor '\(name)' of shape \(shapeText(shape, atMost: 8)) and dtype "
                        + "\(dtypeName) "
                        + "needs \(overflow ? "more" : "\(byteCount)") bytes, but its "
                        + "data_offsets [\(offsets[0]), \(offsets[1])] span "
                        + "\(offsets[1] - offsets[0])")
    }
    return SafeTensorsEntry(name: name, dtype: dtype, shape: shape,
                            offsets: offsets[0]..<offsets[1])
  }

  /// An array of whole numbers ≥ 0 (a shape, or data offsets).
  private static func counts(_ value: JSONValue, what: String) throws(SafeTensorsError) -> [Int] {
    guard case .array(let items) = value else {
      throw malformed("\(what) is \(value.kindName), not an array of whole numbers")
    }
    var numbers: [Int] = []
    numbers.reserveCapacity(items.count)
    for item in items {
      guard case .integer(let n) = item, n >= 0 else {
        let found: String
        switch item {
        case .integer(let n): found = String(n)
        case .number(let x): found = formatNumber(x)
        default: found = item.kindName
        }
        throw malformed("\(what) must hold whole numbers ≥ 0, not \(found)")
      }
      numbers.append(n)
    }
    return numbers
  }

  /// The byte ranges, sorted, must cover the buffer from 0 to its end with no gap or overlap:
  /// no byte of the file goes unexplained (so it cannot smuggle other content) and no byte
  /// belongs to two tensors.
  private static func checkTiling(
    _ entries: [SafeTensorsEntry], dataLength: Int
  ) throws(SafeTensorsError) {
    var cursor = 0
    var previous: String?
    for entry in entries {
      let begin = entry.offsets.lowerBound
      if begin < cursor {
        throw malformed("the tensors '\(previous ?? "")' and '\(entry.name)' overlap in the "
                          + "data buffer")
      }
      if begin > cursor {
        let after = previous.map { "after tensor '\($0)'" } ?? "at its start"
        throw malformed("the data buffer has a gap of \(begin - cursor) bytes \(after)")
      }
      cursor = entry.offsets.upperBound
      if cursor > dataLength {
        throw malformed("the tensor '\(entry.name)' ends at byte \(cursor) of the data buffer, "
                          + "but the buffer holds only \(dataLength) bytes")
      }
      previous = entry.name
    }
    if cursor != dataLength {
      throw malformed("the data buffer holds \(dataLength) bytes, but its tensors account for "
                        + "only \(cursor)")
    }
  }
}

/// Finds object keys that occur twice in one object of JSON text that is already known to be
/// valid, which `JSONSerialization` would otherwise merge without a word.
enum JSONKeyScanner {
  static func firstDuplicateKey(
    in text: ArraySlice<UInt8>
  ) -> (key: String, topLevel: Bool)? {
    // One entry per open container: the keys seen so far for an object, nil for an array.
    var stack: [Set<String>?] = []
    var expectingKey = false
    var index = text.startIndex
    while index < text.endIndex {
      let byte = text[index]
      switch byte {
      case UInt8(ascii: "{"):
        stack.append([])
        expectingKey = true
      case UInt8(ascii: "["):
        stack.append(nil)
        expectingKey = false
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if !stack.isEmpty { stack.removeLast() }
        expectingKey = false
      case UInt8(ascii: ","):
        expectingKey = stack.last.map { $0 != nil } ?? false
      case UInt8(ascii: "\""):
        var end = index + 1
        while end < text.endIndex, text[end] != UInt8(ascii: "\"") {
          end += text[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        if expectingKey, stack.last != nil, end < text.endIndex {
          let key = decodeKey(text[index...end])
          if stack[stack.count - 1]!.insert(key).inserted == false {
            return (key, stack.count == 1)
          }
          expectingKey = false
        }
        index = end
      default:
        break
      }
      index += 1
    }
    return nil
  }

  /// A key literal (quotes included) as a string, escapes resolved so `"a"` and `"\u0061"`
  /// count as the same key.
  private static func decodeKey(_ literal: ArraySlice<UInt8>) -> String {
    let body = literal.dropFirst().dropLast()
    guard body.contains(UInt8(ascii: "\\")) else { return String(decoding: body, as: UTF8.self) }
    if case .success(.string(let key)) = JSONValue.parse(literal) { return key }
    return String(decoding: body, as: UTF8.self)
  }
}
