import NNRuntime
import NNSyntax

extension Builtins {
  /// `boundary(net, data, …)`: the decision regions of a two-input classifier.
  static let boundaryPictures: [Builtin] = [
    Builtin("boundary", [
      .required("net", .any, "a model, a list of models, or a history with snapshots"),
      .required("data", .dataset, "two-input data with class targets"),
      .optional("every", .wholeNumber, "from a history: the snapshots every N epochs")
        .within(.atLeastOne) { _ in "every is a number of epochs, at least 1" },
      .optional("title", .string, "title"),
    ] + Parameter.pictureOutput(
      width: "56 cells (30 per panel) or 480 pixels (260 per panel)",
      height: "20 cells (12 per panel) or what the panels need"),
    doc: BuiltinDoc(
      "plots and files",
      "Draws the plane coloured by predicted class, the data on top; several: small multiples.",
      "let m = model(2) { dense(8, tanh); dense(1, sigmoid) }\n"
        + "boundary(m, xor(), width: 20, height: 8)"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      try context.show(try BoundaryBuilder(context: context).boundary())
      return .nil
    },
  ]
}

/// Reads `boundary`'s arguments and evaluates the models over the plane.
private struct BoundaryBuilder {
  let context: CallContext
  /// More panels than this would be too small to read.
  static let maxPanels = 24

  func boundary() throws(Diagnostic) -> DecisionBoundary {
    let models = try self.models()
    let data = try context.dataArgument("data")
    guard data.x.rank == 2, data.x.shape[1] == 2 else {
      throw context.error(.shapeMismatch,
                          "boundary draws data of two inputs, but these inputs have shape "
                            + shapeText(data.x.shape), at: "data")
    }
    guard data.n > 0 else {
      throw context.error(.invalidArgument, "this dataset has no rows to draw", at: "data")
    }
    for (model, _) in models where model.network.inputShape != [2] {
      throw context.error(.shapeMismatch,
                          "\(model.name) takes inputs of shape "
                            + "\(shapeText(model.network.inputShape)), but boundary draws "
                            + "models of two inputs", at: "net")
    }
    let labels = try classLabels(data)
    let classes = max(data.classes ?? 0, (labels.max() ?? 0) + 1,
                      try outputClasses(models[0].model))
    let (xRange, yRange) = try ranges(data.x)
    let (columns, rows) = try gridSize(panels: models.count)
    var grid = [Float]()
    grid.reserveCapacity(columns * rows * 2)
    for row in 0..<rows {
      for column in 0..<columns {
        let (x, y) = DecisionBoundary.cellCentre(column: column, row: row, columns: columns,
                                                 rows: rows, x: xRange, y: yRange)
        grid += [Float(x), Float(y)]
      }
    }
    let plane = Tensor(shape: [columns * rows, 2], scalars: grid)
    let runner = NetworkRunner(evaluator: context.evaluator)
    let panels = try models.map { (model, title) throws(Diagnostic) in
      let outputs = try runner.forward(model, .tensor(plane), range: context.callRange)
      let cells = Self.predictions(outputs)
      let points = Self.predictions(try runner.forward(model, .tensor(data.x),
                                                       range: context.callRange))
      return DecisionBoundary.Panel(title: title, classes: cells.map(\.0),
                                    confidence: cells.map(\.1), predicted: points.map(\.0))
    }
    let xs = data.x.scalars
    let points = (0..<data.n).map { (Double(xs[2 * $0]), Double(xs[2 * $0 + 1]), labels[$0]) }
    return DecisionBoundary(
      panels: panels, columns: columns, rows: rows, xRange: xRange, yRange: yRange,
      points: points, classes: classes,
      title: context.has("title") ? try context.string("title") : nil)
  }

