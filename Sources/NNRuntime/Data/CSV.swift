/// Which column of a CSV file holds the targets.
public enum CSVTarget: Sendable, Equatable {
  /// The last column (the default, as in most data sets).
  case last
  /// A zero-based column index; a negative one counts from the end.
  case index(Int)
  /// The column with this name in the header.
  case name(String)
}

/// Reading numeric CSV files (RFC 4180) into data sets.
public enum CSV {
  /// Parses `text` into a data set: every column but the target is an input feature.
  ///
  /// Fields may be quoted (`"1,5"`, with `""` for a quote inside) and span lines; lines end in
  /// LF, CRLF or a lone CR; a leading byte-order mark is skipped; blank lines are skipped;
  /// spaces around a number are ignored. With `classes`, the target column holds class indices
  /// in `0..<classes` and `y` is `[n]`; without it, `y` is `[n, 1]`. Every problem is a
  /// `DataError` with the line and column of the offending cell.
  public static func load(
    text: String, delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true,
    target: CSVTarget = .last, classes: Int? = nil
  ) throws(DataError) -> Dataset {
    try load(bytes: Array(text.utf8), delimiter: delimiter, header: header, target: target,
             classes: classes)
  }

  /// Parses a file's bytes as `load(text:…)` parses text, without first decoding them as a
  /// whole: a header name or a cell that is not valid UTF-8 is shown with U+FFFD in its place
  /// (and a cell that is not a number says its bytes are not UTF-8).
  public static func load(
    bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true,
    target: CSVTarget = .last, classes: Int? = nil
  ) throws(DataError) -> Dataset {
    if let classes, classes < 1 {
      throw DataError("classes must be at least 1, not \(classes)")
    }
    guard delimiter != quote, delimiter != newline, delimiter != carriageReturn else {
      throw DataError("the delimiter cannot be a quote or a line break")
    }
    var reader = CSVReader(bytes: bytes, delimiter: delimiter)
    var fields: [CSVReader.Field] = []
    guard let firstLine = try reader.next(into: &fields) else {
      throw DataError("the file is empty")
    }
    var names: [String]? = nil
    if header {
      names = fields.map { reader.text(of: $0).trimmingSpaces }
      guard try reader.next(into: &fields) != nil else {
        throw DataError("the file has a header line but no rows of data", line: firstLine)
      }
    }
    // With a header, the header sets the width (and the target's index among its names); the
    // first data row is checked against it like every other.
    let width = names?.count ?? fields.count
    let targetColumn = try resolve(target, width: width, names: names)
    let expectation = header ? "the header has \(width)" : "the first line has \(width)"
    var inputs: [Float] = []
    var targets: [Float] = []
    var rows = 0
    repeat {
      let line = fields.first?.line ?? reader.line
      guard fields.count == width else {
        throw DataError("this line has \(counted(fields.count, "field")), but \(expectation)",
                        line: line)
      }
      guard (rows + 1) * width <= Tensor.maxElements else {
        throw DataError("the file has more than \(Tensor.maxElements) numbers", line: line)
      }
      for (column, field) in fields.enumerated() {
        let value = try number(field, column: column, in: reader)
        guard column == targetColumn else {
          inputs.append(Float(value))
          continue
        }
        if let classes, let problem = Dataset.labelProblem(value, classes: classes) {
          throw DataError(problem, line: field.line, column: column + 1)
        }
        targets.append(Float(value))
      }
      rows += 1
    } while try reader.next(into: &fields) != nil
    let x = Tensor(shape: [rows, width - 1], scalars: inputs)
    let y = Tensor(shape: classes == nil ? [rows, 1] : [rows], scalars: targets)
    return Dataset(checkedX: x, y: y, classes: classes)
  }

  /// The zero-based index of the target column among `width` columns.
  static func resolve(
    _ target: CSVTarget, width: Int, names: [String]?
  ) throws(DataError) -> Int {
    guard width >= 2 else {
      throw DataError("the file has only 1 column; it needs input columns and a target column")
    }
    let listing = names.map { names in
      let listed = names.prefix(listedColumns).map(shown).joined(separator: ", ")
      let more = names.count > listedColumns ? " and \(names.count - listedColumns) more" : ""
      return "the columns are " + listed + more
    } ?? "the columns are 0 to \(width - 1)"
    switch target {
    case .last:
      return width - 1
    case .index(let index):
      let resolved = index < 0 ? index + width : index
      guard resolved >= 0, resolved < width else {
        throw DataError("there is no column \(index) in a file of "
                        + "\(counted(width, "column")); \(listing)")
      }
      return resolved
    case .name(let name):
      guard let names else {
        throw DataError("the target \"\(name)\" is a column name, but the file has no header; "
                          + "give the column's index instead")
      }
      guard let index = names.firstIndex(of: name) else {
        throw DataError("there is no column named \"\(name)\"; \(listing)")
      }
      return index
    }
  }

