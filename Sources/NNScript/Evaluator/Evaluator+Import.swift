import NNSyntax

extension Evaluator {
  /// `import "other.nn"`: runs a file once, in the importing scope. The path is relative to the
  /// importing file; an import that reaches a file already being imported is a cycle.
  func importFile(_ path: String, range: SourceRange, into scope: Scope) throws(Unwind) {
    let base = (source.folder ?? FileAccess.directory(of: source.name)).map {
      FileAccess.resolve($0, relativeTo: options.workingDirectory)
    } ?? options.workingDirectory
    let resolved = FileAccess.resolve(path, relativeTo: base)
    if let message = checkFileAccess(resolved, write: false) {
      throw failure(.fileError, message, at: range)
    }
    guard let canonical = FileAccess.canonical(resolved) else {
      throw failure(.fileError, "cannot import '\(path)': no such file", at: range)
    }
    if let cycle = importStack.cycle(from: canonical) {
      let chain = (cycle + [canonical]).map(Self.shortName)
      throw failure(.importCycle, "import cycle: \(chain.joined(separator: " → "))", at: range)
    }
    guard !importedFiles.contains(canonical) else { return }
    let text: String
    switch FileAccess.readText(resolved) {
    case .success(let contents): text = contents
    case .failure(.cannotRead(let reason)):
      throw failure(.fileError, "cannot import '\(path)': \(reason)", at: range)
    case .failure(.pastMemoryLimit(let reason)):
      throw failure(.resourceLimit, "cannot import '\(path)': \(reason)", at: range)
    }
    try checkValueBytes(Limits.parserBytesPerSourceByte * text.utf8.count,
                        "parsing '\(path)'", range: range)
    let importedName = source.name.contains("/") || path.hasPrefix("/")
      ? FileAccess.resolve(path, relativeTo: FileAccess.directory(of: source.name)) : path
    // Its own imports resolve from its folder, whatever name it is shown by.
    let parsed = Parser.parse(Source(name: importedName, text: text,
                                     folder: FileAccess.directory(of: resolved)))
    if let first = parsed.diagnostics.first(where: { $0.severity == .error }) {
      var diagnostic = first
      diagnostic.notes.append(DiagnosticNote("in the file imported here", at: location(range)))
      throw .failure(diagnostic)
    }
    importStack.append(canonical)
    defer { importStack.removeLast() }
    do {
      _ = try run(parsed.program, in: scope)
    } catch {
      switch error {
      case .returning: break
      case .failure(var diagnostic):
        diagnostic.notes.append(DiagnosticNote("in the file imported here", at: location(range)))
        throw .failure(diagnostic)
      default: throw error
      }
    }
    importedFiles.insert(canonical)
  }

  private static func shortName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
