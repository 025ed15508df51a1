import Foundation
import NNRuntime
import Testing

@testable import NNScript

/// The help of every built-in: complete, runnable, and the source of `docs/builtins.md`.
enum BuiltinReference {
  static let path: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/builtins.md").path
  }()
}

@Suite("built-in help")
struct BuiltinHelpTests {
  @Test("every built-in has help, and every help entry names a built-in")
  func builtinHelpIsComplete() {
    let names = Set(Builtins.names)
    for name in Builtins.names {
      #expect(BuiltinHelp.entries[name] != nil, "no help for \(name)")
    }
    for (name, entry) in BuiltinHelp.entries {
      #expect(names.contains(name), "help for \(name), which is not a built-in")
      #expect(BuiltinHelp.families.contains(entry.family), "\(name): family \(entry.family)")
      #expect(!entry.summary.isEmpty && entry.summary.hasSuffix("."), "\(name): summary")
      #expect(entry.example.split(separator: "\n").count <= 2, "\(name): example too long")
    }
  }

  @Test("docs/builtins.md is the generated reference")
  func builtinReferenceMatchesDocs() throws {
    let reference = Interpreter.builtinReference()
    if ProcessInfo.processInfo.environment["NN_RECORD_GOLDEN"] != nil {
      try reference.write(toFile: BuiltinReference.path, atomically: true, encoding: .utf8)
      return
    }
    let docs = try String(contentsOfFile: BuiltinReference.path, encoding: .utf8)
    #expect(docs == reference, "docs/builtins.md is stale: run the tests with NN_RECORD_GOLDEN=1")
    // Signatures are as long as their parameter lists; everything else fits 100 columns.
    for line in reference.split(separator: "\n") where !line.hasPrefix("`") {
      #expect(line.count <= 100, "reference line over 100 columns: \(line)")
    }
  }

  @Test("every help example runs", arguments: Builtins.names)
  func builtinHelpExampleRuns(_ name: String) throws {
    let example = try #require(BuiltinHelp.entries[name]).example
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-help-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = OutputBuffer()
    let options = InterpreterOptions(
      output: { output.append($0) }, workingDirectory: directory.path, stepLimit: 5_000_000,
      showsTimings: false)
    let interpreter = Interpreter(options: options)
    do {
      try interpreter.run(example, name: "help-\(name).nn")
    } catch {
      Issue.record("the example of \(name) fails:\n\(example)\n\(error.rendered(color: false))")
    }
  }

  @Test("help prints the signature, the sentence and the example")
  func helpForAdam() throws {
    let text = try #require(Interpreter().help(for: "adam"))
    let entry = try #require(BuiltinHelp.entries["adam"])
    #expect(text.hasPrefix("adam(lr, "))
    #expect(text.contains("lr"))
    #expect(text.contains(entry.summary))
    #expect(text.contains("example: let opt = adam("))
    #expect(Interpreter().help(for: "print")?.hasPrefix("print(values..., every_rank)") == true)
    #expect(Interpreter().help(for: "no_such_builtin") == nil)
  }

  @Test("schedules and initialisers take their parameters from the runtime's declarations")
  func declaredHyperparametersAreTheBuiltinsParameters() throws {
    let warmup = try #require(Builtins.byName["warmup"])
    #expect(warmup.parameter("epochs")?.defaultValue
      == .number(LearningRateSchedule.warmupHyperparameters[0].defaultValue))
    #expect(warmup.parameter("epochs")?.kind == .wholeNumber)
    let normal = try #require(Builtins.byName["normal"])
    #expect(normal.parameter("std")?.range == Initializer.normalHyperparameters[0].range)
    #expect(Builtins.byName["step"]?.parameter("gamma")?.defaultValue == .number(0.1))
    // Help exists once: every built-in's comes from its declaration (the activations' from
    // the runtime's activation declarations).
    let undeclared = Builtins.all.filter { $0.doc == nil }.map(\.name).sorted()
    #expect(undeclared == [])
  }
}
