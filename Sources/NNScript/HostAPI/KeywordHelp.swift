/// `:help` for the language's own forms — the keywords and the operators, which are syntax and
/// so have no built-in declaration to carry their help. Every keyword's and operator's help is
/// declared here, once; `:help train` adds the options from `Builtins.trainingParameters`,
/// where they are declared for `fit` too.
enum KeywordHelp {
  /// One form: the words `:help` accepts for it, and its text.
  struct Entry {
    let names: [String]
    let text: String
  }

  /// The operators, lowest precedence first (the parser's `operatorRules` order).
  static let operatorsText = """
    operators, lowest precedence first:
      or                      logical or (short-circuits)
      and                     logical and (short-circuits)
      not                     logical not
      == != < <= > >=         comparison (numbers, strings; tensors compare element-wise)
      ..<  ...                ranges: 0..<10 (10 left out), 1...5 (5 included)
      + -                     element-wise, with NumPy broadcasting
      * / %                   element-wise (* is not the matrix product)
      @                       matrix product, as NumPy's and PyTorch's @: a @ b, x @ w.T
      -x                      negation
      ^                       power, right-associative: 2 ^ 3 ^ 2 is 2 ^ 9
      f(x)  t[i]  r.name      call, index (t[1, 2], t[:, 0], t[2..<5]), member
      example: let w = randn(3, 2); [[1, 2, 3]] @ w
    """

  static let entries: [Entry] = [
    Entry(names: ["let"], text: """
      let name = expr
        Declares a name; declaring it again in the same scope shadows the old one. `name = expr`
        assigns to a name already declared. `let (a, b) = expr` unpacks a list or a pair.
        example: let lr = 0.01
      """),
    Entry(names: ["fn", "return"], text: """
      fn name(a, b = 1) { ... }
        Declares a function; its value is the block's last expression, `return` leaves early.
        `fn (x) { x + 1 }` is a function as a value. Calls take positional, then named
        arguments: f(1, b: 2).
        example: fn sq(x) { x * x }
      """),
    Entry(names: ["if", "else"], text: """
      if c { ... } else if d { ... } else { ... }
        Runs the first block whose condition is true; also an expression.
        example: let sign = if x < 0 { -1 } else { 1 }
      """),
    Entry(names: ["for", "in", "break", "continue"], text: """
      for x in xs { ... }
        Loops over a range, a list, a tensor (its first axis) or a record (`for (k, v) in r`);
        `break` leaves the loop, `continue` goes on with the next element.
        example: for i in 0..<3 { print(i) }
      """),
    Entry(names: ["while"], text: """
      while c { ... }
        Runs the block while the condition holds; Ctrl-C stops it in the REPL.
        example: let i = 0; while i < 3 { i = i + 1 }
      """),
    Entry(names: ["import"], text: """
      import "file.nn"
        Runs a file in the current scope, once; its path is relative to the importing file
        (every other path is relative to the working directory).
        example: import "layers.nn"
      """),
    Entry(names: ["model"], text: """
      model name(input_shape) { layer; layer; ... }
        Declares a network: its layers in order (one per line or separated by `;`), the input
        shape a number for vectors or a list ([1, 28, 28]). `model(shape) { ... }` is the same
        as an expression. `net(x)` runs it; train it with `train` or `fit`; `:help dense` and
        the other layers describe each layer.
        example: model net(2) { dense(8, tanh); dense(1, sigmoid) }
      """),
    Entry(names: ["train", "on"], text: """
      train net on data { option: value, ... }
        Trains the model `net` on the dataset `data` (options one per line or separated by
        commas); its value is the history, a record of per-epoch tensors (`h.loss`). The same
        as `fit(net, data, option: value, ...)`; `:help fit` describes fit.
        example: let h = train net on xor() { loss: mse, optimizer: adam(lr: 0.05), epochs: 9 }
      """),
    Entry(names: ["true", "false", "nil"], text: """
      true, false, nil
        The two booleans, and the value of a statement that has none.
        example: let done = false
      """),
    Entry(names: ["and", "or", "not"] + operatorSymbols + ["operators", "operator"],
          text: operatorsText),
  ]

  /// The symbols `:help` takes for the operators text.
  static let operatorSymbols = [
    "==", "!=", "<", "<=", ">", ">=", "..<", "...", "+", "-", "*", "/", "%", "@", "^",
  ]

  /// The help of keyword or operator `name`, or nil when it is neither.
  static func text(for name: String) -> String? {
    guard let entry = entries.first(where: { $0.names.contains(name) }) else { return nil }
    guard entry.names.contains("train") else { return entry.text }
    let options = Builtins.trainingParameters.map { "    \($0.helpLine)\n" }.joined()
    return entry.text.replacingOccurrences(
      of: "\n  example:", with: "\n  options (the same as fit's):\n\(options)  example:")
  }
}
