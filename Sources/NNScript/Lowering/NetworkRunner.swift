import NNRuntime
import NNSyntax

/// Runs models through compiled plans for the built-ins: inference, gradients, trace and
/// gradient checks. Builds the graph (network, then loss), compiles once per batch and target
/// shape, and caches the plan on the model.
struct NetworkRunner {
  let evaluator: Evaluator

  // MARK: - Inference

  /// The most rows `net(x)` runs through one plan: a larger batch goes in chunks of this many
  /// (inference rows are independent), so a stop is honoured between chunks and the plan's
  /// arena stays the size of a chunk, as `evaluate` does.
  static let inferenceChunk = 1024

  /// `net(x)`: the output for a batch (or one sample, taken as a batch of one).
  func forward(
    _ model: ModelObject, _ input: Value, range: SourceRange
  ) throws(Diagnostic) -> Tensor {
    let x = try batch(model, input, range: range)
    let rows = x.shape[0]
    guard rows > Self.inferenceChunk else { return try forwardChunk(model, x, range: range) }
    var outputs: [Tensor] = []
    var start = 0
    while start < rows {
      if evaluator.stopRequested {
        throw evaluator.stopDiagnostic(at: evaluator.location(range))
      }
      let end = min(start + Self.inferenceChunk, rows)
      let chunk: Tensor
      do throws(TensorError) {
        chunk = try x.slice([.range(start: start, end: end)])
      } catch {
        throw Diagnostic.error(.resourceLimit, error.message, in: evaluator.source, at: range)
      }
      outputs.append(try forwardChunk(model, chunk, range: range))
      start = end
    }
    do throws(TensorError) {
      return try Tensor.concat(outputs, axis: 0)
    } catch {
      throw Diagnostic.error(.resourceLimit, error.message, in: evaluator.source, at: range)
    }
  }

  private func forwardChunk(
    _ model: ModelObject, _ x: Tensor, range: SourceRange
  ) throws(Diagnostic) -> Tensor {
    let entry = try inferencePlan(model, batch: x.shape[0], range: range)
    entry.plan.setInput(0, x)
    entry.plan.run(random: &evaluator.random)
    return entry.plan.output(entry.output)
  }

  /// The compiled inference plan for `batch` rows, made on first use and kept on the model.
  func inferencePlan(
    _ model: ModelObject, batch batchSize: Int, range: SourceRange
  ) throws(Diagnostic) -> (plan: Plan<Float>, output: NodeID) {
    if let cached = model.inferencePlans[batchSize] { return cached }
    var graph = Graph()
    let lowering = try lower(model, batch: batchSize, into: &graph,
                             at: evaluator.location(range))
    let plan = try compile(model, graph, outputs: [lowering.output], gradients: [],
                           parameters: model.network.parameters, training: false,
                           at: evaluator.location(range))
    let entry = (plan, lowering.output)
    model.inferencePlans[batchSize] = entry
    return entry
  }

  // MARK: - Gradients

  /// A compiled loss: the plan, the nodes of interest and the target shape it was built for.
  final class LossPlan<T: PlanScalar> {
    let plan: Plan<T>
    let lowering: Network.Lowering
    let loss: NodeID
    /// ∂L/∂z for each top-level layer (trace plans only).
    let layerGradients: [NodeID]

    init(plan: Plan<T>, lowering: Network.Lowering, loss: NodeID, layerGradients: [NodeID]) {
      self.plan = plan
      self.lowering = lowering
      self.loss = loss
      self.layerGradients = layerGradients
    }
  }

