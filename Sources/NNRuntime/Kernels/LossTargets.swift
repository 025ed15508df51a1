// What each loss compares its prediction with, and how it reduces over rows: declared once, in
// each loss's declaration (Losses/<Name>.swift), so every caller (the loss function, training,
// evaluation, gradients, traces, data-parallel steps) takes the same targets and weighs
// batches the same way.

/// The targets a loss takes.
public enum LossTargetKind: Sendable, Equatable {
  /// Class indices, one whole number per row (`[n]` or `[n, 1]`), or probability rows of the
  /// prediction's shape (cross-entropy); for per-position logits `[n, T, C]`, one index per
  /// position (`[n, T]` or `[n, T, 1]`) or a probability row per position (`[n, T, C]`).
  case classes
  /// Probabilities in [0, 1], of the prediction's shape (bce).
  case probabilities
  /// Values of the prediction's shape (mse, sse, mae, huber).
  case values
}

/// How a loss combines its rows: what a mini-batch's or a rank's share of a step weighs.
public enum LossReduction: Sendable, Equatable {
  /// A mean over rows: each share counts by its fraction of the step's rows.
  case mean
  /// A sum over rows (sse, or a script's own sum): shares add up.
  case sum
}

/// A target a loss cannot take, and why.
public struct LossTargetError: Error, Sendable, Equatable {
  /// What is wrong, naming the row and value or the two shapes.
  public var message: String
  /// The first row whose value is wrong; nil when the shape is.
  public var row: Int?
  /// What to do about it, when the message alone does not say.
  public var hint: String?

  /// An error with its message.
  public init(_ message: String, row: Int? = nil, hint: String? = nil) {
    self.message = message
    self.row = row
    self.hint = hint
  }
}

extension LossKind {
  /// The targets this loss takes, as its declaration says.
  public var targetKind: LossTargetKind { declaration.targetKind }

  /// How this loss reduces over rows, as its declaration says.
  public var reduction: LossReduction { declaration.reduction }

  /// Why `network`'s outputs cannot be this loss's predictions, or nil when they can: a loss
  /// that reads probabilities (bce) needs a model ending in sigmoid (or softmax), or its log
  /// of a value outside [0, 1] is NaN at the first step. `model` names the network.
  public func predictionProblem(_ network: Network, model: String) -> LossTargetError? {
    guard declaration.readsProbabilities, let last = network.layers.last else { return nil }
    var probe = Graph()
    guard let lowering = try? network.lower(into: &probe, batch: 1) else { return nil }
    if case .activations(.activation(let activation)) = probe[lowering.output].op,
      activation.outputsProbabilities
    {
      return nil
    }
    let width = network.outputShape.last ?? 1
    return LossTargetError(
      "\(name) takes probabilities, but \(model) ends in \(last.summary), whose outputs are not "
        + "probabilities in [0, 1]",
      hint: "end the model with sigmoid, e.g. dense(\(width), sigmoid)")
  }

  /// Why `prediction` cannot be this loss's prediction, or nil: a loss that reads
  /// probabilities (bce) refuses a value outside [0, 1], as PyTorch's BCELoss does, where its
  /// log would be NaN. For a tensor given directly (`bce(p, y)`); a model is checked by its
  /// final activation instead (`predictionProblem`).
  public func predictionProblem(_ prediction: Tensor) -> LossTargetError? {
    guard declaration.readsProbabilities else { return nil }
    let width = max(1, prediction.shape.dropFirst().reduce(1, *))
    for (position, value) in prediction.scalars.enumerated() where !(value >= 0 && value <= 1) {
      return LossTargetError(
        "row \(position / width) of the prediction holds \(Self.describe(value)), but \(name) "
          + "takes probabilities in [0, 1]", row: position / width,
        hint: "apply sigmoid to logits first: \(name)(sigmoid(z), y)")
    }
    return nil
  }

