import NNRuntime

// Tensors print in NumPy's layout (`np.array2string(t, separator=", ")`: nested brackets, a row
// per line, blank lines between blocks, rows wrapped at 75 columns, large tensors summarised
// with "..."), except that each element is its shortest form, right-aligned to one width for
// the whole tensor (the longest unsigned text, plus a sign column when any element is negative)
// instead of NumPy's fixed number of decimals.

/// NumPy's print options that this layout reproduces.
enum TensorPrintOptions {
  /// Lines wrap before this many columns (NumPy's `linewidth`).
  static let lineWidth = 75
  /// Tensors with more elements than this are summarised (NumPy's `threshold`).
  static let threshold = 1000
  /// Items kept at each end of a summarised axis (NumPy's `edgeitems`).
  static let edgeItems = 3
}

/// The tensor in NumPy-like layout with shortest-form elements; a 0-d tensor is its number.
package func formatTensor(_ t: Tensor) -> String {
  if t.rank == 0 { return formatNumber(t[flat: 0]) }
  if t.count == 0 { return formatEmptyTensor(shape: t.shape) }
  let layout = TensorLayout(tensor: t)
  return layout.format(axis: 0, offset: 0, hangingIndent: " ",
                       width: TensorPrintOptions.lineWidth)
}

/// The positions shown along an axis of length `n`: all, or the edge items around a gap
/// (`nil` marks the "...").
private func shownPositions(_ n: Int, summarize: Bool) -> [Int?] {
  let edge = TensorPrintOptions.edgeItems
  if summarize && 2 * edge < n {
    return Array(0..<edge) + [nil] + Array((n - edge)..<n)
  }
  return Array(0..<n)
}

/// Empty tensors print as nested lists (`[[], []]` for shape [2, 0]) on one line.
private func formatEmptyTensor(shape: [Int]) -> String {
  let firstZero = shape.firstIndex(of: 0) ?? shape.count
  let outerCount = shape[..<firstZero].reduce(1) { $0.multipliedReportingOverflow(by: $1).0 }
  let summarize = outerCount > TensorPrintOptions.threshold || outerCount < 0
  func nested(_ axis: Int) -> String {
    if axis == firstZero { return "[]" }
    let items = shownPositions(shape[axis], summarize: summarize).map { position in
      position == nil ? "..." : nested(axis + 1)
    }
    return "[" + items.joined(separator: ", ") + "]"
  }
  return nested(0)
}

/// The shown elements' texts plus what the recursive layout needs.
private struct TensorLayout {
  let shape: [Int]
  let strides: [Int]
  let summarize: Bool
  /// The text of each shown element by flat offset, padded to the common width.
  var words: [Int: String] = [:]

  init(tensor: Tensor) {
    shape = tensor.shape
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) {
      strides[axis] = strides[axis + 1] * shape[axis + 1]
    }
    self.strides = strides
    summarize = tensor.count > TensorPrintOptions.threshold
    // Only the elements that will be shown count towards the common width, as in NumPy.
    var offsets = [0]
    for axis in 0..<shape.count {
      let positions = shownPositions(shape[axis], summarize: summarize).compactMap { $0 }
      offsets = offsets.flatMap { base in positions.map { base + $0 * strides[axis] } }
    }
    var texts: [Int: String] = [:]
    tensor.withUnsafeBufferPointer { buffer in
      for offset in offsets { texts[offset] = formatNumber(buffer[offset]) }
    }
    // The longest unsigned text plus one column for a sign when any shown element is negative,
    // so [1, 2.5, -3] prints as "[   1,  2.5,   -3]".
    let hasNegative = texts.values.contains { $0.hasPrefix("-") }
    let longest = texts.values.map { $0.hasPrefix("-") ? $0.count - 1 : $0.count }.max() ?? 0
    let width = longest + (hasNegative ? 1 : 0)
    words = texts.mapValues { String(repeating: " ", count: width - $0.count) + $0 }
  }

  /// NumPy's `_formatArray` recursion: the sub-tensor at `offset` from `axis` on, its first
  /// line already indented by `hangingIndent`, fitting within `width` columns.
  func format(axis: Int, offset: Int, hangingIndent: String, width: Int) -> String {
    if axis == shape.count { return words[offset] ?? "" }
    let nextIndent = hangingIndent + " "
    let nextWidth = width - 1
    let positions = shownPositions(shape[axis], summarize: summarize)
    var text = ""
    if axis == shape.count - 1 {
      // The last axis: elements separated by ", ", wrapped when a line would overflow.
      let elementWidth = width - 1
      var line = hangingIndent
      for (k, position) in positions.enumerated() {
        let word = position.map {
          format(axis: axis + 1, offset: offset + $0 * strides[axis],
                 hangingIndent: nextIndent, width: nextWidth)
        } ?? "..."
        extendLine(&text, &line, word, width: elementWidth, indent: hangingIndent)
        if k < positions.count - 1 { line += ", " }
      }
      text += line
    } else {
      // Outer axes: one sub-block per line, blank lines between blocks of rank ≥ 2.
      let separator = "," + String(repeating: "\n", count: shape.count - axis - 1)
      for (k, position) in positions.enumerated() {
        let nested = position.map {
          format(axis: axis + 1, offset: offset + $0 * strides[axis],
                 hangingIndent: nextIndent, width: nextWidth)
        } ?? "..."
        text += hangingIndent + nested
        if k < positions.count - 1 { text += separator }
      }
    }
    return "[" + text.dropFirst(hangingIndent.count) + "]"
  }

  /// Appends `word` to `line`, first moving `line` into `text` when the word would overflow
  /// (unless the line holds nothing but its indent, where wrapping would not help).
  private func extendLine(
    _ text: inout String, _ line: inout String, _ word: String, width: Int, indent: String
  ) {
    if line.count + word.count > width && line.count > indent.count {
      text += String(line.reversed().drop(while: { $0 == " " }).reversed()) + "\n"
      line = indent
    }
    line += word
  }
}
