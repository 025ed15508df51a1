// Reverse-mode automatic differentiation on the IR: gradients are more graph nodes, appended
// after the forward ones, so the plan compiler schedules, fuses and allocates them like any
// other node. Each op's gradient rule lives beside its shape rule and kernel in Kernels/.

extension Graph {
  /// One gradient contribution: `gradient` (shaped like `target`) adds to target's total.
  typealias Contribution = (target: NodeID, gradient: NodeID)

  /// Appends reverse-mode gradient nodes of the 0-d node `loss` with respect to each target
  /// (parameters, inputs or any intermediate node) and returns them, each with its target's
  /// shape. A target the loss does not depend on gets a zero node.
  public mutating func differentiate(
    _ loss: NodeID, withRespectTo targets: [NodeID]
  ) throws(GraphError) -> [NodeID] {
    guard loss.index >= 0 && loss.index < nodes.count else {
      throw GraphError(message: "differentiate: node \(loss.index) is not in this graph")
    }
    guard shape(of: loss).isEmpty else {
      throw GraphError(message: "differentiate: the loss must be a scalar (0-d), not shape "
                       + shapeText(shape(of: loss)), node: loss, tag: self[loss].tag)
    }
    for target in targets where target.index < 0 || target.index >= nodes.count {
      throw GraphError(message: "differentiate: node \(target.index) is not in this graph")
    }
    let relevant = relevantNodes(loss: loss, targets: targets)
    if firstGradientNode == nil { firstGradientNode = nodes.count }
    var contributions = [[NodeID]](repeating: [], count: loss.index + 1)
    var totals = [NodeID?](repeating: nil, count: loss.index + 1)
    contributions[loss.index] = [try add(.constant(Tensor(scalar: 1)), [])]
    let lowest = targets.map(\.index).min() ?? loss.index
    for index in stride(from: loss.index, through: lowest, by: -1) where relevant[index] {
      guard !contributions[index].isEmpty else { continue }
      let node = NodeID(index: index)
      let tag = self[node].tag
      let gradient = try sumContributions(contributions[index], tag: tag)
      totals[index] = gradient
      if gradientTargets[gradient.index] == nil { gradientTargets[gradient.index] = node }
      let needs = self[node].inputs.map { relevant[$0.index] }
      guard needs.contains(true) else { continue }
      for (target, contribution) in try gradientRule(node, gradient, needs: needs) {
        contributions[target.index].append(contribution)
      }
    }
    var results: [NodeID] = []
    for target in targets {
      if target.index <= loss.index, let total = totals[target.index] {
        results.append(total)
      } else {
        let zeros = Tensor(zeros: shape(of: target))
        results.append(try add(.constant(zeros), []))
      }
    }
    return results
  }

  /// Nodes on some path from a target to the loss: only these need gradients.
  private func relevantNodes(loss: NodeID, targets: [NodeID]) -> [Bool] {
    let count = loss.index + 1
    var dependsOnTarget = [Bool](repeating: false, count: count)
    for target in targets where target.index < count { dependsOnTarget[target.index] = true }
    for index in 0..<count where !dependsOnTarget[index] {
      dependsOnTarget[index] = nodes[index].inputs.contains { dependsOnTarget[$0.index] }
    }
    var feedsLoss = [Bool](repeating: false, count: count)
    feedsLoss[loss.index] = true
    for index in stride(from: loss.index, through: 0, by: -1) where feedsLoss[index] {
      for input in nodes[index].inputs { feedsLoss[input.index] = true }
    }
    return (0..<count).map { dependsOnTarget[$0] && feedsLoss[$0] }
  }

  /// The sum of several gradient contributions (a node used more than once).
  private mutating func sumContributions(_ parts: [NodeID], tag: Int?) throws(GraphError)
    -> NodeID {
    let parts = try joiningTiledSlices(parts, tag: tag)
    var total = parts[0]
    for part in parts.dropFirst() {
      total = try add(.add, [total, part], tag: tag)
    }
    return total
  }

