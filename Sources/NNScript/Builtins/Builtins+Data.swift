import NNRuntime
import NNSyntax

// Data sets (LANGUAGE.md §7): loading CSV files, making and reshaping data sets, and the
// built-in generated and real data sets.

extension Builtins {
  static let data: [Builtin] = making + transforming + generated + shipped

  /// Rows a generator may make: far beyond what trains at interactive speed on a CPU, and small
  /// enough that `moons(n: 1e12)` fails at once instead of exhausting memory.
  static let maxGeneratedRows = 10_000_000
  /// The largest CSV file `load_csv` reads (4 GiB). Files are read whole; a file at this size
  /// with 12-character cells already holds more numbers than one tensor may, so a real data set
  /// fits and a stray huge file fails at once instead of exhausting memory.
  static let maxCSVBytes = 1 << 32
  /// Features, classes or centres a generator may make (the same reasoning, per row).
  static let maxGeneratedWidth = 100_000

  // MARK: - Making data sets

  private static let making: [Builtin] = [
    Builtin("load_csv", [
      .required("path", .string, "the file"),
      Parameter("target", .any, default: .described("the last column"), "column name or index"),
      .width("classes", nil, "number of classes of a class target"),
      .flag("header", true, "the first row names the columns"),
      Parameter("delimiter", .string, default: .string(","), "the separator"),
    ], doc: BuiltinDoc(
      "data",
      "Reads a CSV file into a dataset; target: picks the target column.",
      "write(\"d.csv\", \"a,b,y\\n"
      + "1,2,0\\n"
      + "3,4,1\\n"
      + "\")\n"
      + "print(load_csv(\"d.csv\", target: \"y\", classes: 2))")) {
      (context) throws(Diagnostic) in
      let path = try context.filePath("path")
      let target = try context.csvTarget("target")
      let classes = try context.optionalInteger("classes")
      let header = try context.bool("header")
      let delimiter = try context.delimiter("delimiter")
      let bytes: [UInt8]
      switch context.readFile(try context.checkedPath(path, write: false), limit: maxCSVBytes) {
      case .success(let contents): bytes = contents
      case .failure(.notFound(let reason)), .failure(.cannotRead(let reason)):
        throw context.error(.fileError, "cannot read '\(path)': \(reason)", at: "path")
      case .failure(.tooLarge(let limit)):
        throw context.error(.resourceLimit,
                            "cannot read '\(path)': the file is larger than the \(limit) bytes "
                              + "load_csv reads", at: "path")
      case .failure(.pastMemoryLimit(let reason)):
        throw context.error(.resourceLimit, "cannot read '\(path)': \(reason)", at: "path")
      }
      let parsing = Limits.csvBytesPerFileByte * bytes.count
      if !context.evaluator.memory.fits(parsing) {
        throw context.error(.resourceLimit, context.evaluator.memory.refusal(
          "loading '\(path)'", bytes: parsing), at: "path")
      }
      do throws(DataError) {
        let data = try CSV.load(bytes: bytes, delimiter: delimiter, header: header,
                                target: target, classes: classes)
        return .object(DatasetObject(data))
      } catch {
        throw context.dataError(error, file: path)
      }
    },
    Builtin("dataset", [
      .required("x", .tensor, "inputs, one row per sample"), .required("y", .tensor, "targets"),
      .width("classes", nil, "number of classes of class-index targets"),
    ], doc: BuiltinDoc(
      "data",
      "Makes a dataset from inputs x and targets y (class indices with classes:).",
      "print(dataset(randn(10, 2), [0, 1, 0, 1, 0, 1, 0, 1, 0, "
      + "1], classes: 2))")) { (context) throws(Diagnostic) in
      let x = try context.tensorLike("x")
      let y = try context.tensorLike("y")
      let classes = try context.optionalInteger("classes")
      do throws(DataError) {
        return .object(DatasetObject(try Dataset(x: x, y: y, classes: classes)))
      } catch {
        throw context.dataError(error)
      }
    },
  ]

  // MARK: - Splitting, shuffling, scaling

