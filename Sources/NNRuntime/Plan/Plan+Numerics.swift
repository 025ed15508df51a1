// check_numerics: a second way to run a plan that scans every kernel's result after it runs and
// reports the first non-finite value — which op made it, on which layer, in which pass. The
// ordinary `run(random:)` is untouched, so training without the check costs nothing more.

/// Where a plan run first produced a value that is not finite (inf, −inf or NaN).
public struct NumericFault: Sendable, Equatable {
  /// What held the value.
  public enum Site: Sendable, Equatable {
    /// Input `index` of the plan already held it before any kernel ran.
    case input(Int)
    /// Parameter `index` of the store already held it before any kernel ran.
    case parameter(Int)
    /// Kernel `index` (its number in the plan listing) produced it.
    case kernel(Int)
  }

  /// The input, parameter or kernel at fault.
  public var site: Site
  /// The node whose value holds the non-finite element (a fused kernel's last node).
  public var node: NodeID
  /// The kernel's name as plan listings show it (`linear+bias+sigmoid`, `relu_grad`); empty
  /// for inputs and parameters.
  public var kernel: String
  /// The first non-finite element: inf, −inf or NaN.
  public var value: Double
  /// Its flat index in the node's value.
  public var element: Int
  /// The node's shape.
  public var shape: [Int]
  /// Whether the kernel belongs to the backward pass (it computes a gradient).
  public var backward: Bool
  /// The node's source tag: the layer it was lowered from; nil for the loss and for nodes a
  /// traced function added.
  public var tag: Int?
  /// For a backward node: the forward node whose gradient it holds, when it holds one whole.
  public var gradientOf: NodeID?
  /// When `gradientOf` is a parameter: its index in the store.
  public var gradientOfParameter: Int?
  /// When `gradientOf` is set: that node's source tag.
  public var gradientOfTag: Int?
  /// When `gradientOf` is set: its op's name (`linear`, `relu`, `cross_entropy`).
  public var gradientOfOp: String?
  /// The batch row of the element, for values laid out by batch rows (inputs, activations and
  /// their gradients); nil for parameters, their gradients and scalars.
  public var row: Int?

  /// `inf`, `-inf` or `nan`.
  public var valueText: String { formatNumber(value) }
}

extension Plan {
  /// Runs the plan as `run(random:)` does, but scans each input and parameter first and every
  /// kernel's result as it is produced; returns the first non-finite value found, or nil. The
  /// whole plan runs either way, so outputs and gradients are those of an ordinary run.
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  public func run(random: inout RandomGenerator, checkingNumerics: Bool) -> NumericFault? {
    guard checkingNumerics else {
      run(random: &random)
      return nil
    }
    var fault = firstNonFiniteInputOrParameter()
    for (index, kernel) in kernels.enumerated() {
      kernel.run(&random)
      if fault == nil { fault = checkStep(index) }
    }
    return fault
  }

  /// The rows of a batch: the first extent of input 0 (nil when the plan has no input 0).
  private var batchRows: Int? { inputShapes[0]?.first }

  private func firstNonFiniteInputOrParameter() -> NumericFault? {
    for index in inputShapes.keys.sorted() {
      let count = inputCount(index)
      for slot in inputPointers(index) {
        guard let element = Self.firstNonFinite(slot, count) else { continue }
        let node = graph.nodes.indices.first {
          if case .source(.input(index)) = graph.nodes[$0].op { return true }
          return false
        }.map { NodeID(index: $0) } ?? NodeID(index: 0)
        return fault(.input(index), node: node, kernel: "", pointer: slot, element: element)
      }
    }
    for (index, node) in graph.nodes.enumerated() {
      guard case .source(.parameter(let parameter)) = node.op else { continue }
      let pointer = parameters.pointer + parameters.offsets[parameter]
      guard let element = Self.firstNonFinite(pointer, parameters.count(of: parameter)) else {
        continue
      }
      return fault(.parameter(parameter), node: NodeID(index: index), kernel: "",
                   pointer: pointer, element: element)
    }
    return nil
  }

  /// Scans the result of step `index`, which has just run.
  private func checkStep(_ index: Int) -> NumericFault? {
    let step = schedule.steps[index]
    let node: NodeID
    let pointer: UnsafeMutablePointer<T>
    let count: Int
    switch step {
    case .node(let single):
      // A mask of −∞ before a softmax is meant; the softmax after it is checked.
      if case .selection(.maskedFill(let value)) = graph[single].op, !value.isFinite {
        return nil
      }
      node = single
      pointer = self.pointer(single)
      count = graph.shape(of: single).reduce(1, *)
    case .dense(let linear, let bias, let activation):
      node = activation ?? bias ?? linear
      pointer = self.pointer(node)
      count = graph.shape(of: node).reduce(1, *)
    case .convolution(_, let activation):
      node = activation
      pointer = self.pointer(node)
      count = graph.shape(of: node).reduce(1, *)
    case .copyGradient(let source, let parameter):
      node = source
      pointer = gradientBase + parameters.offsets[parameter]
      count = parameters.count(of: parameter)
    }
    guard let element = Self.firstNonFinite(pointer, count) else { return nil }
    return fault(.kernel(index), node: node, kernel: describe(step).0, pointer: pointer,
                 element: element)
  }

