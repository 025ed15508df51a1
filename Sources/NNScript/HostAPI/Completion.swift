import Foundation

/// Context-aware completion for the REPL: what the word at the cursor is and what may replace it,
/// decided from the line up to the cursor. Pure apart from reading the session's bindings and,
/// for file names, a directory listing, so it can be tested without a terminal.
extension Interpreter {
  /// What kind of word the cursor is in.
  public enum CompletionKind: Equatable, Sendable {
    /// Code: names, members after a dot, named arguments, training options.
    case code
    /// A file name: inside an open string literal, or the argument of `:load`.
    case fileName
  }

  /// Characters that end a word of code. The dot is left out so `net.dense1` stays one word,
  /// and `"` is in so a word never reaches back into a string.
  static let codeWordBreaks = " \t\n\"'()[]{},;=+-*/<>!:%^&|#"

  /// The kind of word at `cursor` (a character offset into `line`) and the characters that
  /// end such a word, for readline's word-break hook: inside a string only the opening quote
  /// does (file names may hold spaces and dashes), after `:load` only a space.
  public static func completionContext(
    line: String, cursor: Int
  ) -> (kind: CompletionKind, wordBreaks: String) {
    let scan = LineScan(Array(line.prefix(max(0, cursor))))
    if scan.stringStart != nil { return (.fileName, "\"") }
    if scan.isLoadCommand { return (.fileName, " ") }
    return (.code, codeWordBreaks)
  }

  /// Completion candidates for the word that ends at `cursor` (a character offset into `line`),
  /// each a full replacement for that word, sorted: file and directory names (directories with
  /// a trailing `/`) inside a string or after `:load`, relative to `directory` (the current
  /// directory by default); a built-in's or function's named arguments not yet given (`lr:`)
  /// at an argument's start inside its call, and training options inside `train … on … {`;
  /// otherwise what `completions(prefix:)` gives.
  public func completions(line: String, cursor: Int, directory: String? = nil) -> [String] {
    let before = Array(line.prefix(max(0, cursor)))
    let scan = LineScan(before)
    if scan.inComment { return [] }
    if let start = scan.stringStart {
      return Self.fileNames(matching: String(before[start...]), in: directory)
    }
    if scan.isLoadCommand {
      let word = String(before.reversed().prefix { $0 != " " }.reversed())
      return Self.fileNames(matching: word, in: directory)
    }
    let word = String(before.reversed().prefix { !Self.codeWordBreaks.contains($0) }.reversed())
    if word.contains(".") { return completions(prefix: word) }
    var candidates = Set<String>()
    if let frame = scan.frames.last,
      let kind = valueKind(before: before.dropLast(word.count), in: frame)
    {
      // After `optimizer: ` the values that fit are the optimizers, from the declarations.
      let fitting = Self.builtinNames(making: kind).filter { $0.hasPrefix(word) }
      if !fitting.isEmpty { return fitting.sorted() }
    }
    if let frame = scan.frames.last, scan.isArgumentStart(wordLength: word.count) {
      let labels = labels(for: frame).filter { !frame.given.contains($0) }
      candidates.formUnion(labels.map { $0 + ":" }.filter { $0.hasPrefix(word) })
      // An empty word at an argument's start means "which arguments are there?"; offering
      // every bound name as well would bury the answer.
      if word.isEmpty { return candidates.sorted() }
    }
    candidates.formUnion(completions(prefix: word))
    return candidates.sorted()
  }

  /// The declared kind of the parameter whose value starts here (`adam(…, optimizer: |`),
  /// when it is a kind a built-in named bare can fill (optimizer, loss, activation, …).
  private func valueKind(before: ArraySlice<Character>, in frame: LineScan.Frame)
    -> ParameterKind?
  {
    var text = before
    while text.last == " " { text.removeLast() }
    guard text.last == ":" else { return nil }
    text.removeLast()
    let label = String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
      .reversed())
    guard !label.isEmpty else { return nil }
    let builtin: Builtin
    if frame.isTrainBlock {
      builtin = Builtins.trainBlock
    } else if frame.opener == "(", let callee = frame.callee,
      case .builtin(let found)? = evaluator.globals.lookup(callee)
    {
      builtin = found
    } else {
      return nil
    }
    guard let kind = builtin.parameter(label)?.kind, kind.takesBareBuiltin else { return nil }
    return kind
  }

  /// The built-ins whose value fits a parameter of `kind`: those declared as making it, and
  /// for layers the activations too (as the binder takes them).
  static func builtinNames(making kind: ParameterKind) -> [String] {
    var names = Builtins.all.filter {
      $0.produces == kind || (kind == .layer && $0.produces == .activation)
    }.map(\.name)
    if kind == .initializer { names += ["zeros", "ones"] }
    return Array(Set(names))
  }

  /// The names a call or block frame accepts as `name:` entries.
  private func labels(for frame: LineScan.Frame) -> [String] {
    if frame.isTrainBlock { return Builtins.trainingOptions }
    guard frame.opener == "(", let callee = frame.callee,
      let value = evaluator.globals.lookup(callee)
    else { return [] }
    switch value {
    case .builtin(let builtin):
      // `name...` collects the remaining positional arguments; it cannot be named.
      return builtin.parameters.filter { !$0.hasSuffix("...") }
    case .function(let function):
      return function.declaration.parameters.map(\.name.name)
    default:
      return []
    }
  }

  /// Entries of the directory part of `word` whose names start with the rest of it; hidden
  /// entries only when that rest starts with a dot.
  static func fileNames(matching word: String, in directory: String?) -> [String] {
    let slash = word.lastIndex(of: "/")
    let folder = slash.map { String(word[...$0]) } ?? ""
    let partial = slash.map { String(word[word.index(after: $0)...]) } ?? word
    let base = directory ?? FileManager.default.currentDirectoryPath
    let path: String
    if folder.hasPrefix("/") {
      path = folder
    } else if folder.hasPrefix("~") {
      path = NSString(string: folder).expandingTildeInPath
    } else {
      path = folder.isEmpty ? base : base + "/" + folder
    }
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else {
      return []
    }
    return entries.filter {
      $0.hasPrefix(partial) && (partial.hasPrefix(".") || !$0.hasPrefix("."))
    }.map { entry in
      var isDirectory: ObjCBool = false
      let full = (path.hasSuffix("/") ? path : path + "/") + entry
      _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
      return folder + entry + (isDirectory.boolValue ? "/" : "")
    }.sorted()
  }
}

