/// The help text of every built-in: one sentence and a short working example each, grouped by
/// family. `:help NAME` in the REPL and `docs/builtins.md` are both rendered from this table
/// (`Interpreter.help(for:)`, `Interpreter.builtinReference()`), so they cannot drift apart.
enum BuiltinHelp {
  /// One built-in's help.
  struct Entry: Sendable {
    /// The family it is listed under in the reference (one of `families`).
    let family: String
    /// One sentence saying what it does.
    let summary: String
    /// One or two lines of `.nn` that run as they stand.
    let example: String
  }

  /// The families in the order the reference lists them.
  static let families = [
    "output", "values", "tensors", "element-wise", "reductions", "shapes", "layers",
    "activations", "initialisers", "losses", "optimizers", "gradients", "training", "metrics",
    "data", "plots and files", "ranks",
  ]

  /// Help for every name in `Builtins.all`: declared with the built-in (`Builtin.doc`), or,
  /// for families not yet converted, from the table below.
  static let entries: [String: Entry] = {
    var table: [String: Entry] = [:]
    for builtin in Builtins.all {
      guard let doc = builtin.doc else { continue }
      table[builtin.name] = Entry(family: doc.family, summary: doc.summary, example: doc.example)
    }
    for (family, items) in groups {
      for (name, summary, example) in items {
        precondition(table[name] == nil, "two help entries for \(name)")
        table[name] = Entry(family: family, summary: summary, example: example)
      }
    }
    return table
  }()

  private typealias Item = (name: String, summary: String, example: String)

  /// The families whose help is not yet declared with their built-ins: those made by the
  /// element-wise, reduction and filling helpers of the shared `Builtins+Tensors.swift`.
  private static let groups: [(String, [Item])] = [
    ("tensors", tensors), ("element-wise", elementwise), ("reductions", reductions),
  ]

  private static let tensors: [Item] = [
    ("zeros", "Makes a tensor of zeros; bare, it is the all-zeros initialiser.",
     "print(zeros(2, 3))"),
    ("ones", "Makes a tensor of ones; bare, it is the all-ones initialiser.",
     "print(ones([2, 2]))"),
  ]

  private static let elementwise: [Item] = [
    ("exp", "Computes e to the power of each element.", "print(exp(1), exp([0, 1]))"),
    ("log", "Computes the natural logarithm of each element.", "print(log([1, 10]))"),
    ("sqrt", "Computes the square root of each element.", "print(sqrt([4, 9]))"),
    ("abs", "Computes the absolute value of each element.", "print(abs([-2, 3]))"),
    ("floor", "Rounds each element down.", "print(floor([1.5, -1.5]))"),
    ("ceil", "Rounds each element up.", "print(ceil([1.5, -1.5]))"),
    ("round", "Rounds each element to the nearest whole number.", "print(round([1.4, 2.6]))"),
    ("sign", "Returns -1, 0 or 1 for each element's sign.", "print(sign([-3, 0, 2]))"),
    ("maximum", "Takes the larger of two tensors element by element, broadcasting.",
     "print(maximum([1, 5], [3, 2]))"),
    ("minimum", "Takes the smaller of two tensors element by element, broadcasting.",
     "print(minimum([1, 5], [3, 2]))"),
  ]

  private static let reductions: [Item] = [
    ("sum", "Adds the elements, all of them or along axis:.",
     "print(sum([[1, 2], [3, 4]]), sum([[1, 2], [3, 4]], axis: 0))"),
    ("mean", "Averages the elements, all of them or along axis:.",
     "print(mean([[1, 2], [3, 4]], axis: 1))"),
    ("max", "Returns the largest element, overall or along axis:.",
     "print(max([3, 7, 5]))"),
    ("min", "Returns the smallest element, overall or along axis:.",
     "print(min([[3, 7], [1, 5]], axis: 0))"),
    ("argmax", "Returns the index of the largest element, overall or along axis:.",
     "print(argmax([[0.1, 0.9], [0.8, 0.2]], axis: 1))"),
    ("argmin", "Returns the index of the smallest element, overall or along axis:.",
     "print(argmin([3, 1, 2]))"),
    ("std", "Returns the population standard deviation, overall or along axis:.",
     "print(std([1, 2, 3, 4]))"),
    ("var", "Returns the population variance, overall or along axis:.",
     "print(var([1, 2, 3, 4]))"),
    ("prod", "Multiplies the elements, all of them or along axis:.",
     "print(prod([1, 2, 3, 4]))"),
  ]

  private static let ranks: [Item] = [
  ]
}