  /// `parts` with the slice gradients that tile one axis of their node (its gates, the time
  /// steps of a recurrent layer) replaced by one concat of their gradients: each would
  /// otherwise be a zero-filled tensor of the whole node, and T of them summed cost O(T²).
  private mutating func joiningTiledSlices(_ parts: [NodeID], tag: Int?) throws(GraphError)
    -> [NodeID] {
    var slices: [(range: SliceRange, gradient: NodeID, part: NodeID)] = []
    var whole: [Int] = []
    for part in parts {
      guard case .shaping(.sliceGradient(let range, let shape)) = self[part].op,
        range.step == 1, slices.isEmpty || (shape == whole && range.axis == slices[0].range.axis)
      else { continue }
      whole = shape
      slices.append((range, self[part].inputs[0], part))
    }
    guard slices.count > 1 else { return parts }
    slices.sort { $0.range.start < $1.range.start }
    var next = 0
    for slice in slices {
      guard slice.range.start == next else { return parts }
      next = slice.range.end
    }
    guard next == whole[slices[0].range.axis] else { return parts }
    let joined = try add(.concat(axis: slices[0].range.axis, count: slices.count),
                         slices.map(\.gradient), tag: tag)
    let tiled = Set(slices.map(\.part))
    return [joined] + parts.filter { !tiled.contains($0) }
  }

  /// The gradient contributions of `node` to its inputs, given the gradient `g` of its result;
  /// `needs[i]` says whether input i wants one. Dispatched to each family's rule.
  private mutating func gradientRule(
    _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    switch self[node].op {
    case .source: return []
    case .linearAlgebra(let op): return try linearFamilyGradient(op, node, g, needs: needs)
    case .activations(let op): return try activationFamilyGradient(op, node, g, needs: needs)
    case .arithmetic(let op): return try arithmeticFamilyGradient(op, node, g, needs: needs)
    case .reductions(let op): return try reductionFamilyGradient(op, node, g, needs: needs)
    case .losses(let op): return try lossFamilyGradient(op, node, g, needs: needs)
    case .sequences(let op): return try sequenceFamilyGradient(op, node, g, needs: needs)
    case .convolutions(let op): return try convolutionFamilyGradient(op, node, g, needs: needs)
    case .pooling(let op): return try poolingFamilyGradient(op, node, g, needs: needs)
    case .normalization(let op):
      return try normalizationFamilyGradient(op, node, g, needs: needs)
    case .shaping(let op): return try shapingFamilyGradient(op, node, g, needs: needs)
    case .selection(let op): return try selectionFamilyGradient(op, node, g, needs: needs)
    }
  }

  // MARK: - Helpers for gradient rules

  /// Adds a gradient node carrying the forward node's tag, so errors point at the layer.
  mutating func gradientNode(_ op: Op, _ inputs: [NodeID], for node: NodeID) throws(GraphError)
    -> NodeID {
    let tag = self[node].tag
    return try add(op, inputs, tag: tag)
  }

  /// `g` summed down to `shape` (undoing broadcasting), or `g` itself when it already fits.
  mutating func reduce(_ g: NodeID, to shape: [Int], for node: NodeID) throws(GraphError)
    -> NodeID {
    if self.shape(of: g) == shape { return g }
    return try gradientNode(.sumToShape(shape), [g], for: node)
  }

  /// A 0-d constant.
  mutating func scalarConstant(_ value: Float) throws(GraphError) -> NodeID {
    try add(.constant(Tensor(scalar: value)), [])
  }

  /// The error for ops whose own derivative is not implemented (second derivatives).
  func noSecondDerivative(_ node: NodeID) -> GraphError {
    GraphError(message: "\(self[node].op.name): second derivatives are not supported",
               node: node, tag: self[node].tag)
  }
}
