// The human-readable form of a compiled plan: one line per kernel, then totals.

extension Plan {
  /// One line per kernel (index, op name including fused ones, operand and result buffers with
  /// shapes and arena offsets), then totals: kernels, fused kernels, arena size, parameters,
  /// gradient region.
  public var listing: String {
    var lines: [String] = []
    var fusedCount = 0
    for (index, step) in schedule.steps.enumerated() {
      let (name, reads, writes, isFused) = describe(step)
      if isFused { fusedCount += 1 }
      let operands = reads.joined(separator: ", ")
      let number = String(index).leftPadded(to: 4)
      lines.append("\(number)  \(name.padded(to: 24)) \(operands) -> \(writes)")
    }
    let elementBytes = MemoryLayout<T>.stride
    lines.append("kernels: \(schedule.steps.count) (\(fusedCount) fused)")
    lines.append("arena: \(schedule.arenaCount) elements, \(arenaBytes) bytes "
                 + "(working buffers \(schedule.workingCount) elements; "
                 + "\(schedule.unsharedWorkingCount) without reuse)")
    lines.append("parameters: \(counted(parameters.shapes.count, "tensor")), "
                 + "\(counted(parameters.count, "element")) "
                 + "(\(parameters.count * elementBytes) bytes)")
    lines.append("gradient region: arena \(schedule.gradientOffset)..<"
                 + "\(schedule.gradientOffset + parameters.count)")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Name, operand texts, result text and whether the kernel is a fusion.
  func describe(_ step: Step) -> (String, [String], String, Bool) {
    switch step {
    case .node(let node):
      let op = graph[node].op
      var reads = graph[node].inputs
      var name = op.name
      var fused = false
      if let logits = schedule.fusedLogits[node.index] {
        let activation = graph[graph[node].inputs[0]].op.name
        name = "\(activation)+\(op.name)"
        reads[0] = logits
        fused = true
      }
      if case .losses(.lossGradient(let kind, true)) = op, !kind.declaration.readsLogits,
        let activation = kind.declaration.fusedActivation
      {
        name = "\(activation.name)+\(kind.name)_grad"
      }
      var text = reads.map(buffer)
      for i in reads.indices {
        if let (source, flipped) = graph.transposedOperand(node, i) {
          text[i] = buffer(source) + (flipped ? "ᵀ" : "")
        }
      }
      if case .activations(.dropoutGradient) = op,
         let mask = schedule.maskOffset[reads[0].index] {
        text[0] = "mask(%\(reads[0].index))@\(mask)"
      }
      if case .activations(.dropout) = op, let mask = schedule.maskOffset[node.index] {
        return (name, text, "\(buffer(node)), mask@\(mask)", fused)
      }
      switch op {
      case .sequences(.lstm), .sequences(.gru):
        if let states = schedule.maskOffset[node.index] {
          return (name, text, "\(buffer(node)), saved@\(states)", fused)
        }
      case .sequences(.lstmBackward), .sequences(.gruBackward):
        let forward = reads[reads.count - 1].index
        if let states = schedule.maskOffset[forward] {
          text[reads.count - 1] = "saved(%\(forward))@\(states)"
        }
      default: break
      }
      return (name, text, buffer(node), fused)
    case .dense(let linear, let bias, let activation):
      var name = "linear"
      var reads = graph[linear].inputs
      if let bias {
        name += "+bias"
        reads.append(graph[bias].inputs[1])
      }
      if let activation { name += "+" + graph[activation].op.name }
      let tail = activation ?? bias ?? linear
      return (name, reads.map(buffer), buffer(tail), bias != nil || activation != nil)
    case .convolution(let convolution, let activation):
      return ("conv2d+" + graph[activation].op.name, graph[convolution].inputs.map(buffer),
              buffer(activation), true)
    case .copyGradient(let node, let parameter):
      let offset = schedule.gradientOffset + parameters.offsets[parameter]
      return ("copy", [buffer(node)],
              "grad p\(parameter)\(shapeText(parameters.shapes[parameter]))@\(offset)", false)
    }
  }

  /// `%7[2, 3]@128` for arena buffers, `p0[4, 2]` for parameters (through aliases).
  private func buffer(_ node: NodeID) -> String {
    let root = schedule.aliasRoot[node.index] ?? node.index
    let shape = shapeText(graph.shape(of: node))
    if case .source(.parameter(let i)) = graph.nodes[root].op { return "p\(i)\(shape)" }
    let name: String
    if case .source(.input(let i)) = graph.nodes[root].op {
      name = "in\(i)"
    } else {
      name = "%\(root)"
    }
    if case .arena(let offset) = schedule.placement[root] { return "\(name)\(shape)@\(offset)" }
    return name + shape
  }
}

extension String {
  fileprivate func padded(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }

  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
