import NNRuntime
import NNSyntax

extension Evaluator {
  /// Evaluates a `model` declaration or expression into a model value.
  func buildModel(_ declaration: ModelDecl, in scope: Scope) throws(Unwind) -> ModelObject {
    let name = declaration.name?.name ?? "model"
    let shapeValue = try evaluate(declaration.inputShape, in: scope)
    let inputShape = try modelInputShape(shapeValue, range: declaration.inputShape.range)
    var pending: [ModelBuilder.Pending] = []
    try collectLayers(declaration.body.statements, in: Scope(parent: scope), into: &pending)
    guard !pending.isEmpty else {
      throw failure(.invalidOperation, "the model \(name) has no layers",
                    at: declaration.name?.range ?? declaration.range,
                    hint: "add layers to its body, such as dense(8, relu)")
    }
    var builder = ModelBuilder(modelName: name, inputShape: inputShape)
    do {
      let network = try builder.build(pending, random: &random)
      return ModelObject(name: name, network: network, tagLocations: builder.tagLocations)
    } catch {
      throw .failure(error)
    }
  }

  /// `model net(2)` or `model cnn([1, 8, 8])`: the shape of one sample.
  private func modelInputShape(_ value: Value, range: SourceRange) throws(Unwind) -> [Int] {
    var numbers: [Double] = []
    switch value {
    case .number(let x): numbers = [x]
    case .tensor(let t) where t.rank == 1: numbers = t.scalars.map(Double.init)
    case .list(let items):
      for item in items {
        guard case .number(let x) = item else { numbers = []; break }
        numbers.append(x)
      }
    default: break
    }
    let shape = numbers.compactMap { CallContext.exactInteger($0) }.filter { $0 > 0 }
    guard !numbers.isEmpty, shape.count == numbers.count else {
      throw failure(.typeMismatch,
                    "a model's input shape is a positive whole number or a list of them, not "
                      + ValueFormatter.describe(value), at: range)
    }
    return shape
  }

  // MARK: - Layer statements

  /// Runs a model body: expression statements are layers, `name = layer` names one,
  /// `residual { … }` nests, and `let`, `for`, `while` and `if` build structure.
  func collectLayers(
    _ statements: [Stmt], in scope: Scope, into pending: inout [ModelBuilder.Pending]
  ) throws(Unwind) {
    for statement in statements {
      try tick(statement.range)
      switch statement.kind {
      case .expression(let expression):
        if case .conditional(let condition, let then, let otherwise) = expression.kind {
          if try truth(evaluate(condition, in: scope), range: condition.range) {
            try collectLayers(then.statements, in: Scope(parent: scope), into: &pending)
          } else if let otherwise {
            try collectLayers(otherwise.statements, in: Scope(parent: scope), into: &pending)
          }
          continue
        }
        let value = try evaluate(expression, in: scope)
        try appendLayers(value, name: nil, range: expression.range, into: &pending)
      case .namedLayer(let name, let layer):
        let value = try evaluate(layer, in: scope)
        try appendLayers(value, name: name, range: statement.range, into: &pending)
      case .blockLayer(let name, let kind, let arguments, let body):
        guard kind.name == "residual" else {
          throw failure(.undefinedName, "unknown block layer '\(kind.name)'", at: kind.range,
                        hint: "the block layer is residual { … }")
        }
        if let first = arguments.first {
          throw failure(.invalidArgument, "residual takes no arguments", at: first.range)
        }
        var inner: [ModelBuilder.Pending] = []
        try collectLayers(body.statements, in: Scope(parent: scope), into: &inner)
        pending.append(ModelBuilder.Pending(name: name?.name, kind: .residual(inner),
                                            location: location(statement.range)))
      case .forLoop(let pattern, let sequence, let body):
        let collection = try evaluate(sequence, in: scope)
        var iterator = try makeIterator(collection, pattern: pattern, range: sequence.range)
        loop: while let element = try iterator.next(self) {
          let iterationScope = Scope(parent: scope)
          try bind(pattern, to: element, in: iterationScope, valueRange: sequence.range)
          do {
            try collectLayers(body.statements, in: iterationScope, into: &pending)
          } catch .breakLoop {
            break loop
          } catch .continueLoop {
            continue loop
          }
        }
      case .whileLoop(let condition, let body):
        loop: while try truth(evaluate(condition, in: scope), range: condition.range) {
          do {
            try collectLayers(body.statements, in: Scope(parent: scope), into: &pending)
          } catch .breakLoop {
            break loop
          } catch .continueLoop {
            continue loop
          }
        }
      default:
        _ = try execute(statement, in: scope)
      }
    }
  }

  /// Adds what a layer statement produced: a layer, an activation function named bare
  /// (`relu`), or a list of those (from a helper function that builds a block).
  private func appendLayers(
    _ value: Value, name: Identifier?, range: SourceRange,
    into pending: inout [ModelBuilder.Pending]
  ) throws(Unwind) {
    let here = location(range)
    switch value {
    case .object(let layer as LayerSpecObject):
      pending.append(ModelBuilder.Pending(name: name?.name, kind: .spec(layer.spec),
                                          location: here))
    case .builtin(let builtin) where Activations.byName[builtin.name] != nil:
      pending.append(ModelBuilder.Pending(
        name: name?.name, kind: .spec(.activation(Activations.byName[builtin.name]!)),
        location: here))
    case .list(let items) where name == nil:
      for item in items { try appendLayers(item, name: nil, range: range, into: &pending) }
    case .builtin(let builtin) where builtin.produces == .layer:
      try appendLayers(try callBare(builtin, at: range), name: name, range: range, into: &pending)
    default:
      throw failure(.typeMismatch,
                    "a model body holds layers, but this is a \(value.typeName)",
                    at: range,
                    hint: "layers are dense(…), dropout(p), activations such as relu, or "
                      + "residual { … }; compute other values with let")
    }
  }
}

/// The activations a model accepts by name, bare (`relu`) or as `act` (`dense(8, relu)`).
enum Activations {
  static let byName: [String: Activation] = [
    "identity": .identity, "relu": .relu, "sigmoid": .sigmoid, "tanh": .tanh,
    "softmax": .softmax, "gelu": .gelu, "elu": .elu(alpha: 1),
    "leaky_relu": .leakyRelu(alpha: 0.01),
  ]
}