  /// Runs forward and backward over one batch; the plan's gradient buffer then holds ∂L/∂θ in
  /// the parameter store's layout. With `checkNumerics`, a non-finite value anywhere in either
  /// pass is an error naming the op and layer that produced it.
  func gradients(
    _ model: ModelObject, x xValue: Value, y yValue: Value, loss: LossObject,
    checkNumerics: Bool, call: CallContext
  ) throws(Diagnostic) -> LossPlan<Float> {
    let x = try batch(model, xValue, range: call.bound["x"]?.range ?? call.callRange)
    let y = try target(model, yValue, rows: x.shape[0], loss: loss, call: call)
    let key = loss.cacheKey.map { "\(x.shape[0])|\(y.shape)|\($0)" }
    let compiled: LossPlan<Float>
    if let key, let cached = model.lossPlans[key] {
      compiled = cached
    } else {
      compiled = try lossPlan(model, batch: x.shape[0], target: y.shape, loss: loss,
                              parameters: model.network.parameters, training: true,
                              traceLayers: false, call: call)
      if let key { model.lossPlans[key] = compiled }
    }
    compiled.plan.setInput(0, x)
    compiled.plan.setInput(1, y)
    // A training plan moves batchnorm's running statistics; a gradient is no training step.
    let buffers = model.network.savedBuffers()
    defer { model.network.restoreBuffers(buffers) }
    if let fault = compiled.plan.run(random: &evaluator.random, checkingNumerics: checkNumerics) {
      throw numericFault(fault, model, compiled.lowering, call: call)
    }
    return compiled
  }

  // MARK: - check_numerics

  /// The error for the first non-finite value of a checked run (`grad`, `trace`, `gradcheck`):
  /// `check_numerics: dense2 (linear+bias) produced inf in the forward pass for x[3]`, with a
  /// note at the layer's declaration.
  func numericFault(
    _ fault: NumericFault, _ model: ModelObject, _ lowering: Network.Lowering,
    call: CallContext
  ) -> Diagnostic {
    let what = fault.describe(network: model.network, lowering: lowering, rows: true)
    var diagnostic = call.error(.numericError, "check_numerics: " + what,
                                hint: "check_numerics: false returns the values as they are")
    if let note = Self.layerNote(model, name: fault.layerName(in: model.network),
                                 tag: fault.layerTag) {
      diagnostic.notes.append(note)
    }
    return diagnostic
  }

  /// `dense2 is declared here`, at the layer's source.
  static func layerNote(_ model: ModelObject, name: String?, tag: Int?) -> DiagnosticNote? {
    guard let name, let tag = tag ?? model.network.layerTag(name: name), tag >= 0,
      tag < model.tagLocations.count
    else { return nil }
    return DiagnosticNote("\(name) is declared here", at: model.tagLocations[tag])
  }

  /// Builds and compiles network + loss for a batch and target shape.
  func lossPlan<T: PlanScalar>(
    _ model: ModelObject, batch: Int, target: [Int], loss: LossObject,
    parameters: ParameterStore<T>, training: Bool, traceLayers: Bool, call: CallContext
  ) throws(Diagnostic) -> LossPlan<T> {
    var graph = Graph()
    let lowering = try lower(model, batch: batch, into: &graph,
                             at: SourceSpan(source: call.source, range: call.callRange))
    let targetNode = graph.input(1, shape: target)
    let lossNode = try lossNode(loss, prediction: lowering.output, target: targetNode,
                                graph: &graph, call: call)
    let layerTargets = traceLayers ? lowering.layerNodes.map(\.z) : []
    let gradientNodes: [NodeID]
    do {
      gradientNodes = try graph.differentiate(
        lossNode, withRespectTo: lowering.parameterNodes + layerTargets)
    } catch {
      throw call.error(.shapeMismatch, error.message)
    }
    let parameterGradients = Array(gradientNodes.prefix(lowering.parameterNodes.count))
    let layerGradients = Array(gradientNodes.dropFirst(lowering.parameterNodes.count))
    var outputs = [lossNode] + layerGradients
    if traceLayers {
      outputs += [lowering.output]
        + lowering.layerNodes.flatMap { [$0.z, $0.a] + $0.shown.map(\.node) }
    }
    let plan = try compile(model, graph, outputs: outputs, gradients: parameterGradients,
                           parameters: parameters, training: training,
                           at: SourceSpan(source: call.source, range: call.callRange))
    return LossPlan(plan: plan, lowering: lowering, loss: lossNode,
                    layerGradients: layerGradients)
  }