  private static let transforming: [Builtin] = [
    Builtin("split", [
      .required("data", .dataset, "the data"),
      .required("fraction", .number, "share of rows in the first part")
        .within(NumberRange(lower: 0, lowerIncluded: false, upper: 1, upperIncluded: false),
                hint: "split(data, 0.8) keeps 80% of the rows for the first part") {
          "the fraction of split must be between 0 and 1 (both excluded), not \($0)"
        },
      .optional("seed", .wholeNumber, "seed for the shuffle"),
    ], doc: BuiltinDoc(
      "data",
      "Shuffles a dataset and returns [train, test] with fraction of rows in train.",
      "let (tr, te) = split(moons(), 0.8, seed: 1)\n"
      + "print(tr.n, te.n)")) { (context) throws(Diagnostic) in
      let data = try context.dataArgument("data")
      let fraction = try context.number("fraction")
      let (first, second) = try context.withRandom { data.split(fraction, random: &$0) }
      guard first.n > 0, second.n > 0 else {
        throw context.error(.dataError,
                            "splitting \(Dataset.rowCount(data.n)) at \(formatNumber(fraction)) "
                              + "leaves a part with no rows", at: "fraction")
      }
      return .list([.object(DatasetObject(first)), .object(DatasetObject(second))])
    },
    Builtin("shuffle", [
      .required("data", .dataset, "the data"), .optional("seed", .wholeNumber, "seed"),
    ], doc: BuiltinDoc(
      "data",
      "Returns a dataset with its rows in random order.",
      "print(shuffle(xor(), seed: 3).y)")) { (context) throws(Diagnostic) in
      let data = try context.dataArgument("data")
      return .object(DatasetObject(try context.withRandom { data.shuffled(random: &$0) }))
    },
    Builtin("standardize", [
      .required("data", .dataset, "the data the statistics come from"),
      .optional("others...", .dataset, "more data scaled the same way"),
    ], doc: BuiltinDoc(
      "data",
      "Scales data to zero mean and unit variance by the first's statistics (one set, or a list).",
      "let (tr, te) = split(blobs(), 0.8)\n"
      + "let (a, b) = standardize(tr, te)")) { (context) throws(Diagnostic) in
      let first = try context.dataArgument("data")
      let features = Array(first.x.shape.dropFirst())
      var results = [first]
      for other in context.rest {
        guard case .object(let object as DatasetObject) = other.value else {
          throw context.error(.typeMismatch,
                              "standardize takes datasets, not a \(other.value.typeName)",
                              range: other.range)
        }
        let otherFeatures = Array(object.dataset.x.shape.dropFirst())
        guard otherFeatures == features else {
          throw context.error(.shapeMismatch,
                              "this dataset's rows have shape "
                                + "\(shapeText(otherFeatures)) but the first "
                                + "one's have \(shapeText(features))",
                              range: other.range)
        }
        results.append(object.dataset)
      }
      guard first.n > 0 else {
        throw context.error(.dataError, "cannot standardize with the statistics of no rows",
                            at: "data")
      }
      let (mean, std) = first.standardization()
      let scaled = results.map {
        Value.object(DatasetObject($0.standardized(mean: mean, std: std)))
      }
      // As scikit-learn's fit_transform: one in, one out; a list only when there are several.
      return scaled.count == 1 ? scaled[0] : .list(scaled)
    },
    Builtin("onehot", [
      .required("y", .tensor, "class indices"),
      Parameter("classes", .wholeNumber, default: .described("largest index + 1"), "width")
        .within(NumberRange(lower: 1, upper: Double(maxGeneratedWidth))) {
          "classes must be between 1 and \(maxGeneratedWidth), not \($0)"
        },
    ], doc: BuiltinDoc(
      "data",
      "Turns class indices into one-hot rows.",
      "print(onehot([0, 2, 1], 3))")) { (context) throws(Diagnostic) in
      var labels = try context.tensorLike("y")
      if labels.rank == 2, labels.shape[1] == 1 {
        labels = try context.runtime { () throws(TensorError) in try labels.reshaped([-1]) }
      }
      guard labels.rank == 1 else {
        throw context.error(.shapeMismatch,
                            "onehot takes one class index per row (a 1-d tensor), not shape "
                              + shapeText(labels.shape), at: "y")
      }
      guard let classes = try context.optionalInteger("classes") else {
        throw context.error(.invalidArgument, "onehot needs the number of classes")
      }
      _ = try context.runtime { () throws(TensorError) in
        try Tensor.checkedCount([labels.shape[0], classes])
      }
      var scalars = [Float](repeating: 0, count: labels.shape[0] * classes)
      for (row, label) in labels.scalars.enumerated() {
        if let problem = Dataset.labelProblem(Double(label), classes: classes) {
          throw context.error(.dataError, "y[\(row)]: \(problem)", at: "y")
        }
        scalars[row * classes + Int(label)] = 1
      }
      return .tensor(Tensor(shape: [labels.shape[0], classes], scalars: scalars))
    },
  ]

