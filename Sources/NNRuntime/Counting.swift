// Messages and listings that count something ("3 rows", "1 row") say it with this one rule, so
// a count of one is never "1 rows" (the language's evaluator and the runtime alike).

/// `n` and its noun, singular for exactly one: `counted(1, "layer")` is "1 layer",
/// `counted(3, "layer")` "3 layers"; `plural` for nouns that do not take an "s"
/// (`counted(2, "class", plural: "classes")`).
public func counted(_ n: Int, _ noun: String, plural: String? = nil) -> String {
  n == 1 ? "1 \(noun)" : "\(n) \(plural ?? noun + "s")"
}
