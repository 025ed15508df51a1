import NNRuntime
import NNSyntax

/// A model a script declared, seen from Swift: its layers, its parameters as named tensors
/// (read and written in place: the script sees the change), and `predict`, `evaluate` and
/// `save`, which run through the same built-ins a script calls. It is the same object the
/// language sees, so a host can train in a script and serve from Swift without building
/// source text.
///
/// A handle keeps its interpreter alive; like the interpreter, use it from one thread at a
/// time.
public final class ModelHandle {
  /// One declared layer.
  public struct Layer: Sendable, Equatable {
    /// Its name in the model (`dense1`, `conv2`).
    public var name: String
    /// How it was declared (`dense(8, tanh)`).
    public var kind: String
    /// The shape of one sample's output.
    public var outputShape: [Int]
    /// Its parameters, by full name (`dense1.weight`), and their shapes.
    public var parameters: [(name: String, shape: [Int])]
    /// The layers inside it, for a block (`residual { … }`).
    public var body: [Layer]

    public static func == (a: Layer, b: Layer) -> Bool {
      a.name == b.name && a.kind == b.kind && a.outputShape == b.outputShape
        && a.parameters.map(\.name) == b.parameters.map(\.name)
        && a.parameters.map(\.shape) == b.parameters.map(\.shape) && a.body == b.body
    }
  }

  let interpreter: Interpreter
  let object: ModelObject

  init(interpreter: Interpreter, object: ModelObject) {
    self.interpreter = interpreter
    self.object = object
  }

  /// The model's name (`net`).
  public var name: String { object.name }
  /// The shape of one input sample (`[2]`, `[1, 28, 28]`).
  public var inputShape: [Int] { object.network.inputShape }
  /// The shape of one output sample.
  public var outputShape: [Int] { object.network.outputShape }
  /// Scalars in all parameters.
  public var parameterCount: Int { object.network.parameterCount }

  /// The declared layers, in order.
  public var layers: [Layer] {
    let network = object.network
    func describe(_ layer: NNRuntime.Layer) -> Layer {
      Layer(name: layer.name, kind: layer.summary, outputShape: layer.outputShape,
            parameters: layer.parameters.map {
              (network.parameterNames[$0.index], network.parameters.shapes[$0.index])
            },
            body: layer.body.map(describe))
    }
    return network.layers.map(describe)
  }

  /// Every parameter's full name (`dense1.weight`, `dense1.bias`, …), in storage order.
  public var parameterNames: [String] { object.network.parameterNames }

  /// A copy of the parameter `name` (`"dense1.weight"`), or nil when the model has none of
  /// that name.
  public func parameter(_ name: String) -> Tensor? {
    let network = object.network
    return network.parameterNames.firstIndex(of: name).map { network.parameters.tensor($0) }
  }

  /// Every parameter by full name, in storage order.
  public var parameters: [(name: String, value: Tensor)] {
    let network = object.network
    return network.parameterNames.indices.map {
      (network.parameterNames[$0], network.parameters.tensor($0))
    }
  }

  /// Replaces the parameter `name` in place, as `net.dense1.weight = w` does in a script.
  ///
  /// - Throws: a diagnostic when the model has no such parameter or the shape differs.
  public func setParameter(_ name: String, _ value: Tensor) throws(ScriptError) {
    let network = object.network
    guard let index = network.parameterNames.firstIndex(of: name) else {
      let hint = Suggestions.nearest(to: name, in: network.parameterNames)
        .map { "did you mean \($0)?" }
      throw ScriptError([Diagnostic(code: .invalidArgument,
                                    message: "\(self.name) has no parameter named '\(name)'",
                                    hint: hint)])
    }
    let expected = network.parameters.shapes[index]
    guard value.shape == expected else {
      throw ScriptError([Diagnostic(
        code: .shapeMismatch,
        message: "\(self.name).\(name) has shape \(shapeText(expected)); the new value has "
          + "shape \(shapeText(value.shape))")])
    }
    network.parameters.assign(index, value)
  }

  /// The model's output for a batch of inputs (`[n] + inputShape`, or one sample of
  /// `inputShape`), as `net(x)` in a script: the same plan, checks and limits.
  public func predict(_ inputs: Tensor) throws(ScriptError) -> Tensor {
    guard case .tensor(let output) = try interpreter.call(.object(object), [.tensor(inputs)])
    else {
      throw ScriptError([Diagnostic(code: .typeMismatch,
                                    message: "\(name) did not return a tensor")])
    }
    return output
  }

  /// The loss and metrics over a dataset value, as `evaluate(net, data)`: `loss`, and for
  /// classification `accuracy`, `precision`, `recall`, `f1` (and `auc` for two classes).
  public func evaluate(_ data: Value, loss: Value? = nil) throws(ScriptError) -> [String: Double] {
    let record = try interpreter.callBuiltin(
      "evaluate", [.object(object), data], named: loss.map { [("loss", $0)] } ?? [])
    var figures: [String: Double] = [:]
    for (name, value) in record.record ?? [] {
      if let number = value.number { figures[name] = number }
    }
    return figures
  }

  /// Writes the model to `path` (safetensors or ONNX, by the extension), as `save(net, path)`:
  /// relative to the interpreter's working directory, under its file-access policy.
  public func save(to path: String) throws(ScriptError) {
    _ = try interpreter.callBuiltin("save", [.object(object), .string(path)])
  }

  /// The model as a value, to hand to `call` or `define`.
  public var value: Value { .object(object) }
}

extension Interpreter {
  /// The model bound to `name` at the top level, or nil when `name` is unbound or not a
  /// model.
  public func model(named name: String) -> ModelHandle? {
    guard case .object(let model as ModelObject)? = value(named: name) else { return nil }
    return ModelHandle(interpreter: self, object: model)
  }
}
