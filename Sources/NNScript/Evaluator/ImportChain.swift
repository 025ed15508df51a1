/// The files being imported, outermost first. A set beside the list answers "is this file
/// already being imported?" in constant time: a chain of 60,000 imports asked it of the whole
/// list at every step, quadratic work.
struct ImportChain {
  private(set) var paths: [String] = []
  private var members: Set<String> = []

  mutating func append(_ path: String) {
    paths.append(path)
    members.insert(path)
  }

  mutating func removeLast() {
    members.remove(paths.removeLast())
  }

  /// The part of the chain from `path` on, when `path` is in it: the files of a cycle.
  func cycle(from path: String) -> ArraySlice<String>? {
    guard members.contains(path), let start = paths.lastIndex(of: path) else { return nil }
    return paths[start...]
  }
}
