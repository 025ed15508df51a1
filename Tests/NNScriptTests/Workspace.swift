import Foundation
import NNRuntime

@testable import NNScript

/// A temporary folder and an interpreter whose working directory it is (removed with it).
final class Workspace {
  let folder: String
  let printed = OutputBuffer()
  let interpreter: Interpreter

  init() throws {
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-persistence-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let printed = self.printed
    interpreter = Interpreter(options: InterpreterOptions(
      output: { printed.append($0) }, workingDirectory: folder))
  }

  deinit {
    try? FileManager.default.removeItem(atPath: folder)
  }

  func path(_ name: String) -> String { folder + "/" + name }

  /// The value of the source's last statement; a failure is thrown as its rendered diagnostic.
  @discardableResult
  func run(_ source: String) throws -> Value {
    do {
      return try interpreter.evaluate(source, name: "test.nn")
    } catch {
      throw ScriptFailure(text: error.rendered(color: false))
    }
  }

  /// The rendered diagnostic the source fails with, or nil when it runs.
  func failure(_ source: String) -> String? {
    do {
      _ = try interpreter.evaluate(source, name: "test.nn")
      return nil
    } catch {
      return error.rendered(color: false)
    }
  }

  func model(_ name: String) throws -> ModelObject {
    guard case .object(let model as ModelObject) = try run(name) else {
      throw ScriptFailure(text: "\(name) is not a model")
    }
    return model
  }

  func tensor(_ source: String) throws -> Tensor {
    guard case .tensor(let tensor) = try run(source) else {
      throw ScriptFailure(text: "\(source) is not a tensor")
    }
    return tensor
  }

  var files: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
  }
}

struct ScriptFailure: Error, CustomStringConvertible {
  var text: String
  var description: String { text }
}

/// A model's parameters by name.
func parameters(_ model: ModelObject) -> [String: Tensor] {
  var result: [String: Tensor] = [:]
  for (index, name) in model.network.parameterNames.enumerated() {
    result[name] = model.network.parameters.tensor(index)
  }
  return result
}

/// Runs `python script arguments…`; its exit status and everything it printed.
func runPython(_ python: String, _ script: String, _ arguments: [String]) throws
  -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python)
  process.arguments = [script] + arguments
  let output = Pipe()
  process.standardInput = FileHandle.nullDevice
  process.standardOutput = output
  process.standardError = output
  try process.run()
  let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  return (process.terminationStatus, text)
}
