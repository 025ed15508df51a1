import Foundation
import Testing

/// The REPL as a person meets it: `nn` in a real pseudo-terminal (tmux), keystrokes in, the
/// screen out. Skipped where tmux is missing (scripts/test installs it).
struct TerminalTests {
  /// A tmux session running one program, with helpers to type and to read the screen.
  ///
  /// Each terminal has its own tmux server (`-L`), stopped when the terminal goes away. tmux
  /// clients are started with `spawnDetached`, since the first one forks a server that outlives
  /// it (see there).
  final class Terminal {
    let name = "nn-test-\(UUID().uuidString.prefix(8))"
    let tmux: String
    let command: String

    init?(command: String) throws {
      self.command = command
      guard let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first(where: {
        FileManager.default.isExecutableFile(atPath: $0)
      }) else { return nil }
      self.tmux = tmux
      run(["new-session", "-d", "-s", name, "-x", "160", "-y", "60", command])
    }

    deinit { run(["kill-server"]) }

    @discardableResult
    func run(_ arguments: [String]) -> String {
      spawnDetached(tmux, ["-L", name] + arguments)
    }

    /// Types `text` (literally) and presses Enter unless told not to.
    func type(_ text: String, enter: Bool = true) throws {
      run(["send-keys", "-t", name, "-l", text])
      if enter { try key("Enter") }
    }

    func key(_ name: String) throws { run(["send-keys", "-t", self.name, name]) }

    var screen: String { run(["capture-pane", "-p", "-t", name, "-S", "-200"]) }

