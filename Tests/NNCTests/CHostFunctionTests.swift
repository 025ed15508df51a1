import CNN
import Foundation
import Testing

/// Host functions registered with nn_register: what their arguments look like in C, what they
/// can return, and their errors as diagnostics at the call.
struct CHostFunctionTests {
  /// What one argument looked like, copied out while the callback ran.
  struct Seen: Equatable {
    var kind: nn_kind
    var number = 0.0
    var string: String?
    var shape: [Int64] = []
    var elements: [Float] = []
  }

  static func seen(_ value: nn_value) -> Seen {
    var seen = Seen(kind: value.kind, number: value.number, string: text(value.string))
    if value.kind == NN_TENSOR {
      seen.shape = Array(UnsafeBufferPointer(start: value.shape, count: Int(value.rank)))
      seen.elements = Array(UnsafeBufferPointer(start: value.data, count: Int(value.count)))
    }
    return seen
  }

  /// A parameter the script leaves out arrives as NN_NIL.
  @Test func argumentsArriveAsTheirKindsInDeclaredOrder() throws {
    let nn = try CInterpreter()
    var seen: [Seen] = []
    let names = ["n", "flag", "text", "t", "other", "absent"]
    #expect(nn.register("probe", names) { call, arguments in
      seen = arguments.map(Self.seen)
      nn_return_number(call, Double(arguments.count))
    } == NN_OK)
    #expect(nn.run("""
      let count = probe(1.5, true, t: [[1, 2], [3, 4]], text: "hé", other: [1, "a"])
      """) == NN_OK, "\(nn.message)")
    #expect(nn.number("count") == 6)
    #expect(seen == [
      Seen(kind: NN_NUMBER, number: 1.5),
      Seen(kind: NN_BOOL, number: 1),
      Seen(kind: NN_STRING, string: "hé"),
      Seen(kind: NN_TENSOR, shape: [2, 2], elements: [1, 2, 3, 4]),
      Seen(kind: NN_OTHER, string: "list"),
      Seen(kind: NN_NIL),
    ])
  }

  @Test func eachKindOfAnswerReachesTheScript() throws {
    let nn = try CInterpreter()
    nn.register("number", []) { call, _ in nn_return_number(call, 2.5) }
    nn.register("flag", []) { call, _ in nn_return_bool(call, 1) }
    nn.register("word", []) { call, _ in nn_return_string(call, "ok") }
    nn.register("nothing", []) { _, _ in }
    nn.register("grid", []) { call, _ in
      let elements: [Float] = [1, 2, 3, 4, 5, 6]
      nn_return_tensor(call, elements, [Int64(3), 2], 2)
    }
    #expect(nn.run("""
      assert(number() == 2.5)
      assert(flag())
      assert(word() == "ok")
      assert(nothing() == nil)
      let g = grid()
      print(g)
      """) == NN_OK, "\(nn.message)")
    #expect(nn.output == "[[1, 2],\n [3, 4],\n [5, 6]]\n")
  }

  @Test func anErrorFromTheCallbackIsADiagnosticAtTheCall() throws {
    let nn = try CInterpreter()
    nn.register("fetch", ["key"]) { call, _ in nn_return_error(call, "no such key") }
    #expect(nn.run("let a = 1\nlet b = fetch(\"k\")", name: "host.nn") == NN_ERROR)
    let diagnostic = try #require(nn.diagnostics.first)
    #expect(diagnostic.message == "fetch: no such key")
    #expect(diagnostic.file == "host.nn")
    #expect(diagnostic.line == 2 && diagnostic.column == 9)

    // An answer C cannot make is the call's error too.
    nn.register("bad", []) { call, _ in
      var element: Float = 0
      #expect(nn_return_tensor(call, &element, [Int64(-2)], 1) == NN_MISUSE)
    }
    #expect(nn.run("bad()") == NN_ERROR)
    #expect(nn.message == "bad: nn_return_tensor: negative dimension -2 in shape [-2]")
    nn.register("invalid", []) { call, _ in
      let bytes: [CChar] = [CChar(bitPattern: 0xC3), 0]
      #expect(nn_return_string(call, bytes) == NN_MISUSE)
    }
    #expect(nn.run("invalid()") == NN_ERROR)
    #expect(nn.message == "invalid: nn_return_string: text is not UTF-8")
    #expect(nn_return_number(nil, 1) == NN_MISUSE)
    #expect(nn_return_error(nil, "x") == NN_MISUSE)
  }

  @Test func theScriptsArgumentErrorsComeFromTheBinder() throws {
    let nn = try CInterpreter()
    nn.register("one", ["x"]) { call, _ in nn_return_number(call, 1) }
    #expect(nn.run("one(1, 2)") == NN_ERROR)
    #expect(nn.run("one(y: 2)") == NN_ERROR)
    #expect(nn.diagnostics.first?.line == 1)
  }

  @Test func registeringRefusesWhatCannotBeCalled() throws {
    let nn = try CInterpreter()
    #expect(nn_register(nn.pointer, "f", nil, 0, nil, nil) == NN_MISUSE)
    #expect(nn.message == "nn_register: the function is NULL")
    #expect(nn.register("f", ["x", "x"]) { _, _ in } == NN_MISUSE)
    #expect(nn.message == "nn_register: parameter 'x' is named twice")
    #expect(nn.register("f", ["not a name"]) { _, _ in } == NN_MISUSE)
    #expect(nn_register(nn.pointer, "f", nil, 2, HostFunction.trampoline, nil) == NN_MISUSE)
    #expect(nn.message == "nn_register: parameters is NULL for 2 parameters")
    #expect(nn_register(nn.pointer, "f", nil, -1, HostFunction.trampoline, nil) == NN_MISUSE)
    #expect(nn.register("print", []) { _, _ in } == NN_MISUSE)
    #expect(nn.message.hasPrefix("nn_register: 'print' is a built-in"))
    #expect(nn.register("while", []) { _, _ in } == NN_MISUSE)
    #expect(nn.register("f", []) { _, _ in } == NN_OK)
  }

  /// A callback sees that its run was asked to stop, and the run stops when it returns.
  @Test func aCallbackSeesACancel() throws {
    let nn = try CInterpreter()
    let pointer = nn.pointer
    var seen: [Int32] = []
    nn.register("probe", []) { call, _ in
      seen.append(nn_call_cancelled(call))
      nn_cancel(pointer)
      seen.append(nn_call_cancelled(call))
    }
    #expect(nn.run("probe()\nlet after = 1") == NN_INTERRUPTED)
    #expect(seen == [0, 1])
    #expect(nn.run("let after = 2") == NN_OK)
  }

  /// A callback runs while `nn_run` is busy, yet may use its interpreter: that is the run's
  /// own thread, not a second one.
  @Test func aCallbackMayCallBackIntoItsInterpreter() throws {
    let nn = try CInterpreter()
    let pointer = nn.pointer
    nn.register("twice", []) { call, _ in
      var x = 0.0
      guard nn_get_number(pointer, "missing", &x) == NN_NOT_FOUND,
        nn_get_number(pointer, "x", &x) == NN_OK,
        nn_set_number(pointer, "from_host", x * 2) == NN_OK,
        nn_run(pointer, "let inner = from_host + 1", "inner.nn") == NN_OK
      else {
        nn_return_error(call, "the call back failed")
        return
      }
      nn_return_number(call, x * 2)
    }
    #expect(nn.run("let x = 21\nlet y = twice()") == NN_OK, "\(nn.message)")
    #expect(nn.number("y") == 42)
    #expect(nn.number("inner") == 43)
    // The run succeeded: what the callback's failed call recorded is gone.
    #expect(nn_diagnostic_count(nn.pointer) == 0)
  }
}
