/// The order of the reference's families, and the help of every built-in by name, gathered
/// from the declarations (`Builtin.doc`). `:help NAME` in the REPL and `docs/builtins.md` are
/// both rendered from it (`Interpreter.help(for:)`, `Interpreter.builtinReference()`), so they
/// cannot drift apart.
enum BuiltinHelp {
  /// The families in the order the reference lists them.
  static let families = [
    "output", "values", "tensors", "element-wise", "reductions", "shapes", "layers",
    "activations", "initialisers", "losses", "optimizers", "gradients", "training", "metrics",
    "data", "text", "plots and files", "ranks",
  ]

  /// Help for every name in `Builtins.all`, as declared with the built-in.
  static let entries: [String: BuiltinDoc] = {
    var table: [String: BuiltinDoc] = [:]
    for builtin in Builtins.all {
      guard let doc = builtin.doc else { continue }
      table[builtin.name] = table[builtin.name] ?? doc
    }
    return table
  }()
}
