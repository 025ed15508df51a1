import NNRuntime
import NNSyntax

extension Builtins {
  /// Gradients by hand, the worked-example trace, gradient checks and model inspection.
  static let networks: [Builtin] = [
    Builtin("grad", [
      .required("net", .any, "a model, or a function f"), .required("x", .tensor, "inputs"),
      .optional("y", .tensor, "targets (for a model)"),
      Parameter("loss", .loss, default: .described("mse"), "the loss (for a model)"),
      .flag("check_numerics", true, "fail on nan or infinity"),
    ], doc: BuiltinDoc(
      "gradients",
      "Returns a network's loss and parameter gradients, or ∂f/∂x of a function f.",
      "let m = model(2) { dense(1) }\n"
      + "print(grad(m, [[1, 2]], [[1]], loss: mse).loss, grad(fn (x) { x * x }, 3))")) {
      (context) throws(Diagnostic) in
      let first = try context.require("net")
      if case .function(let function) = first {
        guard !context.has("y"), !context.has("loss"), !context.has("check_numerics") else {
          throw context.error(.invalidArgument,
                              "grad(f, x) takes a function and the point to differentiate at")
        }
        return try context.gradientOfFunction(function)
      }
      let model = try context.model("net")
      let loss = try context.lossObject("loss")
      let runner = NetworkRunner(evaluator: context.evaluator)
      let compiled = try runner.gradients(
        model, x: try context.require("x"), y: try context.require("y"), loss: loss,
        checkNumerics: try context.bool("check_numerics"), call: context)
      var record = context.gradientRecord(model, compiled.plan.gradientBuffer)
      record["loss"] = .number(Value.element(compiled.plan.output(compiled.loss)[flat: 0]))
      return .record(record)
    },
    Builtin("step", [
      .optional("net", .model, "the model to update"), .optional("opt", .optimizer, "optimizer"),
      .optional("g", .record, "gradients from grad"),
    ] + [.wholeNumber(LearningRateSchedule.stepHyperparameters[0]),
         Parameter(LearningRateSchedule.stepHyperparameters[1])], doc: BuiltinDoc(
      "gradients",
      "Applies one optimizer update from grad's gradients; step(every:) is a schedule.",
      "let m = model(2) { dense(1) }; let opt = sgd(lr: 0.1)\n"
      + "step(m, opt, grad(m, [[1, 2]], [[1]], loss: mse))"),
      discardable: true) { (context) throws(Diagnostic) in
      // `step(every: 10, gamma: 0.5)` is the step schedule (LANGUAGE.md §6).
      if !context.has("net") { return try context.stepSchedule() }
      let model = try context.model("net")
      let optimizer = try context.optimizerObject("opt")
      let gradients = try context.flatGradients(model, "g")
      let state: OptimizerState<Float>
      switch optimizer.state(for: model.network) {
      case .success(let made): state = made
      case .failure(let refusal): throw context.error(.resourceLimit, refusal.message)
      }
      gradients.withUnsafeBufferPointer { buffer in
        model.network.step(state, gradients: buffer.baseAddress!,
                           learningRate: optimizer.learningRate)
      }
      return .nil
    },
    Builtin("trace", [
      .required("net", .model, "the model"), .required("x", .tensor, "inputs"),
      .required("y", .tensor, "targets"),
      Parameter("loss", .loss, default: .described("mse"), "the loss"),
      .number("lr", 0.1, "learning rate of the step shown"),
      .flag("apply", false, "also apply the step to the model"),
      .flag("check_numerics", true, "fail on nan or infinity"),
    ], doc: BuiltinDoc(
      "gradients",
      "Prints and returns every layer's forward and backward values for one step.",
      "let m = model(2) { dense(1) }\n"
      + "let t = trace(m, [[1, 2]], [[1]], loss: mse)"), discardable: true) {
      (context) throws(Diagnostic) in
      try TraceReport.run(context)
    },
    Builtin("gradcheck", [
      .required("net", .model, "the model"), .required("x", .tensor, "inputs"),
      .required("y", .tensor, "targets"),
      Parameter("loss", .loss, default: .described("mse"), "the loss"),
      .flag("check_numerics", true, "fail on nan or infinity"),
    ], doc: BuiltinDoc(
      "gradients",
      "Returns the largest relative error of backprop against finite differences.",
      "let m = model(2) { dense(3, tanh); dense(1) }\n"
      + "print(gradcheck(m, [[1, 2]], [[1]], loss: mse) < 1e-6)"), discardable: true) {
      (context) throws(Diagnostic) in
      try GradientCheck.run(context)
    },
    Builtin("summary", [.required("net", .model, "the model")], doc: BuiltinDoc(
      "gradients",
      "Prints a network's layers, output shapes, parameters and FLOPs.",
      "summary(model(3) { dense(4, relu); dense(2) })"),
      discardable: true) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      context.evaluator.emit(ModelSummary.text(model))
      return .nil
    },
    Builtin("ir", [
      .required("net", .model, "the model"), .whole("batch", 1, "rows of the batch shown")
        .within(.atLeastOne) { _ in "the batch size must be at least 1" },
      .optional("loss", .loss, "also show the loss and backward pass"),
    ], doc: BuiltinDoc(
      "gradients",
      "Prints a network's compiled plan: kernels, buffers and arena.",
      "ir(model(3) { dense(2, tanh) }, batch: 4)"),
      discardable: true) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let batch = try context.integer("batch")
      context.evaluator.emit(try ModelSummary.plan(model, batch: batch,
                                                             context: context))
      return .nil
    },
  ]
}

