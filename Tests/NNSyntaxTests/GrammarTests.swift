// Keeps grammar/nn.ebnf, the parser and the scripts in step: every rule of the grammar heads
// the doc comment of a parse function with the same production, the grammar is well formed
// and names every keyword and operator, and every example and golden script parses.

import Foundation
import Testing

@testable import NNSyntax

// MARK: - Files

/// The package root, found from this file's path: Tests/NNSyntaxTests/GrammarTests.swift.
private let packageRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func read(_ relativePath: String) throws -> String {
  try String(contentsOf: packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
}

/// The parser's sources: Sources/NNSyntax/Parser*.swift.
private func parserSources() throws -> [String] {
  let folder = packageRoot.appendingPathComponent("Sources/NNSyntax")
  let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    .filter { $0.hasPrefix("Parser") && $0.hasSuffix(".swift") }.sorted()
  return try names.map {
    try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)
  }
}

/// Every `.nn` file under `relativeFolder`, recursively, as paths relative to the root.
private func scripts(under relativeFolder: String) -> [String] {
  let folder = packageRoot.appendingPathComponent(relativeFolder)
  guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
  var found: [String] = []
  while let path = walker.nextObject() as? String {
    if path.hasSuffix(".nn") { found.append(relativeFolder + "/" + path) }
  }
  return found.sorted()
}

// MARK: - Reading the grammar

/// A production as `name` and its right-hand side, whitespace and `,` removed so that layout
/// does not matter when comparing.
struct Production: Equatable {
  var name: String
  var body: String
  /// The right-hand side as written.
  var text: String
}

enum GrammarText {
  /// The text without `(* … *)` comments.
  static func stripComments(_ text: String) -> String {
    var result = ""
    var rest = Substring(text)
    while let open = rest.range(of: "(*") {
      result += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].range(of: "*)") else { return result }
      rest = rest[close.upperBound...]
    }
    return result + rest
  }

  /// Splits text into productions `name = body ;`, skipping `;` inside quotes.
  static func productions(_ text: String) -> [Production] {
    var productions: [Production] = []
    var statement = ""
    var quoted = false
    for character in text {
      if character == "\"" { quoted.toggle() }
      if character == ";" && !quoted {
        if let production = production(statement) { productions.append(production) }
        statement = ""
      } else {
        statement.append(character)
      }
    }
    return productions
  }

  static func production(_ text: String) -> Production? {
    guard let equals = text.firstIndex(of: "=") else { return nil }
    let name = text[..<equals].trimmingCharacters(in: .whitespacesAndNewlines)
    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
      return nil
    }
    let rest = text[text.index(after: equals)...]
    let body = rest.filter { !$0.isWhitespace && $0 != "," }
    return Production(name: name, body: String(body), text: String(rest))
  }

  /// The productions in the `///` comments directly above a `func`, from Swift source.
  static func documentedProductions(_ swift: String) -> [Production] {
    var found: [Production] = []
    var comment: [String] = []
    for line in swift.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("///") {
        comment.append(String(trimmed.dropFirst(3)))
        continue
      }
      if trimmed.hasPrefix("@") { continue }  // attributes between comment and declaration
      if trimmed.contains("func "), !comment.isEmpty {
        // Productions are the comment's leading paragraph; prose follows a blank `///`.
        let paragraph = comment.prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        found += productions(paragraph.joined(separator: "\n"))
      }
      comment = []
    }
    return found
  }
}

// MARK: - Grammar and parser agree

@Suite struct GrammarTests {
  static let tokenClasses: Set<String> = [
    "IDENT", "NUMBER", "STRING", "STRING_HEAD", "STRING_MIDDLE", "STRING_TAIL", "NEWLINE", "EOF",
  ]

  func grammar() throws -> [Production] {
    GrammarText.productions(GrammarText.stripComments(try read("grammar/nn.ebnf")))
  }

  @Test func grammarIsWellFormed() throws {
    let productions = try grammar()
    #expect(productions.count > 40)
    let names = productions.map(\.name)
    #expect(Set(names).count == names.count, "a rule is defined twice")
    #expect(names.first == "program")
    let defined = Set(names)
    var used: Set<String> = []
    for production in productions {
      // Drop quoted terminals, then every remaining word must be a rule or a token class.
      let unquoted = production.text.split(separator: "\"", omittingEmptySubsequences: false)
        .enumerated().filter { $0.offset % 2 == 0 }.map { String($0.element) }.joined()
      let words = unquoted.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
      for word in words {
        used.insert(word)
        #expect(
          defined.contains(word) || Self.tokenClasses.contains(word),
          "'\(word)' in rule '\(production.name)' is not defined")
      }
    }
    for name in names where name != "program" {
      #expect(used.contains(name), "rule '\(name)' is never used")
    }
  }

  @Test func grammarNamesEveryKeywordAndOperator() throws {
    let text = GrammarText.stripComments(try read("grammar/nn.ebnf"))
    for kind in TokenKind.allCases where kind.rawValue != String(describing: kind) {
      #expect(text.contains("\"\(kind.rawValue)\""), "the grammar never mentions '\(kind)'")
    }
  }

  @Test func everyRuleHeadsAParseFunction() throws {
    let documented = try parserSources().flatMap(GrammarText.documentedProductions)
    let byName = Dictionary(documented.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    for rule in try grammar() {
      guard let comment = byName[rule.name] else {
        Issue.record("no parse function documents rule '\(rule.name)'")
        continue
      }
      #expect(comment.body == rule.body, "the doc comment of '\(rule.name)' differs")
    }
  }

  @Test func everyDocumentedProductionIsInTheGrammar() throws {
    let rules = Set(try grammar().map(\.name))
    for production in try parserSources().flatMap(GrammarText.documentedProductions) {
      #expect(rules.contains(production.name), "'\(production.name)' is not in nn.ebnf")
    }
  }

  @Test func theDocumentedExamplesParse() {
    let text = """
      seed(0)
      let data = xor()
      model net(2) {
        dense(8, tanh)
        dense(1, sigmoid)
      }
      let h = train net on data {
        loss: mse
        optimizer: adam(lr: 0.05)
        epochs: 500
      }
      print(net(data.x))
      print("final loss {h.loss[-1]}")
      trace(seed_net, [1, 2], [3, 4], loss: sse, lr: 0.1)
      grad(fn (w) { mean((X @ w - y) ^ 2) }, w0)
      """
    let result = Parser.parse(Source(name: "first-look.nn", text: text))
    #expect(result.diagnostics.isEmpty)
    #expect(result.program.statements.count == 8)
  }
}

// MARK: - Scripts parse

extension GrammarTests {
  /// Scripts under a folder whose name ends in `_errors` are broken on purpose.
  static func isDeliberatelyBroken(_ path: String) -> Bool {
    path.split(separator: "/").dropLast().contains { $0.hasSuffix("_errors") }
  }

  static let scriptPaths: [String] = (
    scripts(under: "examples") + scripts(under: "Tests/NNScriptTests/Golden")
  ).filter { !isDeliberatelyBroken($0) }

  /// Parses every example and golden script (the loop runs even when there are none yet).
  @Test func everyScriptParses() throws {
    for path in Self.scriptPaths {
      let text = try read(path)
      let result = Parser.parse(Source(name: path, text: text))
      let messages = result.diagnostics.map { diagnostic in
        let start = diagnostic.location?.range.start ?? 0
        let (line, column) = result.program.source.lineAndColumn(of: start)
        return "\(path):\(line):\(column): \(diagnostic.message)"
      }
      #expect(messages.isEmpty, "\(messages.joined(separator: "\n"))")
    }
  }
}
