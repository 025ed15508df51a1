// `watch: [gradients]`: each layer's gradient norm, averaged over an epoch's steps, and its
// weight norm at the epoch's end. Vanishing gradients show as norms falling by orders of
// magnitude from the last layer to the first; exploding ones as norms growing epoch by epoch.
// The watch reads the gradient backprop produced, before l2 and clipping change it, as
// TensorBoard's histograms of `.grad` do. A step adds one read of the gradient and allocates
// nothing.

/// One layer's norms per completed epoch.
public struct LayerNorms: Sendable, Equatable {
  /// The top-level layer's name (`dense1`); a block's inner parameters count towards it.
  public var layer: String
  /// The L2 norm of the layer's gradient, the mean over the epoch's steps.
  public var gradient: [Double]
  /// The L2 norm of the layer's trained parameters after the epoch.
  public var weight: [Double]
}

/// Collects `LayerNorms` for every top-level layer that has trained parameters.
final class LayerNormWatch {
  private let ranges: [[Range<Int>]]
  private(set) var norms: [LayerNorms]
  private var stepSums: [Double]
  private var steps = 0

  init(_ network: Network, epochs: Int) {
    let layers = network.trainedRanges
    ranges = layers.map(\.ranges)
    let room = min(epochs, 1 << 16)
    norms = layers.map { layer in
      var norms = LayerNorms(layer: layer.name, gradient: [], weight: [])
      norms.gradient.reserveCapacity(room)
      norms.weight.reserveCapacity(room)
      return norms
    }
    stepSums = Array(repeating: 0, count: layers.count)
  }

  /// Adds one step's gradient.
  func observe(_ gradients: UnsafeBufferPointer<Float>) {
    for (layer, parts) in ranges.enumerated() {
      stepSums[layer] += l2Norm(parts, gradients.baseAddress!)
    }
    steps += 1
  }

  /// Closes an epoch: the mean gradient norm of its steps and the weights' norm now.
  func finishEpoch(parameters: UnsafePointer<Float>) {
    for layer in ranges.indices {
      norms[layer].gradient.append(steps > 0 ? stepSums[layer] / Double(steps) : .nan)
      norms[layer].weight.append(l2Norm(ranges[layer], parameters))
      stepSums[layer] = 0
    }
    steps = 0
  }
}

extension Network {
  /// Each top-level layer that has trained parameters, with the store's element ranges of
  /// them (a block's inner layers' included; running statistics not).
  public var trainedRanges: [(name: String, ranges: [Range<Int>])] {
    let store = parameters
    func trained(_ layer: Layer) -> [Range<Int>] {
      layer.parameters.filter { $0.role != .buffer }.map {
        store.offsets[$0.index]..<(store.offsets[$0.index] + store.count(of: $0.index))
      } + layer.body.flatMap(trained)
    }
    return layers.map { ($0.name, trained($0)) }.filter { !$0.1.isEmpty }
  }

  /// The L2 norm of each layer's part of `values`, a buffer laid out as the parameter store
  /// (a gradient, or the parameters themselves), in `trainedRanges` order.
  public func layerNorms(_ values: UnsafePointer<Float>) -> [(layer: String, norm: Double)] {
    trainedRanges.map { ($0.name, l2Norm($0.ranges, values)) }
  }
}

/// √Σ x² over the parts of `base`.
private func l2Norm(_ parts: [Range<Int>], _ base: UnsafePointer<Float>) -> Double {
  var squares = 0.0
  for part in parts {
    squares += sumOfSquares(UnsafeBufferPointer(start: base + part.lowerBound, count: part.count))
  }
  return squares.squareRoot()
}
