// Arena layout: the gradient region first (in the parameter store's layout, so it matches
// `ParameterStore.pointer` element for element), then inputs and constants (persistent), then
// working buffers, each placed when its kernel runs and released after its last reader, so
// later buffers reuse the space.

extension PlanCompiler {
  /// Assigns every materialised node a placement and sizes the arena.
  func layOut(
    _ schedule: inout Schedule, needed: [Bool], roots: Set<Int>,
    planInputs: (Int) -> [NodeID], stepOf: [Int: Int], fusedInto: [Int: Int]
  ) throws(GraphError) {
    let parameterCount = parameterShapes.reduce(0) { $0 + $1.reduce(1, *) }
    var end = PlanCompiler.aligned(parameterCount + Schedule.reductionTailCount)
    func reserve(_ count: Int) -> Int {
      defer { end += PlanCompiler.aligned(count) }
      return end
    }
    func elements(_ index: Int) -> Int { graph.nodes[index].shape.reduce(1, *) }
    func owner(_ index: Int) -> Int { schedule.aliasRoot[index] ?? index }

    // Gradients computed by a kernel of their own land in the region; any other (an alias, a
    // constant zero, a node already placed for another parameter) is copied there at the end.
    var placedGradients = Set<Int>()
    for (parameter, gradient) in gradients.enumerated() {
      guard let gradient else { continue }
      let index = gradient.index
      if stepOf[index] != nil && owner(index) == index && !placedGradients.contains(index) {
        placedGradients.insert(index)
        schedule.placement[index] = .arena(schedule.gradientOffset + parameterOffsets[parameter])
      } else {
        schedule.steps.append(.copyGradient(gradient, parameter: parameter))
      }
    }

    // Persistent nodes: parameters are read in place; inputs and constants get fixed buffers.
    for index in 0..<graph.nodes.count where needed[index] {
      switch graph.nodes[index].op {
      case .source(.parameter(let i)):
        schedule.placement[index] = .parameter(parameterOffsets[i])
      case .source(.input(let i)):
        let offset = reserve(elements(index))
        schedule.placement[index] = .arena(offset)
        schedule.inputOffsets[i, default: []].append(offset)
      case .source(.constant):
        let offset = reserve(elements(index))
        schedule.placement[index] = .arena(offset)
        schedule.constants.append((index, offset))
      case .linearAlgebra, .activations, .arithmetic, .reductions, .losses, .sequences,
           .convolutions, .pooling, .normalization, .shaping, .selection:
        break
      }
    }

    // Liveness: the last step that reads each buffer owner; roots live to the end.
    var lastUse = [Int: Int]()
    for (step, kind) in schedule.steps.enumerated() {
      for read in reads(kind, planInputs: planInputs) {
        let o = owner(read.index)
        lastUse[o] = max(lastUse[o] ?? step, step)
      }
    }
    for root in roots { lastUse[owner(root)] = Int.max }

    // A second buffer beside a node's output, live as long as the output: a dropout's mask,
    // or the states an lstm or gru saves for its BPTT node in the same plan.
    var savedRecurrences = Set<Int>()
    for case .node(let node) in schedule.steps {
      switch graph[node].op {
      case .sequences(.lstmBackward), .sequences(.gruBackward):
        savedRecurrences.insert(graph[node].inputs[graph[node].inputs.count - 1].index)
      default: break
      }
    }
    func auxiliaryCount(_ index: Int) -> Int? {
      switch graph.nodes[index].op {
      case .activations(.dropout): return PlanCompiler.aligned(elements(index))
      case .sequences(.lstm(let geometry)) where savedRecurrences.contains(index):
        let batch = graph.nodes[graph.nodes[index].inputs[0].index].shape[0]
        return PlanCompiler.aligned(LSTMKernel<Float>.savedCount(geometry, batch: batch))
      case .sequences(.gru(let geometry)) where savedRecurrences.contains(index):
        let batch = graph.nodes[graph.nodes[index].inputs[0].index].shape[0]
        return PlanCompiler.aligned(GRUKernel<Float>.savedCount(geometry, batch: batch))
      default: return nil
      }
    }

    var releaseAt = [Int: [Int]]()
    var allocator = ArenaAllocator()
    let workStart = end
    var unshared = 0
    for (step, kind) in schedule.steps.enumerated() {
      if let defined = PlanCompiler.result(of: kind), schedule.placement[defined.index] == nil {
        let index = defined.index
        let size = PlanCompiler.aligned(elements(index))
        schedule.placement[index] = .arena(workStart + allocator.allocate(size))
        unshared += size
        if let count = auxiliaryCount(index) {
          schedule.maskOffset[index] = workStart + allocator.allocate(count)
          unshared += count
        }
        let last = max(lastUse[index] ?? step, step)
        if last != Int.max { releaseAt[last, default: []].append(index) }
      }
      for index in releaseAt[step] ?? [] {
        let size = PlanCompiler.aligned(elements(index))
        guard case .arena(let offset) = schedule.placement[index] else { continue }
        allocator.release(offset - workStart, size)
        if let mask = schedule.maskOffset[index], let count = auxiliaryCount(index) {
          allocator.release(mask - workStart, count)
        }
      }
    }
    schedule.arenaCount = workStart + allocator.end
    schedule.workingCount = allocator.end
    schedule.unsharedWorkingCount = unshared

    for index in 0..<graph.nodes.count where needed[index] {
      let root = owner(index)
      if case .source(.parameter) = graph.nodes[root].op { schedule.readable.insert(index) }
      if case .source(.input) = graph.nodes[root].op { schedule.readable.insert(index) }
      if case .source(.constant) = graph.nodes[root].op { schedule.readable.insert(index) }
      if lastUse[root] == Int.max { schedule.readable.insert(index) }
    }
    if fusedInto.isEmpty == false {
      // Interior nodes of a fused kernel have no buffer; nothing to read.
      for interior in fusedInto.keys { schedule.readable.remove(interior) }
    }
  }

