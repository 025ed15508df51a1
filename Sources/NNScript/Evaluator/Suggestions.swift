import NNRuntime

/// "Did you mean …?" for misspelt names.
enum Suggestions {
  /// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
  static func nearest(to name: String, in candidates: [String]) -> String? {
    let target = Array(name.lowercased())
    // Short names tolerate one edit, longer ones about a third of their length.
    let allowed = max(1, target.count / 3)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != name {
      let distance = editDistance(target, Array(candidate.lowercased()), limit: allowed)
      if distance <= allowed, distance < (best?.distance ?? .max) {
        best = (candidate, distance)
      }
    }
    return best?.name
  }

  /// Levenshtein distance with adjacent transpositions counted as one edit; stops early past
  /// `limit`.
  static func editDistance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
    if abs(a.count - b.count) > limit { return limit + 1 }
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      var rowMinimum = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previousPrevious[j - 2] + 1)
        }
        current[j] = value
        rowMinimum = min(rowMinimum, value)
      }
      if rowMinimum > limit { return limit + 1 }
      (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
  }
}

extension Suggestions {
  /// The names a parameter of `kind` takes bare, for hints that never suggest a name of
  /// another kind (`init: h` → `he`, not a variable `d`); nil for kinds without a name set.
  static func names(of kind: ParameterKind) -> [String]? {
    switch kind {
    case .activation, .loss, .optimizer, .initializer, .schedule, .layer:
      return Interpreter.builtinNames(making: kind).sorted()
    case .metric:
      return (Metric.allCases.map(\.rawValue) + Metric.aliases.keys).sorted()
    case .any, .number, .bool, .tensor, .shape, .string, .function, .model, .dataset, .list,
         .record, .wholeNumber, .progress:
      return nil
    }
  }

  /// The most names a hint lists.
  private static let listedNames = 12

  /// The hint for an undefined bare name given for a parameter of `kind`: the nearest name of
  /// that kind, or a short list of them; nil for kinds without a name set. The binder and
  /// `nn check` both ask here.
  static func hint(forUndefined name: String, kind: ParameterKind) -> String?? {
    guard let names = names(of: kind) else { return nil }
    if let nearest = nearest(to: name, in: names) { return "did you mean '\(nearest)'?" }
    // A short list says what the kind takes; a long one (layers) would drown the message.
    return .some(names.count <= listedNames
      ? "a \(kind.rawValue) is one of \(names.joined(separator: ", "))" : nil)
  }
}