  // MARK: - Generated data sets

  private static let generated: [Builtin] = [
    Builtin("xor", [], doc: BuiltinDoc(
      "data",
      "The four rows of XOR, with one target column.",
      "print(xor())")) { (_) throws(Diagnostic) in
      .object(DatasetObject(SyntheticData.xor()))
    },
    Builtin("linear", [
      .rows(100), Parameter("w", .tensor, default: .number(2), "weight, one per feature"),
      .number("b", 0, "bias"), .noise(0.1), .seed,
    ], doc: BuiltinDoc(
      "data",
      "Noisy points on the line y = w·x + b for regression.",
      "print(linear(n: 50, w: 3, b: 1, noise: 0.1))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      let w = try context.weights("w")
      let b = try context.number("b")
      let noise = try context.number("noise")
      try context.checkSize(rows: n, width: w.count)
      return .object(DatasetObject(try context.withRandom {
        SyntheticData.linear(n: n, w: w, b: b, noise: noise, random: &$0)
      }))
    },
    Builtin("spirals", [
      .rows(100), .width("classes", 3, "number of arms"), .noise(0.2), .seed,
    ], doc: BuiltinDoc(
      "data",
      "Interleaved spiral arms, n points per class.",
      "print(spirals(n: 100, classes: 3, noise: 0.2))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      let classes = try context.integer("classes")
      let noise = try context.number("noise")
      try context.checkSize(rows: n * classes, width: 2)
      return .object(DatasetObject(try context.withRandom {
        SyntheticData.spirals(n: n, classes: classes, noise: noise, random: &$0)
      }))
    },
    Builtin("moons", [.rows(200), .noise(0.1), .seed], doc: BuiltinDoc(
      "data",
      "Two interleaving half circles, two classes.",
      "print(moons(n: 200, noise: 0.1))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      let noise = try context.number("noise")
      return .object(DatasetObject(try context.withRandom {
        SyntheticData.moons(n: n, noise: noise, random: &$0)
      }))
    },
    Builtin("circles", [
      .rows(200), .noise(0.05),
      .number("factor", 0.5, "inner radius / outer").within(NumberRange(lower: 0, upper: 1,
                                                                       upperIncluded: false)) {
        "the inner circle's radius factor must be at least 0 and below 1, not \($0)"
      }, .seed,
    ], doc: BuiltinDoc(
      "data",
      "A small circle inside a larger one, two classes.",
      "print(circles(n: 200, noise: 0.05, factor: 0.5))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      let noise = try context.number("noise")
      let factor = try context.number("factor")
      return .object(DatasetObject(try context.withRandom {
        SyntheticData.circles(n: n, noise: noise, factor: factor, random: &$0)
      }))
    },
    Builtin("blobs", [
      .rows(200), .width("centers", 3, "number of clusters"), .width("dim", 2, "features"),
      .spread("spread", 1, "of each cluster"), .seed,
    ], doc: BuiltinDoc(
      "data",
      "Gaussian clusters around random centres, one class per centre.",
      "print(blobs(n: 200, centers: 3, dim: 2, spread: 1))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      let centers = try context.integer("centers")
      let dim = try context.integer("dim")
      let spread = try context.number("spread")
      try context.checkSize(rows: n, width: dim)
      return .object(DatasetObject(try context.withRandom {
        SyntheticData.blobs(n: n, centers: centers, dim: dim, spread: spread, random: &$0)
      }))
    },
  ]

  // MARK: - Shipped data sets

  private static let shipped: [Builtin] = [
    Builtin("iris", [], doc: BuiltinDoc(
      "data",
      "The iris flowers: 150 rows of 4 measurements in 3 classes.",
      "print(iris())")) { (context) throws(Diagnostic) in
      try context.shippedData(DatasetResources.iris)
    },
    Builtin("digits", [], doc: BuiltinDoc(
      "data",
      "The 8×8 handwritten digits: 1,797 rows of 64 pixels in 10 classes.",
      "print(digits())")) { (context) throws(Diagnostic) in
      try context.shippedData(DatasetResources.digits)
    },
  ]
}

extension Dataset {
  /// "1 row", "150 rows".
  static func rowCount(_ n: Int) -> String { counted(n, "row") }
}

// MARK: - Arguments

extension CallContext {
  /// A dataset argument.
  func dataArgument(_ name: String) throws(Diagnostic) -> Dataset {
    let value = try require(name)
    guard case .object(let object as DatasetObject) = value else {
      throw error(.typeMismatch,
                  "the argument '\(name)' of \(builtin.name) must be a dataset, but this is a "
                    + value.typeName, at: name,
                  hint: "make one with dataset(x, y), load_csv(…) or a built-in such as xor()")
    }
    return object.dataset
  }

  /// Runs `body` with the generator of `seed:` when it is given, else the interpreter's (so
  /// `seed(n)` earlier in the script makes the result reproducible).
  func withRandom<T>(
    _ body: (inout RandomGenerator) -> T
  ) throws(Diagnostic) -> T {
    if let seed = try optionalInteger("seed") {
      var random = RandomGenerator(seed: UInt64(bitPattern: Int64(seed)))
      return body(&random)
    }
    return body(&evaluator.random)
  }

  /// `target:`: a column name or index; the last column when not given.
  func csvTarget(_ name: String) throws(Diagnostic) -> CSVTarget {
    switch value(name) {
    case nil, .nil?: return .last
    case .string(let column)?: return .name(column)
    case .number?: return .index(try integer(name))
    case let other?:
      throw error(.typeMismatch,
                  "target is a column name or index, not a \(other.typeName)", at: name)
    }
  }

  /// `delimiter:`: one ASCII character other than a quote or a line break.
  func delimiter(_ name: String) throws(Diagnostic) -> UInt8 {
    guard has(name) else { return UInt8(ascii: ",") }
    let text = try string(name)
    let bytes = Array(text.utf8)
    guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != UInt8(ascii: "\""),
      bytes[0] != UInt8(ascii: "\n"), bytes[0] != UInt8(ascii: "\r")
    else {
      throw error(.invalidArgument,
                  "the delimiter must be one ASCII character other than a quote or a line "
                    + "break, not \(ValueFormatter.quote(text))", at: name)
    }
    return bytes[0]
  }


  /// A data error as a diagnostic at the call; with a file, the message starts `file:line:col:`.
  func dataError(_ problem: DataError, file: String? = nil) -> Diagnostic {
    guard let file else { return error(.dataError, problem.message) }
    let location = problem.line.map { line in ":\(line)" + (problem.column.map { ":\($0)" } ?? "") }
    return error(.dataError, "\(file)\(location ?? ""): \(problem.message)")
  }

  /// `w:` of `linear`: one number, or a list or 1-d tensor of them (one per feature).
  func weights(_ name: String) throws(Diagnostic) -> [Double] {
    guard has(name) else { return [2] }
    let w = try tensorLike(name)
    guard w.rank <= 1, w.count >= 1, w.count <= Builtins.maxGeneratedWidth else {
      throw error(.invalidArgument,
                  "w is a number or a list of numbers (one weight per feature), not shape "
                    + shapeText(w.shape), at: name)
    }
    return w.scalars.map(Double.init)
  }

  /// Fails when a generated data set would hold more numbers than a tensor may.
  func checkSize(rows: Int, width: Int) throws(Diagnostic) {
    _ = try runtime { () throws(TensorError) in try Tensor.checkedCount([rows, width]) }
  }

  /// `iris()` and `digits()`.
  func shippedData(_ result: Result<Dataset, DataError>) throws(Diagnostic) -> Value {
    switch result {
    case .success(let data): return .object(DatasetObject(data))
    case .failure(let problem): throw error(.fileError, problem.description)
    }
  }
}
