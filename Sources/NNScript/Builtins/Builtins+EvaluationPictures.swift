import NNRuntime
import NNSyntax

extension Builtins {
  /// Pictures for evaluation and inspection, each drawn in the output or written with `file:`
  /// as SVG or PNG (`CallContext.show`), and each returning what it drew:
  ///
  /// - `roc(net, data)` or `roc(pred, y)`: the ROC and precision–recall curves of two classes
  ///   (or `class: k` against the rest), returned as a record of tensors and numbers.
  /// - `confusion(net, data)` or `confusion(pred, y)`: a confusion value, printed as a table,
  ///   drawn as a heat map by `plot`.
  /// - `hist(t, bins: 20)`: the histogram of a tensor's elements, returned as `{counts, edges}`
  ///   (numpy.histogram's).
  static let evaluationPictures: [Builtin] = [
    Builtin(
      "roc",
      [
        .required("net", .any, "a model, or predictions (probabilities or scores)"),
        .required("data", .any, "a dataset, or the targets (class indices or one-hot rows)"),
        .optional("class", .wholeNumber, "the positive class, against the rest; 1 of two"),
        .flag("plot", true, "draw the curves; false only returns them"),
      ] + Parameter.pictureOutput(width: "30 cells per chart or 880 pixels",
                         height: "12 cells or 420 pixels"),
      doc: BuiltinDoc(
        "plots and files",
        "Returns the ROC and precision–recall curves of two classes and draws them side by side.",
        "let r = roc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], plot: false)\nprint(r.auc, r.tpr)"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      try context.roc()
    },
    Builtin(
      "confusion",
      [
        .required("net", .any, "a model, or predictions (probabilities or scores)"),
        .required("data", .any, "a dataset, or the targets (class indices or one-hot rows)"),
        .optional("labels", .any, "the classes' names, a list of strings"),
      ],
      doc: BuiltinDoc(
        "plots and files",
        "The confusion matrix of a classifier: prints as a table, plot draws a heat map.",
        "let c = confusion([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]], [0, 1, 1])\nplot(c)")
    ) { (context) throws(Diagnostic) in
      .object(try context.confusion())
    },
    Builtin(
      "hist",
      [
        .required("t", .any, "a tensor or list of numbers (weights, activations, gradients)"),
        Parameter("bins", .wholeNumber, default: .number(20), range: NumberRange(
          lower: 1, upper: Double(maxHistogramBins)), "how many bins of equal width"),
        .optional("range", .any, "[low, high]; the least and greatest finite values"),
        .optional("title", .string, "title"),
        .flag("plot", true, "draw the histogram; false only returns it"),
      ] + Parameter.pictureOutput(
        width: "60 cells or 640 pixels", height: "12 cells or 400 pixels"),
      doc: BuiltinDoc(
        "plots and files",
        "Draws a histogram of a tensor's elements and returns {counts, edges}; rank 0 only.",
        "let h = hist([1, 2, 2, 3, 3, 3, 0 / 0], bins: 3)\nprint(h.counts, h.edges)"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      try context.histogram()
    },
  ]
}

/// Most bins a histogram may have: far more than a picture shows apart.
let maxHistogramBins = 10_000

/// Most classes a heat map draws: past that its cells are too small to read, and its text
/// grows with the square of the classes.
let maxHeatMapClasses = 60

extension CallContext {
  /// `roc(...)`: the curves as a record, drawn unless `plot: false`.
  fileprivate func roc() throws(Diagnostic) -> Value {
    let scores = try ClassScores(self)
    var positive = 1
    if let chosen = try optionalInteger("class") {
      guard (0..<scores.classes).contains(chosen) else {
        throw error(.invalidArgument,
                    "class must be one of the \(scores.classes) classes, 0 to "
                      + "\(scores.classes - 1), not \(chosen)", at: "class")
      }
      positive = chosen
    } else if scores.classes > 2 {
      throw error(.invalidArgument,
                  "roc compares two classes, but these predictions have \(scores.classes): "
                    + "pick one with class: k to draw it against the rest",
                  hint: "roc(net, data, class: 0)")
    }
    let (ranking, probability, isPositive) = scores.oneVsRest(positive)
    if let row = ranking.firstIndex(where: \.isNaN) {
      throw error(.dataError, "roc: the prediction for row \(row) is nan", at: "net")
    }
    guard let curve = Metrics.rocCurve(scores: ranking, positive: isPositive) else {
      let found = isPositive.first.map { "the targets hold only " + ($0 ? "class \(positive)"
                                                                        : "other classes") }
      throw error(.dataError,
                  "roc needs rows of both kinds, class \(positive) and the rest, but "
                    + (found ?? "there are no rows"), at: "data")
    }
    // The thresholds as probabilities of the class: each ranking score's own row's.
    var thresholdOf: [Double: Double] = [:]
    for (score, p) in zip(ranking, probability) where thresholdOf[score] == nil {
      thresholdOf[score] = p
    }
    let thresholds = curve.thresholds.map { $0.isFinite ? thresholdOf[$0] ?? $0 : $0 }
    if try bool("plot") {
      if has("file"), let value = value("width"), !value.isNil, try integer("width") < 400 {
        throw error(.invalidArgument,
                    "roc's SVG or PNG holds two charts side by side, so its width must be at "
                      + "least 400 pixels, not \(try integer("width"))", at: "width")
      }
      let subject = scores.classes > 2 ? "class \(positive)" : nil
      try show(ROCChart(curve: curve, subject: subject))
    }
    func tensor(_ values: [Double]) -> Value {
      .tensor(Tensor(shape: [values.count], scalars: values.map(Float.init)))
    }
    return .record(Record([
      ("fpr", tensor(curve.falsePositiveRate)), ("tpr", tensor(curve.truePositiveRate)),
      ("thresholds", tensor(thresholds)), ("auc", .number(Value.float32(curve.auc))),
      ("precision", tensor(curve.precision)), ("recall", tensor(curve.recall)),
      ("average_precision", .number(Value.float32(curve.averagePrecision))),
    ]))
  }

  /// `confusion(...)`: the report's matrix with the classes' names.
  fileprivate func confusion() throws(Diagnostic) -> ConfusionObject {
    let scores = try ClassScores(self)
    let counts = scores.report.confusion
    var labels = counts.indices.map { String($0) }
    if let value = value("labels"), !value.isNil {
      let items: [Value]
      if case .list(let list) = value { items = list } else { items = [value] }
      let names = items.compactMap { item -> String? in
        if case .string(let name) = item { return name }
        return nil
      }
      guard names.count == items.count, case .list = value else {
        throw error(.typeMismatch, "labels must be a list of strings, one per class",
                    at: "labels")
      }
      guard names.count == counts.count else {
        throw error(.invalidArgument,
                    "\(Evaluator.count(names.count, "label")) given for \(counts.count) "
                      + "classes: one name per class is needed", at: "labels")
      }
      labels = names
    }
    return ConfusionObject(counts: counts, labels: labels)
  }

  /// `hist(...)`: `{counts, edges}`, drawn unless `plot: false`.
  fileprivate func histogram() throws(Diagnostic) -> Value {
    let values = try tensorLike("t")
    guard values.count > 0 else {
      throw error(.invalidArgument, "hist needs at least one value, but this tensor of shape "
                    + "\(shapeText(values.shape)) is empty", at: "t")
    }
    let bins = try integer("bins")
    let scalars = values.scalars
    guard scalars.contains(where: \.isFinite) else {
      throw error(.dataError,
                  "hist has nothing to count: all \(counted(values.count, "value")) are nan or "
                    + "infinite", at: "t")
    }
    var range: ClosedRange<Double>?
    if let value = value("range"), !value.isNil {
      guard let pair = value.asTensor, pair.shape == [2] else {
        throw error(.typeMismatch, "range is a list of two numbers, [low, high]", at: "range")
      }
      let (low, high) = (Value.element(pair.scalars[0]), Value.element(pair.scalars[1]))
      guard low.isFinite, high.isFinite, low <= high else {
        throw error(.invalidArgument,
                    "range must be finite with low ≤ high, not [\(formatNumber(low)), "
                      + "\(formatNumber(high))]", at: "range")
      }
      range = low...high
    }
    guard let histogram = HistogramBins(scalars, bins: bins, range: range) else {
      throw error(.dataError, "hist has nothing to count", at: "t")
    }
    if try bool("plot") {
      try show(Histogram(bins: histogram, title: try optionalString("title")))
    }
    return .record(Record([
      ("counts", .tensor(Tensor(shape: [bins], scalars: histogram.counts.map(Float.init)))),
      ("edges", .tensor(Tensor(shape: [bins + 1], scalars: histogram.edges.map(Float.init)))),
    ]))
  }

  /// `plot(c)` of a confusion value: its heat map, or nil when `plot` is given series.
  func confusionHeatMap() throws(Diagnostic) -> HeatMap? {
    guard rest.count == 1, case .object(let object) = rest[0].value,
      let confusion = object as? ConfusionObject
    else { return nil }
    for name in ["labels", "x", "xlabel", "ylabel"] where value(name).map({ !$0.isNil }) == true {
      throw error(.invalidArgument,
                  "a confusion matrix is drawn with its own labels, so plot takes no \(name):",
                  at: name, hint: name == "labels"
                    ? "name the classes with confusion(net, data, labels: [...])" : nil)
    }
    guard confusion.counts.count <= maxHeatMapClasses else {
      throw Diagnostic.error(
        .resourceLimit,
        "plot draws a confusion matrix of at most \(maxHeatMapClasses) classes, but this one "
          + "has \(confusion.counts.count)", in: source, at: rest[0].range,
        hint: "print(c) shows the counts as a table")
    }
    return HeatMap(confusion: confusion, title: try optionalString("title"))
  }
}