  /// The loss node: a built-in loss op, or a script function traced into the graph.
  private func lossNode(
    _ loss: LossObject, prediction: NodeID, target: NodeID, graph: inout Graph,
    call: CallContext
  ) throws(Diagnostic) -> NodeID {
    switch loss.kind {
    case .builtin(let kind):
      do {
        return try graph.add(.loss(kind), [prediction, target])
      } catch {
        throw call.error(.shapeMismatch, "loss \(kind.name): \(error.message)", at: "loss")
      }
    case .custom(let function):
      let tracer = Tracer()
      tracer.graph = graph
      let arguments = [prediction, target].map { node in
        ArgumentValue(label: nil, labelRange: nil,
                      value: .object(SymbolicTensor(tracer: tracer, node: node)),
                      range: call.bound["loss"]?.range ?? call.callRange)
      }
      let result: Value
      do {
        result = try evaluator.callFunction(function, arguments, callRange: call.callRange)
      } catch {
        throw Self.diagnostic(error, call: call)
      }
      guard let traced = result.symbolic, traced.tracer === tracer, traced.shape.isEmpty else {
        let returned = result.symbolic.map {
          "a tensor of shape " + shapeText($0.shape)
        } ?? "a \(result.typeName)"
        throw call.error(.typeMismatch,
                         "the loss function \(function.name) must return one number computed "
                           + "from its arguments, but it returned \(returned)",
                         at: "loss", hint: "reduce with mean(…) or sum(…)")
      }
      graph = tracer.graph
      return traced.node
    }
  }

  static func diagnostic(_ unwind: Unwind, call: CallContext) -> Diagnostic {
    switch unwind {
    case .failure(let diagnostic): return diagnostic
    default:
      return call.error(.invalidControlFlow, "`break` and `continue` must be inside a loop")
    }
  }

  // MARK: - Shapes of inputs and targets

  /// The input as a batch: `[batch] + inputShape`, or one sample made a batch of one.
  func batch(
    _ model: ModelObject, _ value: Value, range: SourceRange
  ) throws(Diagnostic) -> Tensor {
    let source = evaluator.source
    if value.symbolic != nil {
      throw Diagnostic.error(.invalidOperation,
                             "a model cannot be called inside a traced function; use "
                               + "grad(net, x, y, loss:) for a model's gradients",
                             in: source, at: range)
    }
    guard let x = value.asTensor else {
      throw Diagnostic.error(.typeMismatch,
                             "\(model.name) takes a tensor, not a \(value.typeName)",
                             in: source, at: range)
    }
    let sample = model.network.inputShape
    if let bad = model.network.invalidToken(in: x) {
      throw Self.invalidToken(bad, in: source, at: range)
    }
    if x.shape == sample {
      return Self.reshaped(x, [1] + sample)
    }
    guard x.rank == sample.count + 1, Array(x.shape.dropFirst()) == sample, x.shape[0] > 0 else {
      let expected = "[batch, " + sample.map(String.init).joined(separator: ", ") + "]"
      throw Diagnostic.error(
        .shapeMismatch,
        "\(model.name) expects a batch of shape \(expected) (or one sample "
          + "\(shapeText(sample))), but the input has shape "
          + shapeText(x.shape),
        in: source, at: range)
    }
    return x
  }

  /// A token id the model's embedding cannot look up, as a diagnostic naming the layer.
  static func invalidToken(
    _ bad: Network.InvalidToken, in source: Source, at range: SourceRange
  ) -> Diagnostic {
    Diagnostic.error(
      .invalidArgument,
      "\(bad.layer): token id \(formatNumber(Double(bad.id))) (element \(bad.position) of the "
        + "input) is not a whole number in [0, \(bad.vocab)), the layer's vocabulary",
      in: source, at: range)
  }

