import NNRuntime
import NNSyntax

extension Builtins {
  /// Losses and optimizers. A loss built-in is a value for `loss:` and, called with a
  /// prediction and a target, computes the loss (`mse(pred, y)`).
  static let losses: [Builtin] = LossKind.declarations.map(loss)
    + OptimizerRule.declarations.map(optimizer)

  /// `pred` and `y`: given, the loss is computed; absent, the call is the loss as a value.
  private static let lossParameters: [Parameter] = [
    .optional("pred", .tensor, "predictions; without them the call is the loss itself"),
    .optional("y", .tensor, "targets"),
  ]

  /// `mse(pred, y)`, `huber(delta: 2)`: the built-in is derived from the runtime's
  /// declaration, so the name, hyper-parameters and help exist once.
  private static func loss(_ declaration: LossDeclaration) -> Builtin {
    Builtin(declaration.name, lossParameters + declaration.hyperparameters.map(Parameter.init),
            doc: BuiltinDoc("losses", declaration.summary, declaration.example),
            produces: .loss) { (context) throws(Diagnostic) in
      var values: [String: Double] = [:]
      for hyperparameter in declaration.hyperparameters {
        switch hyperparameter.kind {
        case .number: values[hyperparameter.name] = try context.number(hyperparameter.name)
        case .flag:
          values[hyperparameter.name] = try context.bool(hyperparameter.name) ? 1 : 0
        }
      }
      return try context.computeLoss(declaration.kind(values))
    }
  }

  /// `sgd(lr, …)`, `adam(lr: 0.001, …)`: the built-in is derived from the runtime's
  /// declaration (PyTorch's rules and defaults), so names, defaults and ranges exist once.
  private static func optimizer(_ declaration: OptimizerDeclaration) -> Builtin {
    let lr = Parameter.number("lr", declaration.learningRate, .nonNegative, "learning rate")
    let signature = [lr] + declaration.hyperparameters.map(Parameter.init)
    return Builtin(declaration.name, signature,
                   doc: BuiltinDoc("optimizers", declaration.summary, declaration.example),
                   produces: .optimizer) { (context) throws(Diagnostic) in
      let lr = try context.number("lr")
      var values: [String: Double] = [:]
      for hyperparameter in declaration.hyperparameters {
        switch hyperparameter.kind {
        case .number: values[hyperparameter.name] = try context.number(hyperparameter.name)
        case .flag:
          values[hyperparameter.name] = try context.bool(hyperparameter.name) ? 1 : 0
        }
      }
      let made = declaration.rule(values)
      if let problem = made.validate() {
        throw context.error(.invalidArgument, "\(declaration.name): \(problem)")
      }
      return .object(OptimizerObject(rule: made, learningRate: lr))
    }
  }
}

extension CallContext {
  /// A loss built-in: with `pred` and `y` the loss's value (a number, or a traced node inside
  /// a traced function); without them, the loss as a value.
  func computeLoss(_ kind: LossKind) throws(Diagnostic) -> Value {
    guard let prediction = value("pred") else { return .object(LossObject(.builtin(kind))) }
    var target = try require("y")
    if let traced = prediction.symbolic ?? target.symbolic {
      guard let p = traced.operand(prediction) else {
        throw error(.typeMismatch, "\(kind.name) takes tensors")
      }
      // The loss's own target rule (`[n, 1]` indices read as `[n]`): a constant target's
      // values too, a traced one's shape.
      if target.symbolic == nil, let constant = target.asTensor {
        target = .tensor(try checkedTarget(kind, constant, prediction: p.shape))
      }
      guard var y = traced.operand(target) else {
        throw error(.typeMismatch, "\(kind.name) takes tensors")
      }
      let shape: [Int]
      do throws(LossTargetError) {
        shape = try kind.targetShape(y.shape, prediction: p.shape).shape
      } catch {
        throw self.error(.shapeMismatch, "\(kind.name): \(error.message)", at: "y",
                         hint: error.hint)
      }
      if shape != y.shape {
        guard case .object(let reshaped as SymbolicTensor) = try trace(.reshape(shape), [y])
        else { throw self.error(.typeMismatch, "\(kind.name) takes tensors") }
        y = reshaped
      }
      return try trace(.loss(kind), [p, y])
    }
    let p = try tensorLike("pred")
    if let problem = kind.predictionProblem(p) {
      throw self.error(.dataError, "\(kind.name): \(problem.message)", at: "pred",
                       hint: problem.hint)
    }
    let y = try checkedTarget(kind, try tensorLike("y"), prediction: p.shape)
    var graph = Graph()
    let pNode = graph.input(0, shape: p.shape)
    let yNode = graph.input(1, shape: y.shape)
    do {
      let loss = try graph.add(.loss(kind), [pNode, yNode])
      let plan = try Plan<Float>(graph: graph, outputs: [loss], gradients: [],
                                 parameters: ParameterStore<Float>(shapes: []), training: false)
      plan.setInput(0, p)
      plan.setInput(1, y)
      plan.run(random: &evaluator.random)
      return Evaluator.wrap(plan.output(loss))
    } catch {
      throw self.error(.shapeMismatch, "\(kind.name): \(error.message)")
    }
  }

