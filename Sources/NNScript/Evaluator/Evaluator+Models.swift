import NNRuntime
import NNSyntax

extension Evaluator {
  /// Evaluates a `model` declaration or expression into a model value.
  func buildModel(_ declaration: ModelDecl, in scope: Scope) throws(Unwind) -> ModelObject {
    let name = declaration.name?.name ?? "model"
    let shapeValue = try evaluate(declaration.inputShape, in: scope)
    let inputShape = try modelInputShape(shapeValue, range: declaration.inputShape.range)
    let pending = try collectLayers(declaration.body, in: Scope(parent: scope))
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
    case .tensor(let t) where t.rank == 1: numbers = t.scalars.map(Value.element)
    case .list(let items):
      for item in items {
        guard case .number(let x) = item else { numbers = []; break }
        numbers.append(x)
      }
    default: break
    }
    if let huge = numbers.first(where: CallContext.isTooLarge) {
      throw failure(.invalidArgument, CallContext.notAnInteger("a model's input size", huge),
                    at: range)
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

  /// Runs a model body with the evaluator's own statements (so its loops tick, and stop on
  /// Ctrl-C and the limits, like every other loop), collecting the layers its layer
  /// statements deliver: expression statements, `name = layer` and `residual { … }`.
  func collectLayers(_ body: Block, in scope: Scope) throws(Unwind) -> [ModelBuilder.Pending] {
    let sink = LayerSink()
    let outer = layerSink
    layerSink = sink
    defer { layerSink = outer }
    _ = try runStatements(of: body, in: scope)
    return sink.pending
  }

  /// An expression statement of a body being collected: a layer (or a list of them) delivered
  /// to the sink, or an `if` that runs as everywhere else, its branch delivering its own.
  func deliverLayer(_ expression: Expr, to sink: LayerSink, in scope: Scope) throws(Unwind) {
    if case .conditional = expression.kind {
      _ = try evaluate(expression, in: scope)
      return
    }
    let value = try evaluateOutsideBody(expression, in: scope)
    try appendLayers(value, name: nil, range: expression.range, into: &sink.pending)
  }

  /// `name = layer` in a body being collected.
  func deliverNamedLayer(
    _ name: Identifier, _ layer: Expr, statement: SourceRange, to sink: LayerSink, in scope: Scope
  ) throws(Unwind) {
    let value = try evaluateOutsideBody(layer, in: scope)
    try appendLayers(value, name: name, range: statement, into: &sink.pending)
  }

  /// `residual { … }` (or `name = residual { … }`) in a body being collected: its own body
  /// collects into a sink of its own, and the block is one layer of this one.
  func deliverBlockLayer(
    _ name: Identifier?, _ kind: Identifier, _ arguments: [Argument], _ body: Block,
    statement: SourceRange, to sink: LayerSink, in scope: Scope
  ) throws(Unwind) {
    guard kind.name == "residual" else {
      throw failure(.undefinedName, "unknown block layer '\(kind.name)'", at: kind.range,
                    hint: "the block layer is residual { … }")
    }
    if let first = arguments.first {
      throw failure(.invalidArgument, "residual takes no arguments", at: first.range)
    }
    let inner = try collectLayers(body, in: Scope(parent: scope))
    sink.pending.append(ModelBuilder.Pending(name: name?.name, kind: .residual(inner),
                                             location: location(statement)))
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
      pending.append(ModelBuilder.Pending(
        name: name?.name, kind: .spec(layer.declaration, arguments: layer.argumentRanges),
        location: here))
    case .list(let items) where name == nil:
      for item in items { try appendLayers(item, name: nil, range: range, into: &pending) }
    case .builtin(let builtin) where builtin.produces == .layer || builtin.produces == .activation:
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

/// Where the layer statements of the model body being run deliver their layers.
final class LayerSink {
  var pending: [ModelBuilder.Pending] = []
}
