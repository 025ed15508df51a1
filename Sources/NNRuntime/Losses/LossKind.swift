/// A loss function reducing a prediction and a target to a 0-d value.
public enum LossKind: Hashable, Sendable {
  /// Mean over all elements of (p − y)² (PyTorch MSELoss).
  case mse
  /// ½ · Σ (p − y)² over all elements, with no batch averaging.
  case sse
  /// Mean of |p − y|.
  case mae
  /// PyTorch HuberLoss(delta), mean.
  case huber(delta: Double)
  /// Prediction: logits [B, C]; target: [B] class indices (as floats) or [B, C] probabilities;
  /// mean over the batch, log-sum-exp stable (PyTorch CrossEntropyLoss).
  case crossEntropy
  /// Prediction: probabilities (each log clamped at −100, as PyTorch BCELoss); target of the same
  /// shape; mean.
  case bce

  /// The name a script uses for it.
  public var name: String {
    switch self {
    case .mse: "mse"
    case .sse: "sse"
    case .mae: "mae"
    case .huber: "huber"
    case .crossEntropy: "cross_entropy"
    case .bce: "bce"
    }
  }
}
