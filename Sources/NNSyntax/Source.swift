/// A byte range inside one `Source`: `start ..< end`, offsets into its UTF-8 bytes.
///
/// Line and column are computed only when a diagnostic is rendered.
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
  /// Byte offset of the first byte of the range.
  public var start: Int
  /// Byte offset just past the last byte of the range.
  public var end: Int

  /// Makes `start ..< end`; an `end` before `start` gives an empty range.
  public init(start: Int, end: Int) {
    self.start = start
    self.end = max(start, end)
  }

  /// The smallest range covering both.
  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(start: min(start, other.start), end: max(end, other.end))
  }

  /// `start..<end`, for debugging.
  public var description: String { "\(start)..<\(end)" }
}

/// A named piece of source text (a file, a REPL line, an `-e` argument).
///
/// A class so that every token, node and diagnostic can refer to it without copying the text;
/// it is immutable, so it is `Sendable`. Two sources are equal when they are the same object.
public final class Source: Hashable, Sendable, CustomStringConvertible {
  /// The name shown in diagnostics (a path, `<stdin>`, `<repl:3>`).
  public let name: String
  /// The text as UTF-8 bytes, without a leading byte-order mark; the lexer reads these.
  public let bytes: [UInt8]
  /// Byte offsets at which each line starts; `lineStarts[0] == 0`.
  public let lineStarts: [Int]
  /// The line number of the text's first line: 1 for a file; later for a piece of a longer
  /// input (an entry piped into the REPL is numbered where it stands in standard input), so
  /// diagnostics count from the input's start without the entry carrying the lines before it.
  public let firstLine: Int
  /// The folder its relative imports resolve from, when that is not the folder of `name`
  /// (a host's snippet shown as `<config>` but importing from a project folder).
  public let folder: String?

  /// Makes a source named `name` holding `text`, indexing its line starts.
  ///
  /// A UTF-8 byte-order mark (as Windows editors write) is dropped here, so that no offset,
  /// column or token ever counts it. A line ends in LF, CRLF or a lone CR (classic Mac OS), as
  /// the lexer reads them. `firstLine` numbers the text's first line.
  public init(name: String, text: String, firstLine: Int = 1, folder: String? = nil) {
    self.name = name
    self.folder = folder
    self.firstLine = firstLine
    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    self.bytes = bytes
    var starts = [0]
    let (lineFeed, carriageReturn) = (UInt8(ascii: "\n"), UInt8(ascii: "\r"))
    for (offset, byte) in bytes.enumerated()
    where byte == lineFeed
      || (byte == carriageReturn && (offset + 1 == bytes.count || bytes[offset + 1] != lineFeed))
    {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  /// One-based line and column (in Unicode scalars) of a byte offset.
  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    let clamped = min(max(offset, 0), bytes.count)
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
    }
    let lineStart = lineStarts[low]
    var column = 1
    var index = lineStart
    while index < clamped {
      // Count scalar starts, not continuation bytes, so multi-byte characters are one column.
      if bytes[index] & 0xC0 != 0x80 { column += 1 }
      index += 1
    }
    if clamped < bytes.count, bytes[clamped] & 0xC0 == 0x80 { column -= 1 }
    return (low + firstLine, max(column, 1))
  }

  /// The text of a line (numbered as `lineAndColumn` numbers it), without its line break.
  public func lineText(_ numbered: Int) -> String {
    let line = numbered - firstLine + 1
    guard line >= 1, line <= lineStarts.count else { return "" }
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
  }

  /// The text a range covers.
  public func text(_ range: SourceRange) -> String {
    let start = min(max(range.start, 0), bytes.count)
    let end = min(max(range.end, start), bytes.count)
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }

  /// The source's name.
  public var description: String { name }

  /// Whether both are the same source object.
  public static func == (lhs: Source, rhs: Source) -> Bool { lhs === rhs }
  /// Hashes the object's identity.
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