  /// The number in a cell, or an error at its line and column.
  static func number(
    _ field: CSVReader.Field, column: Int, in reader: CSVReader
  ) throws(DataError) -> Double {
    if let value = reader.plainDecimal(field) { return value }
    let text = reader.text(of: field)
    let trimmed = text.trimmingSpaces
    guard !trimmed.isEmpty else {
      throw DataError("empty cell: a value is missing", line: field.line, column: column + 1)
    }
    // A number needs a digit: this also turns away "inf" and "nan", which Double accepts.
    // Double(String) parses a C string, which ends at a NUL byte: "1\0zzz" would read as 1.
    guard trimmed.utf8.count <= maxNumberLength, !trimmed.utf8.contains(0),
      trimmed.utf8.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
      let value = Double(trimmed), !value.isNaN
    else {
      let encoding = reader.isValidUTF8(field) ? "" : " (its bytes are not valid UTF-8)"
      throw DataError("not a number: \(shown(text))\(encoding)", line: field.line,
                      column: column + 1)
    }
    guard Float(value).isFinite else {
      throw DataError("the number \(shown(text)) is too large for a 32-bit float (the largest "
                        + "is about 3.4e38)", line: field.line, column: column + 1)
    }
    return value
  }

  /// Column names an error lists before it says how many more there are.
  static let listedColumns = 20
  /// The longest cell read as a number: far more digits than a Double keeps, and short enough
  /// that a stray huge cell is not handed to the number parser whole.
  static let maxNumberLength = 1_000
  /// The characters of a cell quoted in an error message; a longer one is cut short.
  static let shownCellLength = 40

  /// A cell's text in quotes for a message, cut short with its length when it is long (a 10 MB
  /// cell must not become a 10 MB diagnostic).
  static func shown(_ text: String) -> String {
    var count = 0
    var end = text.startIndex
    while end < text.endIndex, count < shownCellLength {
      end = text.index(after: end)
      count += 1
    }
    guard end < text.endIndex else { return "\"\(escaped(text[...]))\"" }
    return "\"\(escaped(text[..<end]))…\" (\(text.utf8.count) bytes)"
  }

