import NNRuntime
import NNSyntax

extension Builtins {
  /// The training options `lr_find` shares with `fit`, declared once there.
  private static func fitParameters(_ names: [String]) -> [Parameter] {
    names.compactMap { name in trainingParameters.first { $0.name == name } }
  }

  /// Pictures of how training goes: the learning-rate finder and gradient norms.
  static let trainingPictures: [Builtin] = [
    Builtin("lr_find", [
      .required("net", .model, "the model (left unchanged)"),
      .required("data", .dataset, "the training data"),
    ] + fitParameters(["loss", "optimizer", "batch", "shuffle", "l2", "seed"]) + [
      .number("from", 1e-6, .positive, "the first rate"),
      .number("to", 1, .positive, "the last rate"),
      .whole("steps", 100, "optimizer steps, the rate rising exponentially")
        .within(NumberRange(lower: 2, upper: 10_000)) {
          "steps must be between 2 and 10,000, not \($0)"
        },
      .flag("plot", true, "draw the smoothed loss against the rate"),
      .optional("title", .string, "title"),
    ] + Parameter.pictureOutput(
      width: "60 cells or 640 pixels", height: "15 cells or 400 pixels"),
    doc: BuiltinDoc(
      "plots and files",
      "Trains a copy with a rising rate; returns rates, losses and a suggested rate.",
      "let m = model(2) { dense(8, tanh); dense(1, sigmoid) }\n"
        + "print(len(lr_find(m, xor(), steps: 30, plot: false).lr))"),
      discardable: true
    ) { (context) throws(Diagnostic) in
      try LearningRateFinder(context: context).run()
    },
    Builtin("gradients", [
      .required("net", .model, "the model"), .required("data", .dataset, "the data"),
    ] + fitParameters(["loss"]), doc: BuiltinDoc(
      "gradients",
      "Each layer's gradient norm over a dataset; watch: [gradients] records it per epoch.",
      "let m = model(2) { dense(4, sigmoid); dense(1, sigmoid) }\n"
        + "print(gradients(m, xor()))")
    ) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let data = try context.dataArgument("data")
      let loss = context.has("loss") ? try context.lossObject("loss")
        : TrainingSession.defaultLoss(for: model, data: data)
      let runner = NetworkRunner(evaluator: context.evaluator)
      let compiled = try runner.gradients(
        model, x: .tensor(data.x), y: .tensor(data.y), loss: loss, checkNumerics: true,
        call: context)
      let norms = model.network.layerNorms(UnsafePointer(compiled.plan.gradientBuffer.baseAddress!))
      return .record(Record(norms.map { ($0.layer, .number($0.norm)) }))
    },
  ]
}