    /// Waits until the screen shows `text` `count` times (or gives up after `seconds`).
    func waitFor(_ text: String, count: Int = 1, seconds: Double = 20) -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if screen.components(separatedBy: text).count - 1 >= count { return true }
        Thread.sleep(forTimeInterval: 0.1)
      }
      return false
    }
  }

  @Test func aSessionDeclaresTrainsIsInterruptedAndGoesOn() throws {
    let nn = try NNExecutable.locate()
    let history = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-history-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: history) }
    guard let terminal = try Terminal(
      command: "env NN_HISTORY=\(history) OPENBLAS_NUM_THREADS=1 \(nn.url.path)")
    else {
      print("tmux is not installed; the terminal test is skipped")
      return
    }
    #expect(terminal.waitFor("nn>"))  // the pane drops trailing spaces

    // A model declared over several lines: continuation prompts, then its summary.
    try terminal.type("model net(2) {")
    #expect(terminal.waitFor("...>"))
    try terminal.type("dense(8, tanh)")
    try terminal.type("dense(1, sigmoid)")
    try terminal.type("}")
    #expect(terminal.waitFor("<model net: 2 → dense(8, tanh) → dense(1, sigmoid), 33 parameters>"))

    // An error keeps the session.
    try terminal.type("let data = xor()")
    try terminal.type("data.q")
    #expect(terminal.waitFor("has no member 'q'"))

    // Training, interrupted with Ctrl-C: the prompt comes back and the model is still there.
    try terminal.type(
      "train net on data { loss: mse, optimizer: adam(lr: 0.05), epochs: 100000000 }")
    #expect(terminal.waitFor("epoch "))
    Thread.sleep(forTimeInterval: 0.5)
    try terminal.key("C-c")
    #expect(terminal.waitFor("training interrupted at epoch"))
    try terminal.type("net(data.x).shape")
    #expect(terminal.waitFor("[4, 1]"))

    // An endless loop stops on Ctrl-C as well, and the session goes on.
    try terminal.type("while true { }")
    Thread.sleep(forTimeInterval: 0.5)
    try terminal.key("C-c")
    #expect(terminal.waitFor("error: interrupted"))
    try terminal.type("net(data.x).shape")
    #expect(terminal.waitFor("[4, 1]", count: 2))

    // Tab completes a bound name; arrow-up brings back the last line.
    try terminal.type("let learning_rate = 0.125")
    try terminal.type("learning_ra", enter: false)
    try terminal.key("Tab")
    try terminal.key("Enter")
    #expect(terminal.waitFor("0.125", count: 2))
    try terminal.key("Up")
    try terminal.key("Enter")
    #expect(terminal.waitFor("0.125", count: 3))

    // Ctrl-C at the prompt clears the line; Ctrl-D on an empty line ends the session.
    try terminal.type("this is not finished", enter: false)
    try terminal.key("C-c")
    try terminal.type("1 + 41")
    #expect(terminal.waitFor("42"))
    #expect(!terminal.screen.contains("undefined name 'this'"))
    try terminal.key("C-d")
  }

  /// Tab inside a call offers the built-in's named arguments: `adam(be` becomes `adam(beta`,
  /// the common start of `beta1:` and `beta2:`; further Tabs list both (readline takes the
  /// Tab after a partial completion as a fresh attempt, so listing needs two more).
  @Test func tabCompletesNamedArgumentsInsideACall() throws {
    let nn = try NNExecutable.locate()
    let history = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-history-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: history) }
    guard let terminal = try Terminal(
      command: "env NN_HISTORY=\(history) OPENBLAS_NUM_THREADS=1 \(nn.url.path)")
    else {
      print("tmux is not installed; the terminal test is skipped")
      return
    }
    #expect(terminal.waitFor("nn>"))
    try terminal.type("adam(be", enter: false)
    try terminal.key("Tab")
    #expect(terminal.waitFor("nn> adam(beta"))
    try terminal.key("Tab")
    try terminal.key("Tab")
    #expect(terminal.waitFor("beta1:"))
    #expect(terminal.screen.contains("beta2:"))
    try terminal.key("C-c")
    try terminal.key("C-d")
  }

  /// Starts `nn` in a terminal with its own history file; nil where tmux is missing.
  func startREPL() throws -> (Terminal, String)? {
    let nn = try NNExecutable.locate()
    let history = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-history-\(UUID().uuidString)").path
    guard let terminal = try Terminal(
      command: "env NN_HISTORY=\(history) OPENBLAS_NUM_THREADS=1 \(nn.url.path)")
    else {
      print("tmux is not installed; the terminal test is skipped")
      return nil
    }
    return (terminal, history)
  }

  /// One Up recalls a whole multi-line entry, which runs again as one entry; the history file
  /// keeps it as one entry for the next session too.
  @Test func aMultiLineEntryIsOneHistoryEntry() throws {
    guard let (terminal, history) = try startREPL() else { return }
    defer { try? FileManager.default.removeItem(atPath: history) }
    #expect(terminal.waitFor("nn>"))
    try terminal.type("model net(2) {")
    try terminal.type("dense(8, tanh)")
    try terminal.type("dense(1, sigmoid)")
    try terminal.type("}")
    let summary = "<model net: 2 → dense(8, tanh) → dense(1, sigmoid), 33 parameters>"
    #expect(terminal.waitFor(summary))
    try terminal.key("Up")
    #expect(terminal.waitFor("dense(1, sigmoid)", count: 2))
    try terminal.key("Enter")
    #expect(terminal.waitFor(summary, count: 2))
    try terminal.key("C-d")
    Thread.sleep(forTimeInterval: 0.5)

    // A fresh session reads the entry back whole.
    guard let second = try Terminal(command: terminal.command) else { return }
    #expect(second.waitFor("nn>"))
    try second.key("Up")
    #expect(second.waitFor("dense(1, sigmoid)"))
    try second.key("Enter")
    #expect(second.waitFor(summary))
    try second.key("C-d")
  }

  /// Tab completes members at any depth, and training options on a continuation line of a
  /// `train … {` block.
  @Test func tabCompletesNestedMembersAndTrainOptions() throws {
    guard let (terminal, history) = try startREPL() else { return }
    defer { try? FileManager.default.removeItem(atPath: history) }
    #expect(terminal.waitFor("nn>"))
    try terminal.type("model net(2) { dense(3, tanh); dense(1) }")
    #expect(terminal.waitFor("parameters>"))
    try terminal.type("net.dense1.we", enter: false)
    try terminal.key("Tab")
    #expect(terminal.waitFor("nn> net.dense1.weight"))
    try terminal.key("C-c")
    try terminal.type("net.params.dense2.b", enter: false)
    try terminal.key("Tab")
    #expect(terminal.waitFor("nn> net.params.dense2.bias"))
    try terminal.key("C-c")
    try terminal.type("train net on xor() {")
    #expect(terminal.waitFor("...>"))
    try terminal.type("epo", enter: false)
    try terminal.key("Tab")
    #expect(terminal.waitFor("...> epochs:"))
    try terminal.key("C-c")
    try terminal.key("C-d")
  }

  /// Ctrl-C while the live bar is drawn: the diagnostic starts on a line of its own.
  @Test func interruptingALiveBarPrintsTheDiagnosticOnAFreshLine() throws {
    guard let (terminal, history) = try startREPL() else { return }
    defer { try? FileManager.default.removeItem(atPath: history) }
    #expect(terminal.waitFor("nn>"))
    try terminal.type("model net(2) { dense(1) }")
    try terminal.type("let big = dataset(randn(400000, 2), randn(400000, 1))")
    try terminal.type("train net on big { loss: mse, batch: 1, epochs: 3 }")
    #expect(terminal.waitFor("ETA"))
    Thread.sleep(forTimeInterval: 0.3)
    try terminal.key("C-c")
    #expect(terminal.waitFor("training interrupted at epoch"))
    let line = terminal.screen.split(separator: "\n")
      .first { $0.contains("training interrupted at epoch") }
    #expect(line.map { !$0.contains("samples/s") } == true, "\(terminal.screen)")
    try terminal.key("C-d")
  }
}
