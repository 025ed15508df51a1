/// Why a network cannot be written as ONNX, or why an ONNX file cannot become a network: a
/// clause the host puts after "cannot save 'm.onnx': " or "cannot load 'm.onnx': ".
public struct ONNXError: Error, Sendable {
  /// What kind of failure.
  public enum Kind: Sendable {
    /// The bytes are not a readable ONNX model (truncated, not protobuf, inconsistent).
    case malformed
    /// A tensor or the model is larger than nn holds.
    case tooLarge
    /// A layer or option nn cannot write as ONNX, or a graph node nn has no layer for.
    case unsupported
  }

  /// What kind of failure.
  public var kind: Kind
  /// The clause, naming the layer or node at fault.
  public var message: String
  /// What would work instead, when there is something.
  public var hint: String?

  /// Makes an error.
  public init(_ kind: Kind, _ message: String, hint: String? = nil) {
    self.kind = kind
    self.message = message
    self.hint = hint
  }
}