/// One left-to-right pass over the text before the cursor: open strings, comments and the
/// brackets still open, each with the call or block it belongs to and the `name:` labels
/// already written at its own level.
struct LineScan {
  struct Frame {
    var opener: Character
    /// The plain name right before `(`; nil after a member (`net.f(`) or an expression.
    var callee: String?
    /// A `{` that opens the options of `train … on … {`.
    var isTrainBlock = false
    var given: Set<String> = []
  }

  private(set) var frames: [Frame] = []
  /// Where the content of an unterminated string starts.
  private(set) var stringStart: Int?
  private(set) var inComment = false
  let isLoadCommand: Bool
  private let text: [Character]

  init(_ text: [Character]) {
    self.text = text
    let trimmed = String(text).drop { $0 == " " || $0 == "\t" }
    isLoadCommand = trimmed.hasPrefix(":load ")
    if !isLoadCommand { scan() }
  }

  private static func isIdentifier(_ c: Character) -> Bool {
    c == "_" || c.isLetter || c.isNumber
  }

  private mutating func scan() {
    var token = ""
    // The identifier just finished, while nothing but spaces followed it: a `:` then makes
    // it a label of the innermost frame.
    var pendingLabel: String?
    // Identifiers of the statement so far, to recognise `train … on … {`.
    var statement: [String] = []
    // The statements the open brackets interrupted: `train net on xor() {` is still a train
    // statement after the call's `)`.
    var outerStatements: [[String]] = []
    var previous: Character?
    var index = 0
    while index < text.count {
      let c = text[index]
      defer { index += 1 }
      if stringStart != nil {
        if c == "\\" {
          index += 1
        } else if c == "\"" {
          stringStart = nil
        }
        continue
      }
      if Self.isIdentifier(c) {
        token.append(c)
        previous = c
        continue
      }
      if !token.isEmpty {
        // A number is not a name; a name after a dot is a member, not a label or callee.
        let isMember = index - token.count - 1 >= 0 && text[index - token.count - 1] == "."
        if let first = token.first, !first.isNumber, !isMember {
          pendingLabel = token
          statement.append(token)
        } else {
          pendingLabel = nil
        }
        token = ""
      }
      switch c {
      case " ", "\t":
        continue
      case "#":
        inComment = true
        return
      case "\"":
        stringStart = index + 1
      case "(", "[", "{":
        let callee = c == "(" && previous.map(Self.isIdentifier) == true ? pendingLabel : nil
        let isTrain = c == "{" && statement.first == "train" && statement.contains("on")
        frames.append(Frame(opener: c, callee: callee, isTrainBlock: isTrain))
        outerStatements.append(statement)
        statement = []
      case ")", "]", "}":
        if !frames.isEmpty { frames.removeLast() }
        let outer = outerStatements.popLast() ?? []
        statement = c == "}" ? [] : outer
      case ":":
        if let label = pendingLabel, !frames.isEmpty {
          frames[frames.count - 1].given.insert(label)
        }
      case ";", "\n":
        statement = []
      default:
        break
      }
      pendingLabel = nil
      previous = c
    }
  }

  /// Whether the word of `wordLength` characters at the end starts an argument or entry of
  /// the innermost frame: right after its opener or a comma, spaces and line breaks aside, or
  /// at the start of a line inside braces (a `train` block's options, one per line).
  func isArgumentStart(wordLength: Int) -> Bool {
    guard let frame = frames.last else { return false }
    var index = text.count - wordLength - 1
    var newLine = false
    while index >= 0, " \t\n".contains(text[index]) {
      if text[index] == "\n" { newLine = true }
      index -= 1
    }
    if newLine, frame.opener == "{" { return true }
    guard index >= 0 else { return false }
    return text[index] == "," || (text[index] == frame.opener && frame.opener != "[")
  }
}
