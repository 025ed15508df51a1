import NNRuntime
import NNSyntax

extension Builtins {
  /// `plot(series..., title:, labels:, file:, width:, height:, x:, xlabel:, ylabel:)`: a line
  /// chart of one or more series, drawn in braille in the output, or written as SVG to `file`.
  ///
  /// - A series is a list of numbers or a 1-D tensor; a 2-D tensor `[n, k]` is `k` series, one
  ///   per column. Values are y; x counts 1, 2, 3, … (epochs read naturally from 1) unless
  ///   `x:` gives one list of positions for every series.
  /// - NaN and infinite values leave a gap in the line; with `log_y: true` (a log axis, ticks at
  ///   powers of ten) so do values ≤ 0.
  /// - `labels:` names the series in a legend; several series without labels are called
  ///   "series 1", "series 2", …; one series without a label has no legend.
  /// - In the output, series are told apart without colour (the host may not be a terminal):
  ///   solid, dotted, dashed, sparse dots, then again; in an SVG, by colour and dash pattern.
  /// - In the output, `width:` and `height:` are the plot area in character cells (60×15); in an
  ///   SVG or PNG (told by the extension), the picture in pixels (640×400). Writing a file
  ///   prints nothing; a relative `file` is taken from the working directory, and the file is
  ///   replaced atomically.
  static let plotting: [Builtin] = [
    Builtin(
      "plot",
      [
        .optional("series...", .any, "lists, tensors or a history's losses"),
        .optional("title", .string, "title"), .optional("labels", .list, "one per series")
          .hinting("for one series: labels: [\"loss\"]"),
        .optional("x", .any, "the x values"), .optional("xlabel", .string, "x axis label"),
        .optional("ylabel", .string, "y axis label"),
        .flag("log_y", false, "a logarithmic y axis (values ≤ 0 leave gaps)"),
      ] + Parameter.pictureOutput(
        width: "60 cells or 640 pixels", height: "15 cells or 400 pixels"),
      doc: BuiltinDoc(
        "plots and files",
        "Draws series as a braille chart, or with file: writes an SVG or PNG; rank 0 only.",
        "plot(arange(10) ^ 2, title: \"squares\")\nplot(arange(10), file: \"line.svg\")"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      if let heatMap = try context.confusionHeatMap() {
        try context.show(heatMap)
      } else {
        try context.show(try context.chart())
      }
      return .nil
    },
  ]
}

/// Most points one chart may hold: far more than a screen or a picture can show, and a bound
/// that keeps `plot(rand(1e8))` from building a gigabyte of SVG.
private let maxPlotPoints = 1 << 22

extension CallContext {
  /// The chart a `plot` call describes: its series, their labels and x positions, and the
  /// captions.
  fileprivate func chart() throws(Diagnostic) -> Chart {
    guard !rest.isEmpty else {
      throw error(.invalidArgument,
                  "plot needs at least one series to draw, such as plot([3, 2, 1]) or "
                    + "plot(history.loss)")
    }
    var columns: [(values: [Double], argument: ArgumentValue)] = []
    for argument in rest {
      for values in try seriesColumns(argument) { columns.append((values, argument)) }
    }
    let total = columns.reduce(0) { $0 + $1.values.count }
    guard total <= maxPlotPoints else {
      throw error(.resourceLimit,
                  "plot draws at most \(maxPlotPoints) points, but these series have \(total)")
    }
    let labels = try seriesLabels(count: columns.count)
    let xs = try xPositions(for: columns)
    let series = columns.indices.map { index in
      ChartSeries(label: labels?[index],
                  xs: xs ?? (1...columns[index].values.count).map(Double.init),
                  ys: columns[index].values)
    }
    let logY = try bool("log_y")
    let chart = Chart(
      series: logY ? series.map(\.logarithmic) : series, title: try optionalString("title"),
      xLabel: try optionalString("xlabel"), yLabel: try optionalString("ylabel"),
      integerX: xs?.allSatisfy { !$0.isFinite || $0.rounded() == $0 } ?? true, logY: logY)
    guard chart.bounds != nil else {
      let problem = logY ? "no value is a positive finite number, which a log axis needs"
        : "every value is nan or infinite"
      throw error(.dataError, "there is nothing to plot: " + problem, range: rest[0].range)
    }
    return chart
  }