  /// `y` as the loss reads it against a prediction of shape `prediction` (its target rule).
  private func checkedTarget(
    _ kind: LossKind, _ y: Tensor, prediction: [Int]
  ) throws(Diagnostic) -> Tensor {
    do throws(LossTargetError) {
      return try kind.checkedTarget(y, prediction: prediction)
    } catch {
      throw self.error(error.row == nil ? .shapeMismatch : .dataError,
                       "\(kind.name): \(error.message)", at: "y", hint: error.hint)
    }
  }

  /// `loss:` — a loss built-in, a loss value, or a function `fn (pred, y)`.
  func lossObject(_ name: String) throws(Diagnostic) -> LossObject {
    let value = try require(name)
    switch value {
    case .object(let loss as LossObject): return loss
    case .builtin(let builtin):
      if let kind = Self.lossKinds[builtin.name] { return LossObject(.builtin(kind)) }
    case .function(let function):
      return LossObject(.custom(function))
    case .string(let text):
      if let kind = Self.lossKinds[text] { return LossObject(.builtin(kind)) }
    default:
      break
    }
    let names = Self.lossKinds.keys.sorted()
    let hint = builtinName(of: value).flatMap { Suggestions.nearest(to: $0, in: names) }
    throw error(.typeMismatch,
                "the loss must be one of \(names.joined(separator: ", ")) or a function "
                  + "fn (pred, y), not \(ValueFormatter.describe(value))", at: name,
                hint: hint.map { "did you mean \($0)?" })
  }

  private func builtinName(of value: Value) -> String? {
    switch value {
    case .builtin(let builtin): return builtin.name
    case .string(let text): return text
    default: return nil
    }
  }

  /// Each loss by name, with its default hyper-parameters (a bare `huber` is `huber()`).
  static let lossKinds: [String: LossKind] = Dictionary(
    uniqueKeysWithValues: LossKind.declarations.map { ($0.name, $0.defaultKind) })

  func optimizerObject(_ name: String) throws(Diagnostic) -> OptimizerObject {
    let value = try require(name)
    if case .object(let optimizer as OptimizerObject) = value { return optimizer }
    if case .builtin(let builtin) = value, let rule = OptimizerRule.defaults(builtin.name) {
      let lr = OptimizerRule.defaultLearningRates[builtin.name] ?? 0.001
      return OptimizerObject(rule: rule, learningRate: lr)
    }
    let makers = OptimizerRule.names.map { "\($0)(…)" }
    throw error(.typeMismatch,
                "an optimizer is made by \(makers.dropLast().joined(separator: ", ")) or "
                  + "\(makers.last!), not \(ValueFormatter.describe(value))", at: name)
  }

  func model(_ name: String) throws(Diagnostic) -> ModelObject {
    let value = try require(name)
    guard case .object(let model as ModelObject) = value else {
      throw error(.typeMismatch,
                  "the argument '\(name)' of \(builtin.name) must be a model, not a "
                    + value.typeName, at: name)
    }
    return model
  }
}