  /// The nodes a step reads.
  func reads(_ step: Step, planInputs: (Int) -> [NodeID]) -> [NodeID] {
    switch step {
    case .node(let node):
      return planInputs(node.index)
    case .dense(let linear, let bias, _):
      return graph[linear].inputs + (bias.map { [graph[$0].inputs[1]] } ?? [])
    case .convolution(let convolution, _):
      return graph[convolution].inputs
    case .copyGradient(let node, _):
      return [node]
    }
  }

  /// The node whose buffer a step writes (copies write into the gradient region instead).
  static func result(of step: Step) -> NodeID? {
    switch step {
    case .node(let node): node
    case .dense(let linear, let bias, let activation): activation ?? bias ?? linear
    case .convolution(_, let activation): activation
    case .copyGradient: nil
    }
  }

  /// `count` rounded up to the buffer alignment.
  static func aligned(_ count: Int) -> Int {
    (count + alignment - 1) / alignment * alignment
  }
}

/// First-fit allocation of arena ranges, merging neighbours on release.
struct ArenaAllocator {
  /// Free ranges (offset, size), sorted by offset.
  private var free: [(offset: Int, size: Int)] = []
  /// The high-water mark: the working region's size.
  private(set) var end = 0

  mutating func allocate(_ size: Int) -> Int {
    if size == 0 { return 0 }
    if let slot = free.firstIndex(where: { $0.size >= size }) {
      let offset = free[slot].offset
      if free[slot].size == size {
        free.remove(at: slot)
      } else {
        free[slot] = (offset + size, free[slot].size - size)
      }
      return offset
    }
    // Grow the arena, starting inside a free range that touches the end.
    if let last = free.last, last.offset + last.size == end {
      free.removeLast()
      end = last.offset + size
      return last.offset
    }
    defer { end += size }
    return end
  }

  mutating func release(_ offset: Int, _ size: Int) {
    if size == 0 { return }
    let slot = free.firstIndex { $0.offset > offset } ?? free.count
    free.insert((offset, size), at: slot)
    // Merge with the following, then the preceding range.
    if slot + 1 < free.count && free[slot].offset + free[slot].size == free[slot + 1].offset {
      free[slot].size += free[slot + 1].size
      free.remove(at: slot + 1)
    }
    if slot > 0 && free[slot - 1].offset + free[slot - 1].size == free[slot].offset {
      free[slot - 1].size += free[slot].size
      free.remove(at: slot)
    }
  }
}