  /// The series an argument stands for: one for a list or a 1-D tensor, one per column for a
  /// 2-D tensor.
  private func seriesColumns(_ argument: ArgumentValue) throws(Diagnostic) -> [[Double]] {
    let value = argument.value
    let expected = "a series is a list of numbers or a tensor"
    guard let tensor = value.asTensor else {
      var found = value.typeName
      if case .list(let items) = value,
        let odd = items.first(where: { if case .number = $0 { false } else { true } })
      {
        found = "list holding a \(odd.typeName)"
      }
      throw error(.typeMismatch, "\(expected), but this is a \(found)", range: argument.range)
    }
    switch tensor.rank {
    case 0:
      throw error(.typeMismatch, "\(expected), but this is a single number",
                  range: argument.range)
    case 1:
      guard tensor.count > 0 else {
        throw error(.invalidArgument, "this series is empty: there is nothing to draw",
                    range: argument.range)
      }
      return [tensor.scalars.map(Double.init)]
    case 2:
      let (rows, count) = (tensor.shape[0], tensor.shape[1])
      guard rows > 0, count > 0 else {
        throw error(.invalidArgument,
                    "this tensor of shape \(shapeText(tensor.shape)) is empty: there is nothing "
                      + "to draw",
                    range: argument.range)
      }
      let scalars = tensor.scalars
      return (0..<count).map { column in
        (0..<rows).map { Double(scalars[$0 * count + column]) }
      }
    default:
      throw error(.shapeMismatch,
                  "a series is 1-D, or 2-D for one series per column, but this tensor has "
                    + "shape \(shapeText(tensor.shape))", range: argument.range)
    }
  }

  /// The legend's labels: those given, "series 1", … for several series, none for one.
  private func seriesLabels(count: Int) throws(Diagnostic) -> [String]? {
    guard let value = value("labels"), !value.isNil else {
      return count == 1 ? nil : (1...count).map { "series \($0)" }
    }
    guard case .list(let items) = value else {
      throw error(.typeMismatch,
                  "labels must be a list of strings, but this is a \(value.typeName)",
                  at: "labels", hint: count == 1 ? "for one series: labels: [\"loss\"]" : nil)
    }
    var labels: [String] = []
    for item in items {
      guard case .string(let label) = item else {
        throw error(.typeMismatch,
                    "labels must be a list of strings, but this list holds a \(item.typeName)",
                    at: "labels")
      }
      labels.append(label)
    }
    guard labels.count == count else {
      throw error(.invalidArgument,
                  "\(Evaluator.count(labels.count, "label")) given for \(count) series: "
                    + "one label per series is needed", at: "labels")
    }
    return labels
  }

  /// The x positions given by `x:`, which must match every series in length.
  private func xPositions(
    for columns: [(values: [Double], argument: ArgumentValue)]
  ) throws(Diagnostic) -> [Double]? {
    guard let value = value("x"), !value.isNil else { return nil }
    guard let tensor = value.asTensor, tensor.rank == 1 else {
      let found = value.asTensor.map { "a tensor of shape \($0.shape)" } ?? "a \(value.typeName)"
      throw error(.typeMismatch, "x must be a list of numbers or a 1-D tensor, but this is "
                    + found, at: "x")
    }
    for (index, column) in columns.enumerated() where column.values.count != tensor.count {
      let which = columns.count == 1 ? "the series" : "series \(index + 1)"
      throw error(.shapeMismatch,
                  "x has \(Evaluator.count(tensor.count, "value")) but \(which) has "
                    + "\(column.values.count)",
                  at: "x")
    }
    return tensor.scalars.map(Double.init)
  }

  func optionalString(_ name: String) throws(Diagnostic) -> String? {
    guard let value = value(name), !value.isNil else { return nil }
    return try string(name)
  }
}
