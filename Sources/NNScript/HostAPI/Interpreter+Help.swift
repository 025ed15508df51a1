extension Interpreter {
  /// The help of the built-in `name` — its signature, one sentence and an example — or of the
  /// keyword or operator `name` (`train`, `for`, `@`), as `:help NAME` prints it; nil when
  /// `name` is none of these.
  public func help(for name: String) -> String? {
    Self.helpText(for: name) ?? KeywordHelp.text(for: name)
  }

  /// The Markdown reference of every built-in, grouped by family: what `docs/builtins.md` holds.
  public static func builtinReference() -> String {
    var text = """
      # Built-in functions

      Generated from the built-ins' declarations (signature and help) by
      `Interpreter.builtinReference()`; `:help NAME` in the REPL prints the same text. Each
      parameter shows its kind, allowed range, default (`= …`; none means the argument is
      required) and what it does. Do not edit by hand: run the tests with `NN_RECORD_GOLDEN=1`
      to regenerate it. [The language page](language.md) describes the choices behind them.

      """
    for family in BuiltinHelp.families {
      let members = Builtins.all.filter { BuiltinHelp.entries[$0.name]?.family == family }
      guard !members.isEmpty else { continue }
      text += "\n## \(family.prefix(1).uppercased() + family.dropFirst())\n"
      for builtin in members {
        guard let entry = BuiltinHelp.entries[builtin.name] else { continue }
        text += "\n### \(builtin.name)\n\n`\(helpSignature(of: builtin))`\n\n\(entry.summary)\n"
        let lines = declaredParameters(of: builtin).map { (parameter) -> String in
          let line = "- `\(parameter.signatureText)`"
          return parameter.summary.isEmpty ? line : line + " — " + parameter.summary
        }
        if !lines.isEmpty { text += "\n" + lines.joined(separator: "\n") + "\n" }
        text += "\n```nn\n\(entry.example)\n```\n"
      }
    }
    return text
  }

  /// `help(for:)` without an interpreter.
  static func helpText(for name: String) -> String? {
    guard let builtin = Builtins.all.first(where: { $0.name == name }),
      let entry = BuiltinHelp.entries[name]
    else { return nil }
    let example = entry.example.split(separator: "\n", omittingEmptySubsequences: false)
      .joined(separator: "\n           ")
    let parameters = declaredParameters(of: builtin).map { "  \($0.helpLine)\n" }.joined()
    return "\(helpSignature(of: builtin))\n  \(entry.summary)\n\(parameters)  example: \(example)"
  }

  /// `name(p, q, rest...)`, from the built-in's parameter list (variadic ones end in `...`).
  static func helpSignature(of builtin: Builtin) -> String {
    "\(builtin.name)(\(builtin.parameters.joined(separator: ", ")))"
  }

  /// The parameters help lists one per line: all of them once any is declared (a built-in
  /// still declared by names alone shows only its signature).
  static func declaredParameters(of builtin: Builtin) -> [Parameter] {
    let declared = builtin.signature.contains { $0.kind != .any || !$0.summary.isEmpty }
    return declared ? builtin.signature : []
  }
}
