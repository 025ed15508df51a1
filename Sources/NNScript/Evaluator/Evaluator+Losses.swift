import NNRuntime
import NNSyntax

extension Evaluator {
  /// `l(pred, y)` of a loss value (`let l = huber(delta: 0.7)`): the loss as it was configured,
  /// computed by the loss built-in's own code (`huber(pred, y, delta: 0.7)`), so its target
  /// rules and tracing inside `grad` are the same; a function used as a loss is called.
  func callLoss(
    _ loss: LossObject, _ arguments: [ArgumentValue], callRange: SourceRange
  ) throws(Unwind) -> Value {
    switch loss.kind {
    case .custom(let function):
      return try callFunction(function, arguments, callRange: callRange)
    case .builtin(let kind):
      guard let builtin = Builtins.byName[kind.name] else {
        throw failure(.internalError, "the loss \(kind.name) has no built-in", at: callRange)
      }
      if let setting = arguments.first(where: { $0.label != nil && $0.label != "pred"
        && $0.label != "y" }) {
        throw failure(.invalidArgument,
                      "this loss was configured when it was made (\(loss.displayText)); a "
                        + "loss value takes only pred and y",
                      at: setting.labelRange ?? setting.range,
                      hint: "make another: \(kind.name)(pred, y, \(setting.label ?? ""): …)")
      }
      guard arguments.count == 2 else {
        throw failure(.invalidArgument,
                      "a loss takes a prediction and a target: \(kind.name)(pred, y)",
                      at: callRange)
      }
      return try callBuiltin(builtin, arguments, callRange: callRange) {
        (context) throws(Diagnostic) in try context.computeLoss(kind)
      }
    }
  }
}