  /// The models to draw and their captions: one model, a list of them, or a history's
  /// snapshots (`every:` keeping those of every N-th epoch).
  private func models() throws(Diagnostic) -> [(model: ModelObject, title: String)] {
    let value = try context.require("net")
    var found: [(ModelObject, String)] = []
    switch value {
    case .object(let model as ModelObject):
      found = [(model, model.name)]
    case .list(let items):
      for item in items {
        guard case .object(let model as ModelObject) = item else {
          throw context.error(.typeMismatch,
                              "boundary draws a list of models, but this list holds a "
                                + item.typeName, at: "net")
        }
        found.append((model, model.name))
      }
    case .record(let history):
      guard case .list(let snapshots)? = history["snapshots"],
        case .tensor(let epochs)? = history["snapshot_epochs"]
      else {
        throw context.error(.invalidArgument,
                            "this record holds no snapshots to draw",
                            at: "net", hint: "train with snapshots: 10 to keep them")
      }
      for (item, epoch) in zip(snapshots, epochs.scalars) {
        guard case .object(let model as ModelObject) = item else { continue }
        found.append((model, "epoch \(Int(epoch))"))
      }
      if context.has("every") {
        let every = try context.integer("every")
        let kept = zip(found, epochs.scalars).filter { Int($1) % every == 0 }.map(\.0)
        guard !kept.isEmpty else {
          throw context.error(.invalidArgument,
                              "no snapshot was taken at a multiple of \(every) epochs (they "
                                + "are at epochs "
                                + epochs.scalars.map { String(Int($0)) }
                                  .joined(separator: ", ") + ")", at: "every")
        }
        found = kept
      }
    default:
      throw context.error(.typeMismatch,
                          "boundary draws a model, a list of models or a history with "
                            + "snapshots, not a \(value.typeName)", at: "net")
    }
    if context.has("every"), case .record = value {} else if context.has("every") {
      throw context.error(.invalidArgument, "every: picks snapshots from a training history",
                          at: "every", hint: "boundary(h, data, every: 10)")
    }
    guard !found.isEmpty else {
      throw context.error(.invalidArgument, "there is no model to draw", at: "net")
    }
    guard found.count <= Self.maxPanels else {
      throw context.error(.invalidArgument,
                          "boundary draws at most \(Self.maxPanels) panels, not "
                            + "\(found.count)", at: "net", hint: "pick fewer with every:")
    }
    return found
  }

  /// Class indices of the targets, which must be classes.
  private func classLabels(_ data: Dataset) throws(Diagnostic) -> [Int] {
    let y = data.y
    let wholeColumn = y.rank == 1 || (y.rank == 2 && y.shape[1] == 1)
    if data.classes == nil, wholeColumn,
      !y.scalars.allSatisfy({ $0 >= 0 && $0.rounded() == $0 && $0 < 1e6 })
    {
      throw context.error(.dataError,
                          "boundary colours classes, but these targets are not class indices",
                          at: "data", hint: "make the dataset with classes: k")
    }
    return Metrics.labels(from: y)
  }

  /// How many classes a model's output tells apart: 2 for one probability, k for k scores.
  private func outputClasses(_ model: ModelObject) throws(Diagnostic) -> Int {
    let output = model.network.outputShape
    guard output.count == 1 else {
      throw context.error(.shapeMismatch,
                          "boundary draws a classifier with one row of class scores, but "
                            + "\(model.name) outputs \(shapeText(output)) per sample", at: "net")
    }
    return max(output[0], 2)
  }

  /// The data's extent, widened by a tenth each side (half a unit when it is a line).
  private func ranges(
    _ x: Tensor
  ) throws(Diagnostic) -> (ClosedRange<Double>, ClosedRange<Double>) {
    let values = x.scalars
    func extent(_ column: Int) throws(Diagnostic) -> ClosedRange<Double> {
      let finite = stride(from: column, to: values.count, by: 2).map { Double(values[$0]) }
        .filter(\.isFinite)
      guard let low = finite.min(), let high = finite.max() else {
        throw context.error(.dataError, "input \(column + 1) has no finite value to place",
                            at: "data")
      }
      let margin = high > low ? (high - low) / 10 : 0.5
      return (low - margin)...(high + margin)
    }
    return (try extent(0), try extent(1))
  }

  /// Grid cells across and down: the terminal panel's size in cells, or a fine grid for a file.
  private func gridSize(panels: Int) throws(Diagnostic) -> (Int, Int) {
    if let file = context.value("file"), !file.isNil {
      return (DecisionBoundary.pictureGrid, DecisionBoundary.pictureGrid)
    }
    let (width, height) = panels == 1 ? (56, 20) : (30, 12)
    return (try context.pictureSize("width", PlotLimits.terminalWidth, default: width,
                                    unit: "cells"),
            try context.pictureSize("height", PlotLimits.terminalHeight, default: height,
                                    unit: "cells"))
  }

  /// Each row's predicted class and sureness.
  static func predictions(_ outputs: Tensor) -> [(Int, Double)] {
    let scalars = outputs.scalars
    let columns = outputs.rank >= 2 ? outputs.shape[outputs.rank - 1] : 1
    guard columns > 0 else { return [] }
    let probabilities = ClassScores.areProbabilities(scalars, columns: columns)
    return stride(from: 0, to: scalars.count, by: columns).map {
      DecisionBoundary.prediction(scalars[$0..<($0 + columns)], probabilities: probabilities)
    }
  }
}