  /// The shape the loss op reads for a target of shape `target` against a prediction of shape
  /// `prediction`, and whether it holds class indices: cross-entropy's `[n, 1]` indices become
  /// `[n]`. `model` names the model whose outputs the prediction is, for the messages.
  public func targetShape(
    _ target: [Int], prediction: [Int], model: String? = nil
  ) throws(LossTargetError) -> (shape: [Int], classIndices: Bool) {
    let outputs = model.map { "\($0) gives outputs of shape" } ?? "the prediction has shape"

    switch targetKind {
    case .classes:
      // Logits [n, C], or per-position logits [n, T, C] of a sequence model: each position
      // a row of its own, the loss their mean (PyTorch's cross_entropy of logits reshaped to
      // [n·T, C] and targets to [n·T]).
      guard !prediction.isEmpty, prediction.count <= 3 else {
        throw LossTargetError("\(name) reads logits of shape [n, C] or [n, T, C], but "
                              + "\(outputs) \(shapeText(prediction))")
      }
      let indices = Array(prediction.dropLast())
      // With one class, [n, 1] is the prediction's shape: probabilities, as PyTorch reads it.
      if target == prediction { return (target, false) }
      if target == indices || target == indices + [1] { return (indices, true) }
      let indexShapes = indices.isEmpty
        ? "one number" : "\(shapeText(indices)) or \(shapeText(indices + [1]))"
      // One class per sequence against logits per position: the model's end is at fault.
      let perSequence = prediction.count == 3
        && (target == [prediction[0]] || target == [prediction[0], 1])
      throw LossTargetError(
        "\(outputs) \(shapeText(prediction)), so the target "
          + "must be class indices (\(indexShapes)) or probability rows "
          + "(\(shapeText(prediction))), not shape \(shapeText(target))",
        hint: perSequence
          ? "these are logits for each of \(prediction[1]) positions; for one class per "
            + "sequence, end the model with lstm(units) without return_sequences, or flatten() "
            + "before the dense" : nil)
    case .probabilities, .values:
      // One value per row given as `[n]` against a one-output model's `[n, 1]`: the same
      // numbers, read as training reads a dataset's targets (Keras does too; PyTorch's MSELoss
      // would broadcast to [n, n] and silently compute something else). Likewise one value
      // per position, `[n, T]`, against a sequence model's `[n, T, 1]`.
      if (2...3).contains(prediction.count), prediction.last == 1,
        target == Array(prediction.dropLast())
      {
        return (prediction, false)
      }
      guard target == prediction else {
        throw LossTargetError("\(outputs) \(shapeText(prediction)) but the target has "
                              + "shape \(shapeText(target))")
      }
      return (target, false)
    }
  }

  /// `target` as the loss op reads it against a prediction of shape `prediction`: its shape
  /// checked and normalised (see `targetShape`), class indices checked to be whole numbers
  /// below the number of classes, bce's targets checked to lie in [0, 1].
  public func checkedTarget(
    _ target: Tensor, prediction: [Int], model: String? = nil
  ) throws(LossTargetError) -> Tensor {
    let (shape, classIndices) = try targetShape(target.shape, prediction: prediction,
                                                model: model)
    let predictionName = model ?? "the prediction"
    let scalars = target.scalars
    if classIndices, let classes = prediction.last {
      // Per-position indices [n, T]: an error names the row and the position within it.
      let positions = shape.count >= 2 ? shape[1] : 1
      for (index, label) in scalars.enumerated() {
        guard label.isFinite, label.rounded() == label, label >= 0, label < Float(classes) else {
          let row = index / positions
          let place = shape.count >= 2
            ? "row \(row), position \(index % positions)" : "row \(row)"
          let count = "\(classes) \(classes == 1 ? "class" : "classes")"
          let message = label.isFinite && label.rounded() != label
            ? "\(place) of the target is \(Self.describe(label)), but a class index is a "
              + "whole number (\(predictionName) has \(count), indices 0 to \(classes - 1))"
            : "\(place) of the target is \(Self.describe(label)), but \(predictionName) has "
              + "\(count) (indices 0 to \(classes - 1))"
          throw LossTargetError(message, row: row)
        }
      }
    } else if targetKind == .probabilities {
      let width = max(1, prediction.dropFirst().reduce(1, *))
      for (position, value) in scalars.enumerated() where !(value >= 0 && value <= 1) {
        throw LossTargetError(
          "row \(position / width) of the target holds \(Self.describe(value)), but \(name)'s "
            + "targets are probabilities in [0, 1]", row: position / width)
      }
    }
    return shape == target.shape ? target : Tensor(shape: shape, storage: target.storage)
  }

  /// A target value as a script writes it: whole numbers without a fraction.
  private static func describe(_ value: Float) -> String {
    formatNumber(value)
  }
}
