/// The order of the reference's families, and the help of every built-in by name, gathered
/// from the declarations (`Builtin.doc`). `:help NAME` in the REPL and `docs/builtins.md` are
/// both rendered from it (`Interpreter.help(for:)`, `Interpreter.builtinReference()`), so they
/// cannot drift apart.
enum BuiltinHelp {
  /// The families in the order the reference lists them.
  static let families = [
    "output", "values", "tensors", "element-wise", "reductions", "shapes", "layers",
    "initialisers", "losses", "optimizers", "gradients", "training", "metrics", "data",
    "plots and files", "ranks",
  ]

  /// Help for every name in `Builtins.all`, as declared with the built-in.
  static let entries: [String: BuiltinDoc] = {
    var table: [String: BuiltinDoc] = [:]
    for builtin in Builtins.all {
      guard let doc = builtin.doc ?? pendingActivations[builtin.name] else { continue }
      table[builtin.name] = table[builtin.name] ?? doc
    }
    return table
  }()

  /// The element-wise activations (`tanh`, `sigmoid`, `relu`, `silu`) whose `unaryOp(...)`
  /// lines in `Builtins+Tensors.swift` are being derived from the runtime's activation
  /// declarations; their help moves there with them. A declared `doc` wins over this.
  private static let pendingActivations: [String: BuiltinDoc] = [
    "tanh": BuiltinDoc("element-wise",
                       "Computes tanh of each element; bare, it is a tanh layer or activation.",
                       "print(tanh([-1, 0, 1]))"),
    "sigmoid": BuiltinDoc("element-wise",
                          "Computes 1/(1 + e^-x) of each element; bare, it is a sigmoid layer.",
                          "print(sigmoid([-1, 0, 1]))"),
    "relu": BuiltinDoc("element-wise",
                       "Computes max(x, 0) of each element; bare, it is a relu layer or "
                         + "activation.", "print(relu([-1, 0, 2]))"),
    "silu": BuiltinDoc("element-wise",
                       "Computes x·sigmoid(x) of each element; bare, it is a silu layer or "
                         + "activation.", "print(silu([-1, 0, 2]))"),
  ]
}
