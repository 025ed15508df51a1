import CNN
import Foundation
import Testing

/// The C API (nn.h) called through its own declarations, as a C host calls it: values in and
/// out, diagnostics, options and limits, and every misuse a status with a diagnostic.
struct CAPITests {
  @Test func numbersStringsAndTensorsGoInAndComeBack() throws {
    let nn = try CInterpreter()
    #expect(nn_set_number(nn.pointer, "rate", 0.25) == NN_OK)
    #expect(nn_set_string(nn.pointer, "label", "héllo") == NN_OK)
    let elements: [Float] = [1, 2, 3, 4, 5, 6]
    let shape: [Int64] = [2, 3]
    #expect(nn_set_tensor(nn.pointer, "x", elements, shape, 2) == NN_OK)
    #expect(nn.run("""
      let doubled = rate * 2
      let greeting = label + "!"
      let column = sum(x, axis: 1)
      print(x)
      """) == NN_OK)
    #expect(nn.output == "[[1, 2, 3],\n [4, 5, 6]]\n")
    #expect(nn.number("doubled") == 0.5)

    var length: Int64 = 0
    #expect(nn_get_string(nn.pointer, "greeting", nil, 0, &length) == NN_TOO_SMALL)
    #expect(length == 7)
    var buffer = [CChar](repeating: 1, count: Int(length) + 1)
    #expect(nn_get_string(nn.pointer, "greeting", &buffer, Int64(buffer.count), &length) == NN_OK)
    #expect(buffer.withUnsafeBufferPointer { text($0.baseAddress) } == "héllo!")
    #expect(nn_set_string(nn.pointer, "empty", "") == NN_OK)
    #expect(nn_get_string(nn.pointer, "empty", &buffer, 1, &length) == NN_OK)
    #expect(length == 0 && buffer[0] == 0)

    var rank: Int32 = -1
    var dimensions = [Int64](repeating: -1, count: Int(NN_MAX_RANK))
    var count: Int64 = 0
    #expect(nn_tensor_shape(nn.pointer, "column", &rank, &dimensions, &count) == NN_OK)
    #expect(rank == 1 && dimensions[0] == 2 && count == 2)
    var sums = [Float](repeating: 0, count: 2)
    #expect(nn_get_tensor(nn.pointer, "column", &sums, 2) == NN_OK)
    #expect(sums == [6, 15])

    var kind: nn_kind = -1
    #expect(nn_kind_of(nn.pointer, "column", &kind) == NN_OK && kind == NN_TENSOR)
    #expect(nn_kind_of(nn.pointer, "greeting", &kind) == NN_OK && kind == NN_STRING)
    #expect(nn_kind_of(nn.pointer, "print", &kind) == NN_OK && kind == NN_OTHER)
  }

  @Test func scalarAndEmptyTensorsHaveTheirShapes() throws {
    let nn = try CInterpreter()
    var one: Float = 7
    #expect(nn_set_tensor(nn.pointer, "s", &one, nil, 0) == NN_OK)
    #expect(nn_set_tensor(nn.pointer, "e", nil, [Int64(0), 3], 2) == NN_OK)
    var rank: Int32 = -1
    var count: Int64 = -1
    #expect(nn_tensor_shape(nn.pointer, "s", &rank, nil, &count) == NN_OK)
    #expect(rank == 0 && count == 1)
    #expect(nn_tensor_shape(nn.pointer, "e", &rank, nil, &count) == NN_OK)
    #expect(rank == 2 && count == 0)
    #expect(nn_get_tensor(nn.pointer, "e", nil, 0) == NN_OK)
    var back: Float = 0
    #expect(nn_get_tensor(nn.pointer, "s", &back, 1) == NN_OK && back == 7)
    // The most dimensions a tensor has, and one more.
    let ones = [Int64](repeating: 1, count: Int(NN_MAX_RANK) + 1)
    #expect(nn_set_tensor(nn.pointer, "r", &one, ones, NN_MAX_RANK) == NN_OK)
    #expect(nn_set_tensor(nn.pointer, "r", &one, ones, NN_MAX_RANK + 1) == NN_MISUSE)
    #expect(nn.message == "nn_set_tensor: rank 33 is not between 0 and 32")
  }

  @Test func everyMisuseIsAStatusWithADiagnostic() throws {
    let nn = try CInterpreter()
    let p = nn.pointer
    var number = 0.0
    var element: Float = 0
    // Each call runs just before its diagnostic is read.
    let checks: [(() -> nn_status, nn_status, String)] = [
      ({ nn_set_number(p, nil, 1) }, NN_MISUSE, "nn_set_number: the name is NULL"),
      ({ nn_set_number(p, "two words", 1) }, NN_MISUSE,
       "nn_set_number: 'two words' is not a name (a letter or _, then letters, digits or _)"),
      ({ nn_set_number(p, "1x", 1) }, NN_MISUSE,
       "nn_set_number: '1x' is not a name (a letter or _, then letters, digits or _)"),
      ({ nn_get_number(p, "missing", &number) }, NN_NOT_FOUND,
       "nn_get_number: no value is named 'missing'"),
      ({ nn_set_string(p, "s", nil) }, NN_MISUSE, "nn_set_string: text is NULL"),
      ({ nn_set_tensor(p, "t", nil, [Int64(2)], 1) }, NN_MISUSE,
       "nn_set_tensor: data is NULL for a tensor of shape [2]"),
      ({ nn_set_tensor(p, "t", &element, [Int64(-1)], 1) }, NN_MISUSE,
       "nn_set_tensor: negative dimension -1 in shape [-1]"),
      ({ nn_set_tensor(p, "t", &element, nil, 1) }, NN_MISUSE, "nn_set_tensor: shape is NULL"),
      ({ nn_set_tensor(p, "t", &element, [Int64(1 << 20), 1 << 20], 2) }, NN_MISUSE,
       "nn_set_tensor: "),
      ({ nn_run(p, nil, "x.nn") }, NN_MISUSE, "nn_run: source is NULL"),
      ({ nn_run_file(p, nil) }, NN_MISUSE, "nn_run_file: path is NULL or not UTF-8"),
    ]
    for (call, expected, message) in checks {
      #expect(call() == expected)
      #expect(nn_diagnostic_count(p) == 1)
      #expect(nn.message.hasPrefix(message), "\(nn.message)")
    }
    // Invalid UTF-8 in a name.
    let invalid: [CChar] = [CChar(bitPattern: 0xFF), 0]
    #expect(nn_set_number(p, invalid, 1) == NN_MISUSE)
    #expect(nn.message == "nn_set_number: the name is not UTF-8")

    // A value of the wrong kind, and buffers too small.
    #expect(nn.run("let n = 3\nlet t = [1, 2, 3]\nlet s = \"abc\"") == NN_OK)
    #expect(nn_get_tensor(p, "n", &element, 1) == NN_WRONG_KIND)
    #expect(nn.diagnostics.first?.code == "typeMismatch")
    #expect(nn.message == "nn_get_tensor: 'n' is a number, not a tensor")
    #expect(nn_get_number(p, "t", &number) == NN_WRONG_KIND)
    #expect(nn_get_string(p, "n", nil, 0, nil) == NN_WRONG_KIND)
    #expect(nn_get_tensor(p, "t", &element, 1) == NN_TOO_SMALL)
    #expect(nn.message == "nn_get_tensor: the tensor has 3 elements; the buffer holds 1")
    var small = [CChar](repeating: 0, count: 3)
    #expect(nn_get_string(p, "s", &small, 3, nil) == NN_TOO_SMALL)

    // No interpreter at all.
    #expect(nn_run(nil, "1", nil) == NN_MISUSE)
    #expect(nn_run_file(nil, "x.nn") == NN_MISUSE)
    #expect(nn_set_number(nil, "x", 1) == NN_MISUSE)
    #expect(nn_get_tensor(nil, "x", nil, 0) == NN_MISUSE)
    #expect(nn_register(nil, "f", nil, 0, HostFunction.trampoline, nil) == NN_MISUSE)
    #expect(nn_cancel(nil) == NN_MISUSE)
    #expect(nn_diagnostic_count(nil) == 0)
    #expect(nn_diagnostic_message(nil, 0) == nil)
    #expect(nn_diagnostics_rendered(nil) == nil)
    nn_free(nil)
    nn_options_init(nil)
  }

  @Test func aFailedRunsDiagnosticsSayWhereAndASuccessfulCallClearsThem() throws {
    let nn = try CInterpreter()
    #expect(nn.run("let rates = 1\nprint(rate)", name: "job.nn") == NN_ERROR)
    let diagnostic = try #require(nn.diagnostics.first)
    #expect(diagnostic.message == "undefined name 'rate'")
    #expect(diagnostic.code == "undefinedName")
    #expect(diagnostic.file == "job.nn")
    #expect(diagnostic.line == 2 && diagnostic.column == 7)
    #expect(diagnostic.hint == "did you mean 'rates'?")
    #expect(diagnostic.rendered.contains(" --> job.nn:2:7\n"))
    #expect(text(nn_diagnostics_rendered(nn.pointer)) == diagnostic.rendered)
    #expect(nn_diagnostic_message(nn.pointer, 1) == nil)
    #expect(nn_diagnostic_message(nn.pointer, -1) == nil)
    #expect(nn_diagnostic_line(nn.pointer, 5) == 0)

    #expect(nn.run("print(") == NN_ERROR)
    #expect(nn.diagnostics.first?.code == "unexpectedEndOfInput")
    #expect(nn.run("1 +") != NN_OK)
    #expect(nn.run("let ok = 1") == NN_OK)
    #expect(nn_diagnostic_count(nn.pointer) == 0)
    #expect(text(nn_diagnostics_rendered(nn.pointer)) == "")
  }

  @Test func invalidOptionsMakeNoInterpreter() {
    var options = nn_options()
    nn_options_init(&options)
    options.file_access = 9
    #expect(nn_new(&options) == nil)
    nn_options_init(&options)
    options.step_limit = -1
    #expect(nn_new(&options) == nil)
    nn_options_init(&options)
    options.time_limit = .nan
    #expect(nn_new(&options) == nil)
    let interp = nn_new(nil)
    #expect(interp != nil)
    nn_free(interp)
  }

  @Test func limitsAndTheSandboxAreStatuses() throws {
    let steps = try CInterpreter { $0.step_limit = 1000 }
    #expect(steps.run("let i = 0\nwhile true { i += 1 }") == NN_LIMIT)
    #expect(steps.diagnostics.first?.code == "stepLimit")

    let time = try CInterpreter { $0.time_limit = 0.05 }
    #expect(time.run("let i = 0\nwhile true { i += 1 }") == NN_LIMIT)
    #expect(time.diagnostics.first?.code == "resourceLimit")

    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-capi-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try "let from_file = 42\n".write(to: directory.appendingPathComponent("job.nn"),
                                     atomically: true, encoding: .utf8)
    let files = try directory.path.withCString { path in
      try CInterpreter { $0.working_directory = path }
    }
    #expect(nn_run_file(files.pointer, "job.nn") == NN_OK)
    #expect(files.number("from_file") == 42)
    #expect(nn_run_file(files.pointer, "absent.nn") == NN_ERROR)
    #expect(files.diagnostics.first?.code == "fileError")

    let sandboxed = try directory.path.withCString { path in
      try CInterpreter {
        $0.working_directory = path
        $0.file_access = NN_FILES_NONE
      }
    }
    #expect(nn_run_file(sandboxed.pointer, "job.nn") == NN_ERROR)
    #expect(sandboxed.diagnostics.first?.code == "fileError")
  }

  @Test func statusesHaveNames() {
    #expect(text(nn_status_name(NN_OK)) == "NN_OK")
    #expect(text(nn_status_name(NN_BUSY)) == "NN_BUSY")
    #expect(text(nn_status_name(99)) == "NN_UNKNOWN")
  }
}