  /// Control characters as `\u{0}`, the spelling the lexer's messages use, so a NUL or an
  /// escape sequence in a cell neither vanishes from the message nor reaches the terminal.
  static func escaped(_ text: Substring) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x20 || value == 0x7F || (value >= 0x80 && value < 0xA0) {
        result += "\\u{" + String(value, radix: 16, uppercase: true) + "}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}

private let quote = UInt8(ascii: "\"")
private let newline = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
/// 10⁰ … 10¹⁵, each exact in a Double.
private let powersOfTen: [Double] = (0...15).map { (power: Int) -> Double in
  (0..<power).reduce(1.0) { product, _ in product * 10 }
}

/// Splits CSV bytes into records of fields, tracking lines for error messages.
struct CSVReader {
  /// One field: a byte range of the text, or (for a quoted field) its unescaped bytes.
  struct Field {
    var start: Int
    var end: Int
    var unescaped: [UInt8]?
    /// The line the field starts on.
    var line: Int
  }

  private let bytes: [UInt8]
  private let delimiter: UInt8
  private var position = 0
  /// The current 1-based line.
  private(set) var line = 1

  init(bytes: [UInt8], delimiter: UInt8) {
    self.bytes = bytes
    self.delimiter = delimiter
    // A byte-order mark (as spreadsheet programs write) is not part of the first field.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
  }

  /// Whether the field's bytes are valid UTF-8 (`text(of:)` repairs them otherwise).
  func isValidUTF8(_ field: Field) -> Bool {
    if let unescaped = field.unescaped {
      return String(validating: unescaped, as: UTF8.self) != nil
    }
    return String(validating: bytes[field.start..<field.end], as: UTF8.self) != nil
  }

  /// The field's text.
  func text(of field: Field) -> String {
    if let unescaped = field.unescaped { return String(decoding: unescaped, as: UTF8.self) }
    return String(decoding: bytes[field.start..<field.end], as: UTF8.self)
  }

  /// The value of an unquoted cell such as `-12.5` (up to 15 digits, no exponent), parsed
  /// straight from the bytes: the common case of a large file, where making a `String` per cell
  /// dominates the time. Exact: both the digits and the power of ten are exact Doubles, so one
  /// division rounds correctly. Anything else is left to `Double(String)`.
  func plainDecimal(_ field: Field) -> Double? {
    guard field.unescaped == nil else { return nil }
    var index = field.start
    var end = field.end
    while index < end, bytes[index] == space || bytes[index] == tab { index += 1 }
    while end > index, bytes[end - 1] == space || bytes[end - 1] == tab { end -= 1 }
    guard index < end else { return nil }
    let negative = bytes[index] == UInt8(ascii: "-")
    if negative || bytes[index] == UInt8(ascii: "+") { index += 1 }
    var mantissa: UInt64 = 0
    var digits = 0
    var fractionDigits = 0
    var seenPoint = false
    while index < end {
      let byte = bytes[index]
      if byte == UInt8(ascii: "."), !seenPoint {
        seenPoint = true
      } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
        // Past 15 digits the value is not exact this way (and 20 would overflow): leave it to
        // Double(String).
        guard digits < 15 else { return nil }
        mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
        digits += 1
        if seenPoint { fractionDigits += 1 }
      } else {
        return nil
      }
      index += 1
    }
    guard digits > 0 else { return nil }
    let value = Double(mantissa) / powersOfTen[fractionDigits]
    return negative ? -value : value
  }

  /// Reads the next record into `fields`, skipping blank lines; returns the line it starts on,
  /// or nil at the end of the text.
  mutating func next(into fields: inout [Field]) throws(DataError) -> Int? {
    fields.removeAll(keepingCapacity: true)
    skipBlankLines()
    guard position < bytes.count else { return nil }
    let recordLine = line
    while true {
      if position < bytes.count, bytes[position] == quote {
        fields.append(try quotedField(column: fields.count + 1))
      } else {
        let start = position
        while position < bytes.count, !isEnd(bytes[position]) { position += 1 }
        fields.append(Field(start: start, end: position, unescaped: nil, line: line))
      }
      guard position < bytes.count else { return recordLine }
      if bytes[position] == delimiter {
        position += 1
        continue
      }
      consumeLineBreak()
      return recordLine
    }
  }

  private func isEnd(_ byte: UInt8) -> Bool {
    byte == delimiter || byte == newline || byte == carriageReturn
  }

  /// `"…"` with `""` for a quote; it may hold delimiters and line breaks.
  private mutating func quotedField(column: Int) throws(DataError) -> Field {
    let startLine = line
    position += 1
    var content: [UInt8] = []
    while true {
      guard position < bytes.count else {
        throw DataError("a quoted field is never closed", line: startLine, column: column)
      }
      let byte = bytes[position]
      if byte == quote {
        if position + 1 < bytes.count, bytes[position + 1] == quote {
          content.append(quote)
          position += 2
          continue
        }
        position += 1
        break
      }
      if byte == newline || (byte == carriageReturn
        && (position + 1 == bytes.count || bytes[position + 1] != newline))
      {
        line += 1
      }
      // The run up to the next quote or line break in one copy (a cell can be megabytes long).
      var end = position + 1
      if byte != newline, byte != carriageReturn {
        while end < bytes.count, bytes[end] != quote, bytes[end] != newline,
          bytes[end] != carriageReturn
        {
          end += 1
        }
      }
      content.append(contentsOf: bytes[position..<end])
      position = end
    }
    // Spaces after the closing quote are tolerated; anything else is malformed.
    while position < bytes.count, bytes[position] != delimiter,
      bytes[position] == space || bytes[position] == tab
    {
      position += 1
    }
    guard position == bytes.count || isEnd(bytes[position]) else {
      throw DataError("unexpected text after the closing quote of a field", line: line,
                      column: column)
    }
    return Field(start: 0, end: 0, unescaped: content, line: startLine)
  }

  /// LF, CRLF or a lone CR.
  private mutating func consumeLineBreak() {
    if bytes[position] == carriageReturn, position + 1 < bytes.count,
      bytes[position + 1] == newline
    {
      position += 1
    }
    position += 1
    line += 1
  }

  /// Skips lines that hold nothing but spaces.
  private mutating func skipBlankLines() {
    while position < bytes.count {
      var probe = position
      while probe < bytes.count, bytes[probe] != delimiter,
        bytes[probe] == space || bytes[probe] == tab
      {
        probe += 1
      }
      if probe == bytes.count {
        position = probe
        return
      }
      guard bytes[probe] == newline || bytes[probe] == carriageReturn else { return }
      position = probe
      consumeLineBreak()
    }
  }
}

extension String {
  /// Without leading and trailing spaces and tabs.
  var trimmingSpaces: String {
    let utf8 = self.utf8
    guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
    let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
    return String(self[first...last])
  }
}
