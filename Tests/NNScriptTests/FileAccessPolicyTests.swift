import Foundation
import Testing

@testable import NNScript

/// `InterpreterOptions.fileAccess`: one check for every read, write and import.
struct FileAccessPolicyTests {
  /// A fresh folder holding `project/data.txt`, `project/lib.nn` and `outside.txt` beside it.
  private func makeTree() throws -> (root: String, project: String) {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-policy-\(UUID().uuidString)").path
    let project = root + "/project"
    try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
    try "inside".write(toFile: project + "/data.txt", atomically: true, encoding: .utf8)
    try "let imported = 1".write(toFile: project + "/lib.nn", atomically: true, encoding: .utf8)
    try "outside".write(toFile: root + "/outside.txt", atomically: true, encoding: .utf8)
    try "let far = 1".write(toFile: root + "/far.nn", atomically: true, encoding: .utf8)
    return (root, project)
  }

  private func outcome(
    _ policy: FileAccessPolicy, _ script: String, in project: String
  ) -> Diagnostic? {
    let interpreter = Interpreter(options: InterpreterOptions(
      workingDirectory: project, fileAccess: policy))
    do {
      try interpreter.run(script, name: "main.nn")
      return nil
    } catch {
      return error.diagnostics.first
    }
  }

  private func denied(_ diagnostic: Diagnostic?) -> Bool {
    diagnostic?.code == .fileError
      && diagnostic?.message.hasPrefix("file access is not allowed") == true
  }

  @Test func eachPolicyGatesReadsWritesAndImports() throws {
    let (root, project) = try makeTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let read = #"read("data.txt")"#
    let write = #"write("out.txt", "x")"#
    let importing = #"import "lib.nn""#

    for script in [read, write, importing] {
      #expect(outcome(.unrestricted, script, in: project) == nil)
      #expect(outcome(.readWrite(root: project), script, in: project) == nil)
      #expect(denied(outcome(.none, script, in: project)))
    }
    #expect(outcome(.readOnly(root: project), read, in: project) == nil)
    #expect(outcome(.readOnly(root: project), importing, in: project) == nil)
    #expect(denied(outcome(.readOnly(root: project), write, in: project)))
    // A relative root is taken from the working directory.
    #expect(outcome(.readWrite(root: "."), write, in: project) == nil)
  }

  @Test func escapingTheRootIsRefused() throws {
    let (root, project) = try makeTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for policy in [FileAccessPolicy.readOnly(root: project), .readWrite(root: project)] {
      #expect(denied(outcome(policy, #"read("../outside.txt")"#, in: project)))
      #expect(denied(outcome(policy, #"read("sub/../../outside.txt")"#, in: project)))
      #expect(denied(outcome(policy, #"read("\#(root)/outside.txt")"#, in: project)))
      #expect(denied(outcome(policy, #"import "../far.nn""#, in: project)))
      #expect(denied(outcome(policy, #"write("/tmp/nn-policy-escape.txt", "x")"#, in: project)))
      #expect(denied(outcome(policy, #"write("../escape.txt", "x")"#, in: project)))
    }
    #expect(!FileManager.default.fileExists(atPath: root + "/escape.txt"))
    // The root's sibling whose name starts like it is outside too.
    try FileManager.default.createDirectory(atPath: project + "2", withIntermediateDirectories: true)
    #expect(denied(outcome(.readWrite(root: project), #"write("../project2/x.txt", "x")"#,
                           in: project)))
  }

  @Test func symlinksLeadingOutOfTheRootAreRefused() throws {
    let (root, project) = try makeTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createSymbolicLink(atPath: project + "/link", withDestinationPath: root)
    let policy = FileAccessPolicy.readWrite(root: project)
    #expect(denied(outcome(policy, #"read("link/outside.txt")"#, in: project)))
    #expect(denied(outcome(policy, #"write("link/new.txt", "x")"#, in: project)))
  }

  @Test func runFileAndSaveLoadAndPlotAreChecked() throws {
    let (root, project) = try makeTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let interpreter = Interpreter(options: InterpreterOptions(
      workingDirectory: project, fileAccess: .readOnly(root: project)))
    try interpreter.runFile("lib.nn")
    do {
      try interpreter.runFile("../far.nn")
      Issue.record("runFile escaped the root")
    } catch {
      #expect(denied(error.diagnostics.first))
    }
    let save = "model net(2) { dense(1) }\nsave(net, \"net.safetensors\")"
    #expect(denied(outcome(.readOnly(root: project), save, in: project)))
    #expect(denied(outcome(.none, #"let m = load("net.safetensors")"#, in: project)))
    #expect(denied(outcome(.readOnly(root: project), #"plot([1, 2], file: "p.svg")"#,
                           in: project)))
    #expect(denied(outcome(.none, #"load_csv("data.txt")"#, in: project)))
    // `check` follows imports without reading files the policy refuses.
    let checker = Interpreter(options: InterpreterOptions(
      workingDirectory: project, fileAccess: .readOnly(root: project)))
    #expect(checker.check(#"import "lib.nn""#, name: "main.nn").isEmpty)
    #expect(denied(checker.check(#"import "../far.nn""#, name: "main.nn").first))
  }
}
