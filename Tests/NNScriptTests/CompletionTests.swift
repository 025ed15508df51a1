import Foundation
import Testing

@testable import NNScript

/// Context-aware REPL completion: a line and a cursor in, the candidates for the word that
/// ends at the cursor out.
struct CompletionTests {
  /// One case: the line, where the cursor is (nil: at the end), and what must be offered.
  struct Case: CustomStringConvertible, Sendable {
    var line: String
    var cursor: Int?
    var expected: [String]
    /// When set, the candidates only have to include `expected`.
    var includes = false

    var description: String { "\(line) @\(cursor.map(String.init) ?? "end")" }
  }

  static let adamArguments = ["amsgrad:", "beta1:", "beta2:", "eps:", "lr:", "weight_decay:"]

  static let codeCases: [Case] = [
    Case(line: "adam(", expected: adamArguments),
    // After a label whose declared kind a bare built-in fills, the fitting built-ins.
    Case(line: "fit(net, data, optimizer: ",
         expected: ["adagrad", "adam", "adamw", "nadam", "rmsprop", "sgd"]),
    Case(line: "fit(net, data, optimizer: na", expected: ["nadam"]),
    Case(line: "train net on data { loss: h", expected: ["huber"]),
    Case(line: "dense(4, init: x", expected: ["xavier"]),
    Case(line: "warmup(then: co", expected: ["cosine"]),
    Case(line: "adam(be", expected: ["beta1:", "beta2:"]),
    Case(line: "adam(lr: 0.1, ", expected: adamArguments.filter { $0 != "lr:" }),
    Case(line: "adam(lr: 0.1, beta1: 0.8, b", expected: ["beta2:"], includes: true),
    Case(line: "adam( lr", expected: ["lr:"], includes: true),
    // Not at an argument's start: ordinary names, no labels.
    Case(line: "adam(lr: bet", expected: []),
    // The innermost call decides.
    Case(line: "print(adam(am", expected: ["amsgrad:"]),
    Case(line: "print(adam(lr: 1), am", expected: []),
    // Variadic parameters cannot be named.
    Case(line: "reshape(t, sh", expected: ["shuffle"]),
    Case(line: "reshape(", expected: ["t:"]),
    // Script functions offer their parameters.
    Case(line: "scale(fac", expected: ["factor:"]),
    Case(line: "scale(2, ", expected: ["amount:", "factor:"]),
    // Training options inside a `train … on … {` block.
    Case(line: "train net on data { ep", expected: ["epochs:"]),
    Case(line: "train net on data { loss: mse, optimizer: adam(lr: 0.1), e",
         expected: ["early_stop:", "epochs:", "exp"], includes: true),
    Case(line: "train net on data { loss: mse, l", expected: ["l2:"], includes: true),
    // Members after a dot and plain names still work, with the cursor mid-line too.
    Case(line: "data.", expected: ["data.classes", "data.n", "data.x", "data.y"],
         includes: true),
    Case(line: "print(data.cl", expected: ["data.classes"]),
    Case(line: "scal + 1", cursor: 4, expected: ["scale"]),
    Case(line: "let q = sca", expected: ["scale"]),
    // Nothing inside a comment.
    Case(line: "1 # sca", expected: []),
    // Members at every level: a layer's parameters, `params` records, any record's fields,
    // a tensor's properties.
    Case(line: "net.dense1.", expected: ["net.dense1.bias", "net.dense1.weight"]),
    Case(line: "net.dense1.w", expected: ["net.dense1.weight"]),
    Case(line: "net.d", expected: ["net.dense1", "net.dense2"]),
    Case(line: "net.params.", expected: ["net.params.dense1", "net.params.dense2"]),
    Case(line: "net.params.dense2.", expected: ["net.params.dense2.bias",
                                                "net.params.dense2.weight"]),
    Case(line: "print(config.inner.", expected: ["config.inner.depth"]),
    Case(line: "config.", expected: ["config.inner", "config.lr"]),
    Case(line: "data.x.s", expected: ["data.x.shape", "data.x.size"]),
    Case(line: "net.nowhere.", expected: []),
    Case(line: "net..", expected: []),
    // A `train … {` entry continued on a later line (the REPL passes the earlier lines).
    Case(line: "train net on data {\n  ep", expected: ["epochs:"]),
    Case(line: "train net on xor() { ep", expected: ["epochs:"]),
    Case(line: "train net on data[0..<2] {\n  ep", expected: ["epochs:"]),
    Case(line: "train net on data {\n  loss: mse\n  ", expected: Builtins.trainingOptions
      .filter { $0 != "loss" }.map { $0 + ":" }.sorted()),
  ]

  func interpreter() throws -> Interpreter {
    let interpreter = Interpreter()
    _ = try interpreter.evaluate("let data = xor()")
    _ = try interpreter.evaluate("fn scale(factor, amount) { return factor * amount }")
    _ = try interpreter.evaluate("model net(2) { dense(3, tanh); dense(1) }")
    _ = try interpreter.evaluate("let config = {lr: 0.1, inner: {depth: 2}}")
    return interpreter
  }

  @Test(arguments: codeCases) func code(_ test: Case) throws {
    let interpreter = try interpreter()
    let cursor = test.cursor ?? test.line.count
    let got = interpreter.completions(line: test.line, cursor: cursor)
    if test.includes {
      #expect(Set(test.expected).isSubset(of: got), "\(got)")
    } else {
      #expect(got == test.expected)
    }
    #expect(Interpreter.completionContext(line: test.line, cursor: cursor).kind == .code)
  }

  static let fileCases: [Case] = [
    Case(line: "load_csv(\"da", expected: ["data.csv", "data/"]),
    Case(line: "load_csv(\"data/", expected: ["data/train.csv", "data/with space.csv"]),
    Case(line: "load_csv(\"data/w", expected: ["data/with space.csv"]),
    Case(line: "import \"li", expected: ["lib.nn"]),
    Case(line: "import \"", expected: ["data.csv", "data/", "lib.nn"]),
    Case(line: "import \".", expected: [".hidden"]),
    Case(line: ":load li", expected: ["lib.nn"]),
    Case(line: "  :load data/t", expected: ["data/train.csv"]),
    Case(line: "print(\"a\\\"b\", \"l", expected: ["lib.nn"]),
    Case(line: "load_csv(\"nowhere/", expected: []),
  ]

  @Test func fileNames() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-completion-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let files = FileManager.default
    try files.createDirectory(at: directory.appendingPathComponent("data"),
                              withIntermediateDirectories: true)
    for name in ["data.csv", "lib.nn", ".hidden", "data/train.csv", "data/with space.csv"] {
      try Data().write(to: directory.appendingPathComponent(name))
    }
    let interpreter = try interpreter()
    for test in Self.fileCases {
      let cursor = test.cursor ?? test.line.count
      let got = interpreter.completions(line: test.line, cursor: cursor, directory: directory.path)
      #expect(got == test.expected, "\(test)")
      let context = Interpreter.completionContext(line: test.line, cursor: cursor)
      #expect(context.kind == .fileName, "\(test)")
    }
    // A closed string is code again.
    #expect(Interpreter.completionContext(line: "load_csv(\"a.csv\", ", cursor: 17).kind == .code)
    #expect(Interpreter.completionContext(line: "\"da", cursor: 3).wordBreaks == "\"")
  }
}
