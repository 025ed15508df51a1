/// A grid of character cells drawn in Unicode braille (U+2800–U+28FF): each cell holds 2×4 dots,
/// so a 60×15-cell chart has 120×60 points of resolution.
struct BrailleCanvas {
  let columns: Int
  let rows: Int
  /// One byte per cell: bit `i` is braille dot `i + 1`.
  private var cells: [UInt8]

  init(columns: Int, rows: Int) {
    self.columns = columns
    self.rows = rows
    cells = [UInt8](repeating: 0, count: columns * rows)
  }

  var dotWidth: Int { columns * 2 }
  var dotHeight: Int { rows * 4 }

  /// The bit for the dot at column `x` (0 or 1) and row `y` (0 to 3, from the top) of a cell, in
  /// Unicode's dot numbering (dots 1–3 and 7 down the left, 4–6 and 8 down the right).
  private static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

  /// Sets the dot at `x` (from the left) and `y` (from the top); dots off the canvas are ignored.
  mutating func set(x: Int, y: Int) {
    guard (0..<dotWidth).contains(x), (0..<dotHeight).contains(y) else { return }
    cells[(y / 4) * columns + x / 2] |= Self.dotBits[x % 2][y % 4]
  }

  /// The cell's character; a space where no dot is set, so empty space stays plain.
  func character(column: Int, row: Int) -> Character {
    let bits = cells[row * columns + column]
    guard bits != 0 else { return " " }
    return Character(Unicode.Scalar(0x2800 + UInt32(bits))!)
  }

  /// One row of cells as text.
  func line(_ row: Int) -> String {
    String((0..<columns).map { character(column: $0, row: row) })
  }

  // MARK: - Lines

  /// Draws the straight line from `start` to `end` (dots, inclusive) with Bresenham's method,
  /// setting only the dots that `pen`'s pattern allows. `skipStart` leaves out the first dot:
  /// the end of the segment before, which the pattern has already counted.
  mutating func line(
    from start: (x: Int, y: Int), to end: (x: Int, y: Int), pen: inout Pen, skipStart: Bool
  ) {
    let (dx, dy) = (abs(end.x - start.x), -abs(end.y - start.y))
    let (stepX, stepY) = (start.x < end.x ? 1 : -1, start.y < end.y ? 1 : -1)
    var (x, y) = start
    var error = dx + dy
    var first = true
    while true {
      if !(first && skipStart), pen.next() { set(x: x, y: y) }
      first = false
      if x == end.x, y == end.y { break }
      let doubled = 2 * error
      if doubled >= dy {
        error += dy
        x += stepX
      }
      if doubled <= dx {
        error += dx
        y += stepY
      }
    }
  }
}

/// How a series' lines are dotted, so that series stay apart without colour: the pattern says,
/// dot by dot along the line, which dots are drawn.
enum LinePattern: Int, CaseIterable {
  case solid, dotted, dashed, sparse

  /// The pattern of the series at `index` (from 0); after four series the patterns repeat.
  static func forSeries(_ index: Int) -> LinePattern {
    allCases[index % allCases.count]
  }

  var mask: [Bool] {
    switch self {
    case .solid: return [true]
    case .dotted: return [true, false]
    case .dashed: return [true, true, true, false]
    case .sparse: return [true, false, false, false]
    }
  }

  /// A four-cell horizontal stroke in this pattern, for the legend (`⠤⠤⠤⠤`, `⠄⠄⠄⠄`, …).
  var sample: String {
    var canvas = BrailleCanvas(columns: 4, rows: 1)
    var pen = Pen(self)
    canvas.line(from: (0, 2), to: (7, 2), pen: &pen, skipStart: false)
    return canvas.line(0)
  }
}

/// Walks a pattern along a series; the position carries over from one segment to the next, so
/// the dashes of a line made of many short segments keep their rhythm.
struct Pen {
  private let mask: [Bool]
  private var position = 0

  init(_ pattern: LinePattern) { mask = pattern.mask }

  /// Whether the next dot along the line is drawn.
  mutating func next() -> Bool {
    defer { position += 1 }
    return mask[position % mask.count]
  }
}
