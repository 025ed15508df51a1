// The trainer's per-step copies (the weights kept before each update, each batch's rows into
// the plan's inputs) over the thread pool: on wide they are megabytes per step, which one
// thread copies while the others wait.

/// Values per thread below which a copy is not split (a few µs of memory traffic).
let copyGrain = 1 << 14

/// `destination[0..<count] = source[0..<count]`, the pool's threads each copying a range.
func splitCopy<T>(_ destination: UnsafeMutablePointer<T>, from source: UnsafePointer<T>,
                  count: Int) {
  Parallel.forEach(count, grain: copyGrain) { range in
    (destination + range.lowerBound).update(from: source + range.lowerBound,
                                            count: range.count)
  }
}
