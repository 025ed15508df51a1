import NNRuntime
import NNSyntax

extension Builtins {
  /// Losses and optimizers. A loss built-in is a value for `loss:` and, called with a
  /// prediction and a target, computes the loss (`mse(pred, y)`).
  static let losses: [Builtin] = [
    loss("mse", .mse), loss("sse", .sse), loss("mae", .mae),
    loss("cross_entropy", .crossEntropy), loss("bce", .bce),
    Builtin("huber", ["pred", "y", "delta"]) { (context) throws(Diagnostic) in
      let delta = try context.number("delta", default: 1)
      guard delta > 0 else {
        throw context.error(.invalidArgument, "huber's delta must be > 0", at: "delta")
      }
      guard context.has("pred") else {
        return .object(LossObject(.builtin(.huber(delta: delta))))
      }
      return try context.computeLoss(.huber(delta: delta))
    },
    optimizer("sgd", ["momentum", "dampening", "nesterov", "weight_decay"]) {
      (context) throws(Diagnostic) in
      .sgd(momentum: try context.number("momentum", default: 0),
           dampening: try context.number("dampening", default: 0),
           nesterov: try context.bool("nesterov", default: false),
           weightDecay: try context.number("weight_decay", default: 0))
    },
    optimizer("adam", ["beta1", "beta2", "eps", "weight_decay", "amsgrad"]) {
      (context) throws(Diagnostic) in
      .adam(beta1: try context.number("beta1", default: 0.9),
            beta2: try context.number("beta2", default: 0.999),
            eps: try context.number("eps", default: 1e-8),
            weightDecay: try context.number("weight_decay", default: 0),
            amsgrad: try context.bool("amsgrad", default: false))
    },
    optimizer("adamw", ["beta1", "beta2", "eps", "weight_decay", "amsgrad"]) {
      (context) throws(Diagnostic) in
      .adamw(beta1: try context.number("beta1", default: 0.9),
             beta2: try context.number("beta2", default: 0.999),
             eps: try context.number("eps", default: 1e-8),
             weightDecay: try context.number("weight_decay", default: 0.01),
             amsgrad: try context.bool("amsgrad", default: false))
    },
    optimizer("rmsprop", ["alpha", "eps", "momentum", "centered", "weight_decay"]) {
      (context) throws(Diagnostic) in
      .rmsprop(alpha: try context.number("alpha", default: 0.99),
               eps: try context.number("eps", default: 1e-8),
               momentum: try context.number("momentum", default: 0),
               centered: try context.bool("centered", default: false),
               weightDecay: try context.number("weight_decay", default: 0))
    },
    optimizer("adagrad", ["eps", "lr_decay", "weight_decay", "initial_accumulator"]) {
      (context) throws(Diagnostic) in
      .adagrad(eps: try context.number("eps", default: 1e-10),
               lrDecay: try context.number("lr_decay", default: 0),
               weightDecay: try context.number("weight_decay", default: 0),
               initialAccumulator: try context.number("initial_accumulator", default: 0))
    },
  ]

  private static func loss(_ name: String, _ kind: LossKind) -> Builtin {
    Builtin(name, ["pred", "y"]) { (context) throws(Diagnostic) in
      try context.computeLoss(kind)
    }
  }

  /// `sgd(lr, …)`, `adam(lr: 0.001, …)`: PyTorch's rules and defaults.
  private static func optimizer(
    _ name: String, _ options: [String],
    _ rule: @escaping @Sendable (CallContext) throws(Diagnostic) -> OptimizerRule
  ) -> Builtin {
    Builtin(name, ["lr"] + options) { (context) throws(Diagnostic) in
      let fallback = OptimizerRule.defaultLearningRates[name] ?? 0.001
      let lr = try context.number("lr", default: fallback)
      guard lr >= 0, lr.isFinite else {
        throw context.error(.invalidArgument,
                            "the learning rate must be a number ≥ 0, not \(formatNumber(lr))",
                            at: "lr")
      }
      let made = try rule(context)
      if let problem = made.validate() {
        throw context.error(.invalidArgument, "\(name): \(problem)")
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
        throw self.error(.shapeMismatch, "\(kind.name): \(error.message)", at: "y")
      }
      if shape != y.shape {
        guard case .object(let reshaped as SymbolicTensor) = try trace(.reshape(shape), [y])
        else { throw self.error(.typeMismatch, "\(kind.name) takes tensors") }
        y = reshaped
      }
      return try trace(.loss(kind), [p, y])
    }
    let p = try tensorLike("pred")
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
                       "\(kind.name): \(error.message)", at: "y")
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

  static let lossKinds: [String: LossKind] = [
    "mse": .mse, "sse": .sse, "mae": .mae, "huber": .huber(delta: 1),
    "cross_entropy": .crossEntropy, "bce": .bce,
  ]

  func optimizerObject(_ name: String) throws(Diagnostic) -> OptimizerObject {
    let value = try require(name)
    if case .object(let optimizer as OptimizerObject) = value { return optimizer }
    if case .builtin(let builtin) = value, let rule = OptimizerRule.defaults(builtin.name) {
      let lr = OptimizerRule.defaultLearningRates[builtin.name] ?? 0.001
      return OptimizerObject(rule: rule, learningRate: lr)
    }
    throw error(.typeMismatch,
                "an optimizer is made by sgd(…), adam(…), adamw(…), rmsprop(…) or adagrad(…), "
                  + "not \(ValueFormatter.describe(value))", at: name)
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
