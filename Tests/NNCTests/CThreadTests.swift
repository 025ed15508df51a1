import CNN
import Foundation
import Testing

/// The C API's threading rules: nn_cancel from another thread, NN_BUSY for a second thread's
/// call, and nn_free deferred while a call runs.
struct CThreadTests {
  /// Runs `script` while another thread cancels it every 20 ms until the run returns: a
  /// request made before the run starts is dropped when it starts.
  private static func runCancelled(_ nn: CInterpreter, _ script: String) -> nn_status {
    let shared = SharedPointer(pointer: nn.pointer)
    let stop = Shared(false)
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      while !stop.current {
        Thread.sleep(forTimeInterval: 0.02)
        nn_cancel(shared.pointer)
      }
      finished.signal()
    }
    let status = nn.run(script)
    stop.current = true
    finished.wait()
    return status
  }

  @Test func cancelFromAnotherThreadStopsTheRunAndTheNextRunWorks() throws {
    let nn = try CInterpreter()
    let start = Date()
    #expect(Self.runCancelled(nn, "let i = 0\nwhile true { i += 1 }") == NN_INTERRUPTED)
    #expect(nn.diagnostics.first?.code == "interrupted")
    #expect(Date().timeIntervalSince(start) < 10)
    #expect((nn.number("i") ?? 0) > 0)
    #expect(nn.run("i = -1") == NN_OK)
    #expect(nn.number("i") == -1)
  }

  @Test func cancelStopsTrainingAfterTheCurrentBatch() throws {
    let nn = try CInterpreter()
    let status = Self.runCancelled(nn, """
      seed(0)
      model net(2) { dense(16, tanh); dense(1, sigmoid) }
      train net on xor() { epochs: 100000000, progress: false }
      """)
    #expect(status == NN_INTERRUPTED)
    #expect(nn.message.contains("training interrupted at epoch"))
    var kind: nn_kind = -1
    #expect(nn_kind_of(nn.pointer, "net", &kind) == NN_OK && kind == NN_OTHER)
  }

  /// While a host function holds the run, another thread's calls are refused, and its
  /// diagnostics reads give nothing; the run's own calls are not.
  @Test func aSecondThreadsCallIsBusyWhileARunIsInProgress() throws {
    let nn = try CInterpreter()
    let shared = SharedPointer(pointer: nn.pointer)
    let inside = DispatchSemaphore(value: 0)
    let tried = DispatchSemaphore(value: 0)
    let statuses = Shared<[nn_status]>([])
    Thread.detachNewThread {
      guard inside.wait(timeout: .now() + 30) == .success else { return }
      var x = 0.0
      let results = [
        nn_get_number(shared.pointer, "x", &x),
        nn_run(shared.pointer, "let other = 1", "other.nn"),
        nn_set_number(shared.pointer, "x", 2),
        nn_diagnostic_count(shared.pointer) == 0 ? NN_BUSY : NN_OK,
        nn_diagnostics_rendered(shared.pointer) == nil ? NN_BUSY : NN_OK,
      ]
      statuses.current = results
      tried.signal()
    }
    nn.register("hold", []) { call, _ in
      inside.signal()
      _ = tried.wait(timeout: .now() + 30)
      var x = 0.0
      nn_return_number(call, nn_get_number(shared.pointer, "x", &x) == NN_OK ? x : -1)
    }
    #expect(nn.run("let x = 1\nlet y = hold()") == NN_OK)
    #expect(statuses.current == Array(repeating: NN_BUSY, count: 5))
    #expect(nn.number("y") == 1)
    #expect(nn.number("other") == nil)
  }

  /// nn_free from inside a run (here, its own host function) frees the interpreter only when
  /// the run returns; the run's later calls back are refused.
  @Test func freeDuringARunWaitsForTheRunToReturn() throws {
    let interp = try #require(nn_new(nil))
    let shared = SharedPointer(pointer: interp)
    let statuses = Shared<[nn_status]>([])
    let function = HostFunction { call, _ in
      nn_free(shared.pointer)
      var x = 0.0
      let status = nn_get_number(shared.pointer, "x", &x)
      statuses.current.append(status)
      nn_return_number(call, 1)
    }
    let registered = nn_register(interp, "release", nil, 0, HostFunction.trampoline,
                                 Unmanaged.passUnretained(function).toOpaque())
    #expect(registered == NN_OK)
    let status = withExtendedLifetime(function) {
      nn_run(interp, "let x = 1\nrelease()\nlet z = x + 1", "free.nn")
    }
    #expect(status == NN_OK)
    #expect(statuses.current == [NN_BUSY])
  }
}
