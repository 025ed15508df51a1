import NNRuntime
import NNSyntax

/// `gradcheck(net, x, y, loss:)`: backpropagation against finite differences, both in 64-bit
/// precision, per parameter.
enum GradientCheck {
  /// Scalars checked at most: each costs four forward passes.
  static let maxCheckedScalars = 20_000
  /// Errors are relative to the larger gradient, but never to less than this, so that noise on
  /// gradients that are zero in exact arithmetic does not read as a large relative error.
  static let relativeFloor = 1e-5

  static func run(_ context: CallContext) throws(Diagnostic) -> Value {
    let model = try context.model("net")
    let loss = context.has("loss") ? try context.lossObject("loss") : LossObject(.builtin(.mse))
    let checkNumerics = try context.bool("check_numerics")
    let runner = NetworkRunner(evaluator: context.evaluator)
    let x = try runner.batch(model, try context.require("x"),
                             range: context.bound["x"]?.range ?? context.callRange)
    let y = try runner.target(model, try context.require("y"), rows: x.shape[0], loss: loss,
                              call: context)
    let network = model.network
    let store = network.parameters.converted(to: Double.self)
    let buffers = Set(network.bufferParameters)
    // Inference mode first: dropout off, batchnorm on its running statistics.
    var inference = try check(
      runner.lossPlan(model, batch: x.shape[0], target: y.shape, loss: loss, parameters: store,
                      training: false, traceLayers: false, call: context),
      x: x, y: y, store: store, skip: buffers, random: nil, checkNumerics: checkNumerics,
      model: model, runner: runner, context: context)
    // The header counts what is checked: the trained scalars, not the buffers.
    let trained = store.count - buffers.reduce(0) { $0 + store.count(of: $1) }
    var text = "gradcheck \(model.name)  loss \(loss.name)  "
      + "\(Evaluator.count(trained, "parameter")), "
      + "64-bit central differences\n" + inference.text
    // Training mode too where it computes something else (batch statistics, dropout): the
    // masks are held fixed by drawing them from one seed on every run.
    if network.differsInTraining {
      // A fixed seed: the check leaves the script's random stream as it found it.
      let seed = RandomGenerator(seed: 0x5EED)
      let training = try check(
        runner.lossPlan(model, batch: x.shape[0], target: y.shape, loss: loss,
                        parameters: store, training: true, traceLayers: false, call: context),
        x: x, y: y, store: store, skip: buffers, random: seed, checkNumerics: checkNumerics,
        model: model, runner: runner, context: context)
      text += "  training mode (batch statistics):\n" + training.text
      inference.largest = max(inference.largest, training.largest)
    }
    text += "  " + "largest".padding(toLength: labelWidth(model))
      + formatScientific(inference.largest) + "\n"
    context.evaluator.emit(text)
    return .number(inference.largest)
  }

  /// One plan's analytic gradient against central differences, per trained parameter (the
  /// buffers in `skip` are state, not trained). `random` nil: the evaluator's generator (an
  /// inference plan draws nothing); otherwise every run starts from that generator.
  private static func check(
    _ compiled: NetworkRunner.LossPlan<Double>, x: Tensor, y: Tensor,
    store: ParameterStore<Double>, skip: Set<Int>, random: RandomGenerator?,
    checkNumerics: Bool, model: ModelObject, runner: NetworkRunner, context: CallContext
  ) throws(Diagnostic) -> (text: String, largest: Double) {
    let plan = compiled.plan
    plan.setInput(0, x)
    plan.setInput(1, y)
    let saved = (0..<store.count).map { store.pointer[$0] }
    defer { for i in saved.indices { store.pointer[i] = saved[i] } }
    func run(checking: Bool) -> NumericFault? {
      guard var generator = random else {
        return plan.run(random: &context.evaluator.random, checkingNumerics: checking)
      }
      return plan.run(random: &generator, checkingNumerics: checking)
    }
    func lossValue() -> Double {
      _ = run(checking: false)
      return plan.values(compiled.loss)[0]
    }
    // The analytic run is the one checked: differences of non-finite losses mean nothing.
    if let fault = run(checking: checkNumerics) {
      throw runner.numericFault(fault, model, compiled.lowering, call: context)
    }
    let analytic = Array(plan.gradientBuffer)
    let stride = max(1, store.count / maxCheckedScalars)
    var text = ""
    var largest = 0.0
    for (index, name) in model.network.parameterNames.enumerated() where !skip.contains(index) {
      let start = store.offsets[index]
      let count = store.shapes[index].reduce(1, *)
      var worst = 0.0
      for i in Swift.stride(from: start, to: start + count, by: stride) {
        // Each scalar costs four forward passes: a large network takes seconds per few.
        if context.evaluator.stopRequested {
          let stop = context.evaluator.stopDiagnostic(at: nil)
          throw context.error(stop.code, stop.message)
        }
        let original = store.pointer[i]
        let h = 1e-4 * max(1, abs(original))
        // A five-point stencil: error O(h⁴), so h can stay large enough that rounding in the
        // loss does not swamp the difference.
        func at(_ offset: Double) -> Double {
          store.pointer[i] = original + offset
          return lossValue()
        }
        let numeric = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
        store.pointer[i] = original
        let error = abs(analytic[i] - numeric)
          / max(abs(analytic[i]), abs(numeric), relativeFloor)
        worst = max(worst, error)
      }
      text += "  " + name.padding(toLength: Self.labelWidth(model)) + "max relative error "
        + formatScientific(worst) + "\n"
      largest = max(largest, worst)
    }
    return (text, largest)
  }

  /// The label column: 24 wide, or wider for long names (`transformer1.self_attn.in_proj_bias`)
  /// so the errors stay in one column.
  static func labelWidth(_ model: ModelObject) -> Int {
    max(24, (model.network.parameterNames.map(\.count).max() ?? 0) + 1)
  }

  /// `3.2e-10`: two significant digits are all an error estimate deserves.
  static func formatScientific(_ x: Double) -> String {
    guard x > 0, x.isFinite else { return x == 0 ? "0" : formatNumber(x) }
    var exponent = x.decimalExponent
    var mantissa = x / Double.powerOfTen(exponent)
    if mantissa >= 9.95 {
      exponent += 1
      mantissa /= 10
    }
    let scaled = Int((mantissa * 10).rounded())
    return "\(scaled / 10).\(scaled % 10)e\(exponent)"
  }
}

extension String {
  /// Pads with spaces to at least `length` characters.
  func padding(toLength length: Int) -> String {
    count >= length ? self + " " : self + String(repeating: " ", count: length - count)
  }
}
