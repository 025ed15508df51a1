import NNRuntime
import NNSyntax

/// A data set as scripts hold it: `xor()`, `load_csv(…)`, `dataset(x, y)`. Read-only; slicing
/// and the data built-ins make new ones.
final class DatasetObject: ScriptObject {
  let dataset: Dataset

  init(_ dataset: Dataset) { self.dataset = dataset }

  var typeName: String { "dataset" }

  /// `<dataset 150 rows: x [150, 4], y [150], 3 classes>`.
  var displayText: String { "<dataset \(sizeText)>" }

  /// `150 rows: x [150, 4], y [150], 3 classes`: what `:type` shows after the type name.
  var sizeText: String {
    let rows = Dataset.rowCount(dataset.n)
    let shapes = "x \(shapeText(dataset.x.shape)), "
      + "y \(shapeText(dataset.y.shape))"
    guard let classes = dataset.classes else { return "\(rows): \(shapes)" }
    return "\(rows): \(shapes), \(counted(classes, "class", plural: "classes"))"
  }

  /// The members scripts may read, for errors and completion.
  static let memberNames = ["x", "y", "n", "classes"]

  /// `data.x`, `data.y`, `data.n`, `data.classes` (nil for regression).
  func member(_ name: String) -> Value? {
    switch name {
    case "x": return .tensor(dataset.x)
    case "y": return .tensor(dataset.y)
    case "n": return .number(Double(dataset.n))
    case "classes": return dataset.classes.map { .number(Double($0)) } ?? .nil
    default: return nil
    }
  }
}