  /// The target in the shape the loss needs for `rows` samples: a built-in loss's own target
  /// rule (`LossKind.checkedTarget`) decides, after one sample's target may drop its row axis
  /// and one output's targets may be a plain list.
  func target(
    _ model: ModelObject, _ value: Value, rows: Int, loss: LossObject, call: CallContext
  ) throws(Diagnostic) -> Tensor {
    guard var y = value.asTensor, value.symbolic == nil else {
      throw call.error(.typeMismatch, "the target must be a tensor, not a \(value.typeName)",
                       at: "y")
    }
    try TrainingSession.checkPredictions(model, loss: loss, context: call)
    let output = model.network.outputShape
    let prediction = [rows] + output
    var classes = false
    if case .builtin(let kind) = loss.kind { classes = kind.targetKind == .classes }
    // One sample's class indices: a number, or one per position ([T] for outputs [T, C]).
    let sampleIndices = Array(output.dropLast())
    if rows == 1, y.shape == output || (classes && y.shape == sampleIndices) {
      y = Self.reshaped(y, [1] + y.shape)
    } else if output == [1], y.shape == [rows], !classes {
      y = Self.reshaped(y, [rows, 1])
    }
    if let first = y.shape.first, first != rows,
      y.rank == output.count + 1 || (classes && y.rank == output.count)
    {
      throw call.error(.shapeMismatch,
                       "the input has \(Evaluator.count(rows, "row")) but the target has "
                         + "\(first)", at: "y")
    }
    guard case .builtin(let kind) = loss.kind else {
      if y.shape == prediction { return y }
      throw call.error(
        .shapeMismatch,
        "\(model.name) gives outputs of shape \(shapeText(prediction)) but the "
          + "target has shape \(shapeText(y.shape))", at: "y")
    }
    do throws(LossTargetError) {
      return try kind.checkedTarget(y, prediction: prediction, model: model.name)
    } catch {
      throw call.error(error.row == nil ? .shapeMismatch : .dataError, error.message, at: "y",
                       hint: error.hint)
    }
  }

  static func reshaped(_ tensor: Tensor, _ shape: [Int]) -> Tensor {
    (try? tensor.reshaped(shape)) ?? tensor
  }

  // MARK: - Compiling

  private func lower(
    _ model: ModelObject, batch: Int, into graph: inout Graph, at call: SourceSpan
  ) throws(Diagnostic) -> Network.Lowering {
    let perSample = model.network.layers.reduce(model.network.inputShape.reduce(1, *)) {
      $0 + $1.outputShape.reduce(1, *)
    }
    let (total, overflow) = perSample.multipliedReportingOverflow(by: batch)
    guard !overflow, total <= Limits.maxActivationElements else {
      throw Diagnostic(code: .resourceLimit,
                       message: "a batch of \(batch) through \(model.name) needs more than "
                         + "\(Limits.maxActivationElements) values of working memory; use "
                         + "smaller batches", at: call)
    }
    do {
      return try model.network.lower(into: &graph, batch: batch)
    } catch {
      throw diagnostic(model, error)
    }
  }

  private func compile<T: PlanScalar>(
    _ model: ModelObject, _ graph: Graph, outputs: [NodeID], gradients: [NodeID?],
    parameters: ParameterStore<T>, training: Bool, at call: SourceSpan
  ) throws(Diagnostic) -> Plan<T> {
    do {
      return try Plan(graph: graph, outputs: outputs, gradients: gradients,
                      parameters: parameters, training: training)
    } catch {
      // A refusal of the memory limit belongs to the call that sized the batch.
      if error.isResourceLimit {
        throw Diagnostic(code: .resourceLimit, message: error.message, at: call)
      }
      throw diagnostic(model, error)
    }
  }

  /// A graph error at the layer whose tag it carries.
  func diagnostic(_ model: ModelObject, _ error: GraphError) -> Diagnostic {
    let location = error.tag.flatMap {
      $0 < model.tagLocations.count ? model.tagLocations[$0] : nil
    }
    return Diagnostic(code: .shapeMismatch, message: error.message, at: location)
  }
}

