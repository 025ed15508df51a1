import NNRuntime

extension SignatureCheck {
  /// An optimizer's setting given to a built-in that takes an optimizer (`fit(…, lr: 0.1)`,
  /// `train … { momentum: 0.9 }`): as in Keras and PyTorch the rate and its friends belong to
  /// the optimizer, so the problem says so and shows the call that takes them. `value` is the
  /// argument as written; `optimizer` the name of the optimizer given, if any. Nil when the
  /// built-in takes no optimizer or the label is no optimizer's.
  static func optimizerOption(
    _ label: String, value: String, of builtin: Builtin, noun: String, optimizer: String?
  ) -> Problem? {
    guard builtin.parameter(label) == nil,
      builtin.signature.contains(where: { $0.kind == .optimizer })
    else { return nil }
    let takers = OptimizerRule.declarations.filter { declaration in
      label == "lr" || declaration.hyperparameters.contains { $0.name == label }
    }
    guard !takers.isEmpty else { return nil }
    // The optimizer given when it takes the setting, else the default (adam), else the first.
    let name = takers.first { $0.name == optimizer }?.name
      ?? takers.first { $0.name == "adam" }?.name ?? takers[0].name
    let setting = label == "lr" ? "the learning rate" : "\(label)"
    return Problem(.invalidArgument,
                   "\(builtin.name) has no \(noun) named '\(label)': \(setting) belongs to the "
                     + "optimizer",
                   hint: "optimizer: \(name)(\(label): \(value))")
  }
}