extension CallContext {
  /// `grad(net, …)`'s record: shaped like `net.params`.
  func gradientRecord(_ model: ModelObject, _ buffer: UnsafeMutableBufferPointer<Float>) -> Record {
    let store = model.network.parameters
    return model.record { index in
      let start = store.offsets[index]
      let count = store.shapes[index].reduce(1, *)
      return Tensor(shape: store.shapes[index], scalars: Array(buffer[start..<(start + count)]))
    }
  }

  /// A gradient record (as `grad` returns) flattened into the parameter store's layout.
  func flatGradients(_ model: ModelObject, _ name: String) throws(Diagnostic) -> [Float] {
    let value = try require(name)
    guard case .record(let record) = value else {
      throw error(.typeMismatch,
                  "step takes the record grad(…) returns, not a \(value.typeName)", at: name)
    }
    let store = model.network.parameters
    var flat = [Float](repeating: 0, count: store.count)
    for (index, fullName) in model.network.parameterNames.enumerated() {
      guard let entry = ModelObject.lookup(ModelObject.path(fullName), in: record) else {
        throw error(.invalidArgument, "the gradient record has no \(fullName)", at: name)
      }
      guard let tensor = entry.asTensor, tensor.shape == store.shapes[index] else {
        throw error(.shapeMismatch,
                    "the gradient \(fullName) must have shape "
                      + "\(shapeText(store.shapes[index]))", at: name)
      }
      // One NaN or infinity would spread through the update into every weight it touches,
      // so the step is refused before any weight changes.
      let nonFinite = tensor.withUnsafeBufferPointer { buffer -> (Int, Float)? in
        for i in 0..<buffer.count {
          guard buffer[i].isFinite else { return (i, buffer[i]) }
          flat[store.offsets[index] + i] = buffer[i]
        }
        return nil
      }
      if let (element, value) = nonFinite {
        throw error(.numericError,
                    "the gradient \(fullName) holds \(formatNumber(value)) at "
                      + "\(elementIndex(element, shape: tensor.shape)); step changed no weight",
                    at: name)
      }
    }
    return flat
  }

  /// The position of the element at `flat` in a row-major tensor of `shape`: `[1, 2]`.
  private func elementIndex(_ flat: Int, shape: [Int]) -> String {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
      index[axis] = rest % shape[axis]
      rest /= shape[axis]
    }
    return "[" + index.map(String.init).joined(separator: ", ") + "]"
  }

  /// `grad(f, x)`: traces `f` at a symbolic `x` into a graph, differentiates it there and runs
  /// the plan once.
  func gradientOfFunction(_ function: FunctionValue) throws(Diagnostic) -> Value {
    let point = try require("x")
    guard let x = point.asTensor, point.symbolic == nil else {
      throw error(.typeMismatch, "grad(f, x) differentiates at a number or a tensor, not a "
                    + point.typeName, at: "x")
    }
    let tracer = Tracer()
    let parameter = tracer.graph.parameter(0, shape: x.shape)
    let argument = ArgumentValue(label: nil, labelRange: nil,
                                 value: .object(SymbolicTensor(tracer: tracer, node: parameter)),
                                 range: bound["x"]?.range ?? callRange)
    let result: Value
    do {
      result = try evaluator.callFunction(function, [argument], callRange: callRange)
    } catch {
      throw NetworkRunner.diagnostic(error, call: self)
    }
    let store = ParameterStore<Float>(shapes: [x.shape])
    store.assign(0, x)
    if case .number = result {
      // A function that ignores its argument has a zero gradient.
      return point.isTensor ? .tensor(Tensor(shape: x.shape, scalars: Array(
        repeating: 0, count: x.count))) : .number(0)
    }
    guard let traced = result.symbolic, traced.tracer === tracer, traced.shape.isEmpty else {
      let shape = result.symbolic.map { " of shape " + shapeText($0.shape) } ?? ""
      throw error(.typeMismatch,
                  "grad(f, x) needs f to return one number, but \(function.name) returned a "
                    + "\(result.typeName)\(shape)", at: "net",
                  hint: "reduce the result with sum(…) or mean(…)")
    }
    do {
      var graph = tracer.graph
      let gradient = try graph.differentiate(traced.node, withRespectTo: [parameter])
      let plan = try Plan<Float>(graph: graph, outputs: [traced.node], gradients: gradient,
                                 parameters: store, training: true)
      plan.run(random: &evaluator.random)
      let values = Array(plan.gradientBuffer)
      let tensor = Tensor(shape: x.shape, scalars: values)
      return point.isTensor ? .tensor(tensor) : Evaluator.wrap(tensor)
    } catch {
      throw self.error(.shapeMismatch, error.message)
    }
  }
}
