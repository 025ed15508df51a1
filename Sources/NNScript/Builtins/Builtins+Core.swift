import NNRuntime
import NNSyntax

extension Builtins {
  static let core: [Builtin] = [
    Builtin("print", [.optional("values...", .any, "what to print"), .everyRank], doc: BuiltinDoc(
      "output",
      "Writes its arguments separated by a space, then a line break; rank 0 only.",
      "print(\"loss\", 0.25, [1, 2])"),
      discardable: true) { (context) throws(Diagnostic) in
      guard try context.actsOnThisRank() else { return .nil }
      let text = context.rest.map { ValueFormatter.display($0.value) }.joined(separator: " ")
      context.evaluator.options.output(text + "\n")
      return .nil
    },
    Builtin("len", [
      .required("value", .any, "a string, list, record, dataset or tensor"),
    ], doc: BuiltinDoc(
      "values",
      "Returns the length of a string, list, record, dataset or a tensor's first axis.",
      "print(len([1, 2, 3]), len(\"abc\"))")) { (context) throws(Diagnostic) in
      let value = try context.require("value")
      switch value {
      case .list(let items): return .number(Double(items.count))
      case .string(let text): return .number(Double(text.count))
      case .record(let record): return .number(Double(record.count))
      case .tensor(let t): return .number(Double(t.rank == 0 ? 1 : t.shape[0]))
      case .range(let r): return .number(Double(r.count))
      case .object(let data as DatasetObject): return .number(Double(data.dataset.n))
      default:
        throw context.error(.typeMismatch, "a \(value.typeName) has no length", at: "value")
      }
    },
    Builtin("type", [.required("value", .any, "any value")], doc: BuiltinDoc(
      "values",
      "Returns the name of a value's type.",
      "print(type(1), type(\"a\"), type(zeros(2)))")) { (context) throws(Diagnostic) in
      .string(try context.require("value").typeName)
    },
    Builtin("str", [.required("value", .any, "any value")], doc: BuiltinDoc(
      "values",
      "Returns a value's printed form as a string.",
      "print(str(3) + \" items\")")) { (context) throws(Diagnostic) in
      .string(ValueFormatter.display(try context.require("value")))
    },
    Builtin("num", [.required("text", .string, "the text of a number")], doc: BuiltinDoc(
      "values",
      "Parses a string as a number.",
      "print(num(\"2.5\") * 2)")) { (context) throws(Diagnostic) in
      let text = try context.string("text")
      let cleaned = text.trimmingWhitespace
      guard let x = Double(cleaned) else {
        throw context.error(.invalidArgument, "\(ValueFormatter.quote(text)) is not a number",
                            at: "text")
      }
      return .number(x)
    },
    Builtin("append", [
      .required("list", .list, "the list"), .required("value", .any, "the value to add"),
    ], doc: BuiltinDoc(
      "values",
      "Returns a new list with a value added at the end.",
      "print(append([\"a\", \"b\"], \"c\"))")) { (context) throws(Diagnostic) in
      var items = try context.list("list")
      guard items.count < Limits.maxListCount else {
        throw context.error(.resourceLimit, "a list may hold at most \(Limits.maxListCount) values")
      }
      let value = try context.require("value")
      guard Nesting.fitsInside(value) else {
        throw context.error(.resourceLimit, Nesting.message, at: "value")
      }
      items.append(value)
      return .list(items)
    },
    Builtin("keys", [.required("record", .record, "a record")], doc: BuiltinDoc(
      "values",
      "Returns the field names of a record, in order.",
      "print(keys({lr: 0.1, epochs: 10}))")) { (context) throws(Diagnostic) in
      .list(try context.record("record").names.map { .string($0) })
    },
    Builtin("list", [.required("value", .any, "a range, tensor, string or list")], doc: BuiltinDoc(
      "values",
      "Turns a range, string, tensor or record into a list of its elements.",
      "print(list(0..<3))")) { (context) throws(Diagnostic) in
      let value = try context.require("value")
      switch value {
      case .list: return value
      case .range(let r):
        guard r.count <= Limits.maxListCount else {
          throw context.error(.resourceLimit,
                              "a list may hold at most \(Limits.maxListCount) values")
        }
        try context.checkListBytes(r.count)
        return .list((0..<r.count).map { .number(r.lower + Double($0)) })
      case .tensor(let t) where t.rank >= 1:
        // Each row becomes a tensor of its own, with its own storage and header.
        let row = MemoryBudget.bytes(t.count / Swift.max(t.shape[0], 1), of: Float.self)
        try context.checkListBytes(t.shape[0], eachHolding: row + Limits.tensorOverheadBytes)
        return .list(try (0..<t.shape[0]).map { (i) throws(Diagnostic) in
          Evaluator.wrap(try context.runtime { () throws(TensorError) in try t.slice([.index(i)]) })
        })
      case .string(let text):
        try context.checkListBytes(text.utf8.count)
        return .list(text.map { .string(String($0)) })
      default:
        throw context.error(.typeMismatch, "cannot make a list of a \(value.typeName)", at: "value")
      }
    },
    Builtin("assert", [
      .required("condition", .bool, "what must hold"),
      Parameter("message", .any, default: .string("assertion failed"), "the error's text"),
    ], doc: BuiltinDoc(
      "values",
      "Stops the script with the message when the condition is false.",
      "assert(1 + 1 == 2, \"arithmetic works\")"),
      discardable: true) { (context) throws(Diagnostic) in
      let condition = try context.require("condition")
      guard case .bool(let flag) = condition else {
        throw context.error(.typeMismatch, "assert needs a bool, not a \(condition.typeName)",
                            at: "condition")
      }
      if !flag {
        let message = context.value("message").map(ValueFormatter.display) ?? "assertion failed"
        throw context.error(.invalidOperation, message, at: "condition")
      }
      return .nil
    },
    Builtin("seed", [.required("n", .wholeNumber, "the seed")], doc: BuiltinDoc(
      "values",
      "Seeds the interpreter's random generator so runs repeat exactly.",
      "seed(42)\n"
      + "print(rand(2))"),
      discardable: true) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      context.evaluator.random = RandomGenerator(seed: UInt64(bitPattern: Int64(n)))
      return .nil
    },
    Builtin("json", [.required("value", .any, "any value")], doc: BuiltinDoc(
      "output",
      "Returns a value as JSON text (non-finite numbers become null).",
      "print(json({lr: 0.1, sizes: [2, 3]}))")) { (context) throws(Diagnostic) in
      .string(JSONEncoding.encode(try context.require("value")))
    },
    Builtin("read", [
      .required("path", .string, "the file, relative to the working directory"),
    ], doc: BuiltinDoc(
      "plots and files",
      "Returns the text of a file (a relative path is taken from the working directory).",
      "write(\"notes.txt\", \"hello\")\n"
      + "print(read(\"notes.txt\"))")) { (context) throws(Diagnostic) in
      let path = try context.filePath("path")
      let resolved = try context.checkedPath(path, write: false)
      if let kept = context.evaluator.keptFiles[resolved] {
        return .string(String(decoding: kept, as: UTF8.self))
      }
      switch FileAccess.readText(resolved) {
      case .success(let text): return .string(text)
      case .failure(.cannotRead(let reason)):
        throw context.error(.fileError, "cannot read '\(path)': \(reason)", at: "path")
      case .failure(.pastMemoryLimit(let reason)):
        throw context.error(.resourceLimit, "cannot read '\(path)': \(reason)", at: "path")
      }
    },
    Builtin("write", [
      .required("path", .string, "the file, relative to the working directory"),
      .required("text", .any, "what to write (any value, as print shows it)"), .everyRank,
    ], doc: BuiltinDoc(
      "plots and files",
      "Writes a string, or a value's printed form, to a file atomically; rank 0 only.",
      "write(\"out.txt\", \"loss: {0.25}\")"),
      discardable: true) { (context) throws(Diagnostic) in
      let path = try context.filePath("path")
      let text = ValueFormatter.display(try context.require("text"))
      // Atomic, like `save`: a crash never leaves half a file in place of a good one.
      let resolved = try context.checkedPath(path, write: true)
      if case .failure(let failure) = try context.writeFile(resolved, Array(text.utf8)) {
        throw context.error(.fileError, "cannot write '\(path)': \(failure.reason)", at: "path")
      }
      return .nil
    },
  ]
}

extension String {
  var trimmingWhitespace: String {
    let scalars = unicodeScalars
    guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[start...end])
  }
}
