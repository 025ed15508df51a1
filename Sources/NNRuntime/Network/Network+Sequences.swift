// Token ids are data, not shapes: a batch for a network that starts with an embedding is checked
// against the vocabulary before it runs, so a bad id is a diagnostic naming the layer.

extension Network {
  /// A token id an embedding layer cannot look up.
  public struct InvalidToken: Sendable {
    /// The embedding layer's name.
    public var layer: String
    /// The offending value.
    public var id: Float
    /// The layer's vocabulary size.
    public var vocab: Int
    /// The position of the value in the batch (row-major).
    public var position: Int
  }

  /// The first value of `input` (a batch for this network) that is not a whole number in
  /// [0, vocab) of the network's first layer, when that layer is an embedding.
  public func invalidToken(in input: Tensor) -> InvalidToken? {
    guard let first = layers.first, let embedding = first.declaration as? Embedding else {
      return nil
    }
    let vocab = embedding.vocab
    return input.withUnsafeBufferPointer { values -> InvalidToken? in
      for i in 0..<values.count {
        let v = values[i]
        if !(v >= 0 && v < Float(vocab) && v.rounded(.down) == v) {
          return InvalidToken(layer: first.name, id: v, vocab: vocab, position: i)
        }
      }
      return nil
    }
  }
}