  private func fault(
    _ site: NumericFault.Site, node: NodeID, kernel: String, pointer: UnsafeMutablePointer<T>,
    element: Int
  ) -> NumericFault {
    let shape = graph.shape(of: node)
    let backward = graph.firstGradientNode.map { node.index >= $0 } ?? false
    let target = backward ? graph.gradientTargets[node.index] : nil
    var parameter: Int?
    if let target, case .source(.parameter(let i)) = graph[target].op { parameter = i }
    var row: Int?
    let isParameterValue: Bool = {
      if case .parameter = site { return true }
      return parameter != nil
    }()
    if !isParameterValue, let rows = batchRows, rows > 0, shape.first == rows {
      row = element / Swift.max(shape.reduce(1, *) / rows, 1)
    }
    return NumericFault(
      site: site, node: node, kernel: kernel, value: pointer[element].doubleValue,
      element: element, shape: shape, backward: backward, tag: graph[node].tag,
      gradientOf: target, gradientOfParameter: parameter,
      gradientOfTag: target.flatMap { graph[$0].tag },
      gradientOfOp: target.map { graph[$0].op.name },
      row: row)
  }

  /// The index of the first value in `values[0..<count]` that is not finite, or nil. Blocks
  /// are summed as x·0 (0 for a finite x, NaN otherwise) so the common, all-finite case is a
  /// branch-free loop; only a block that fails is searched element by element.
  @inline(__always)
  static func firstNonFinite(_ values: UnsafeMutablePointer<T>, _ count: Int) -> Int? {
    var start = 0
    while start < count {
      let end = Swift.min(start + 512, count)
      var a: T = 0, b: T = 0, c: T = 0, d: T = 0
      var i = start
      while i + 4 <= end {
        a += values[i] * 0
        b += values[i + 1] * 0
        c += values[i + 2] * 0
        d += values[i + 3] * 0
        i += 4
      }
      while i < end {
        a += values[i] * 0
        i += 1
      }
      if ((a + b) + (c + d)).isNaN {
        for j in start..<end where !values[j].isFinite { return j }
      }
      start = end
    }
    return nil
  }
}

// MARK: - Naming the fault

extension NumericFault {
  /// The layer the value belongs to: for a forward value the layer that computed it, for a
  /// gradient the layer whose value it is the gradient of; nil for the loss and the inputs.
  public func layerName(in network: Network) -> String? {
    switch site {
    case .input: return nil
    case .parameter(let index):
      return network.parameterNames[index].split(separator: ".").first.map(String.init)
    case .kernel:
      if let parameter = gradientOfParameter {
        return network.parameterNames[parameter].split(separator: ".").first.map(String.init)
      }
      return network.layerName(tag: backward ? (gradientOfTag ?? tag) : tag)
    }
  }

  /// The source tag of the layer `layerName` names, when the fault's nodes carry it (nil for
  /// inputs and parameters: look their layer up by name, `Network.layerTag(name:)`).
  public var layerTag: Int? {
    switch site {
    case .input, .parameter: return nil
    case .kernel: return backward ? (gradientOfTag ?? tag) : tag
    }
  }

  /// One clause naming the fault in a network lowered as `lowering`:
  /// `dense2 (linear+bias+sigmoid) produced inf in the forward pass`,
  /// `the backward pass produced nan in ∂L/∂dense1.weight (linear_weight_grad on dense1)`;
  /// a gradient inside the loss says `(divide in the loss)`.
  /// `inputNames` names the plan's inputs (`x`, `y`); with `rows`, the batch row is named too
  /// (`for x[3]`).
  public func describe(
    network: Network, lowering: Network.Lowering, inputNames: [String] = ["x", "y"],
    rows: Bool = false
  ) -> String {
    let rowText = rows ? row.map { " for x[\($0)]" } ?? "" : ""
    switch site {
    case .input(let index):
      let name = index < inputNames.count ? inputNames[index] : "input \(index)"
      let at = row.map { "[\($0)]" } ?? ""
      return "\(name)\(at) holds \(valueText) before the forward pass"
    case .parameter(let index):
      return "\(network.parameterNames[index]) holds \(valueText) before the forward pass"
    case .kernel:
      let layer = network.layerName(tag: tag)
      if !backward {
        return "\(layer ?? "the loss") (\(kernel)) produced \(valueText) in the forward pass"
          + rowText
      }
      let owner = layer.map { "on " + $0 } ?? "in the loss"
      return "the backward pass produced \(valueText) in "
        + "\(gradientText(network: network, lowering: lowering)) (\(kernel) \(owner))"
        + rowText
    }
  }

  /// `∂L/∂dense1.weight`, `the gradient of dense1's output`, `a gradient`.
  private func gradientText(network: Network, lowering: Network.Lowering) -> String {
    if let parameter = gradientOfParameter {
      return "∂L/∂" + network.parameterNames[parameter]
    }
    guard let target = gradientOf else { return "a gradient" }
    if let layer = lowering.layerNodes.first(where: { $0.a == target }) {
      return "the gradient of \(layer.name)'s output"
    }
    if let layer = lowering.layerNodes.first(where: { $0.z == target }) {
      return "the gradient of \(layer.name)'s pre-activation"
    }
    if target == lowering.output { return "the gradient of the network's output" }
    let op = gradientOfOp ?? "value"
    if let name = network.layerName(tag: gradientOfTag) {
      return "the gradient of \(name)'s \(op)"
    }
    return "the gradient of the loss's \(op)"
  }
}

extension Network {
  /// The name of the layer (top-level or nested) whose source tag is `tag`.
  public func layerName(tag: Int?) -> String? {
    guard let tag else { return nil }
    func search(_ layers: [Layer]) -> String? {
      for layer in layers {
        if layer.tag == tag { return layer.name }
        if let name = search(layer.body) { return name }
      }
      return nil
    }
    return search(layers)
  }

  /// The source tag of the layer (top-level or nested) named `name`.
  public func layerTag(name: String?) -> Int? {
    guard let name else { return nil }
    func search(_ layers: [Layer]) -> Int? {
      for layer in layers {
        if layer.name == name { return layer.tag }
        if let tag = search(layer.body) { return tag }
      }
      return nil
    }
    return search(layers)
  }
}
