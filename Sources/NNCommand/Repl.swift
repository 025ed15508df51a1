import Foundation
import NNScript

/// The REPL's state and its handling of complete entries, shared by the interactive loop
/// (readline) and the piped one (lines from a file or pipe): each entry runs in the same
/// interpreter, its value is echoed, and an error is reported without ending the session.
final class ReplSession {
  private let options: InterpreterOptions
  private(set) var interpreter: Interpreter
  /// Entries run so far; entry N is called `<repl:N>` in diagnostics.
  private var entryCount = 0
  /// `:time` prints each entry's wall time.
  private var showsTime = false
  /// Whether any entry failed: the piped mode's exit status.
  private(set) var anyFailed = false
  /// Lines of an entry not yet complete.
  private var pending: [String] = []
  /// Lines read so far, and the line the pending entry started on: piped entries all share the
  /// name `<stdin>`, so their diagnostics must count lines from the start of the input.
  private var linesRead = 0
  private var entryStartLine = 1

  /// Entries are called `<repl:N>`, or all `<stdin>` when `sourceName` is given (the piped
  /// mode, whose diagnostics name standard input as a script run from it always has).
  private let sourceName: String?

  init(arguments: [String], sourceName: String? = nil) {
    self.sourceName = sourceName
    options = InterpreterOptions.commandLine(arguments: arguments)
    interpreter = Interpreter(options: options)
  }

  /// Whether a line has been read that does not yet finish its entry (the `...> ` prompt).
  var isContinuing: Bool { !pending.isEmpty }

  /// The lines of the entry not yet complete, each ended by a newline: what completion reads
  /// before the line being typed, so a continuation line inside `train … {` or a call knows
  /// where it is.
  var pendingText: String { pending.map { $0 + "\n" }.joined() }

  /// What `feed` asks of its caller.
  enum Outcome {
    case proceed
    case quit
  }

  /// Takes one line of input: runs the entry it completes, or keeps it for the next line.
  func feed(_ line: String) -> Outcome {
    linesRead += 1
    if pending.isEmpty {
      entryStartLine = linesRead
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { return .proceed }
      if trimmed.hasPrefix(":") { return command(trimmed, in: line) }
    }
    pending.append(line)
    let text = pending.joined(separator: "\n")
    if interpreter.isIncomplete(text) { return .proceed }
    pending = []
    run(text)
    return .proceed
  }

  /// Drops a half-typed entry (Ctrl-C at a continuation prompt).
  func discardPending() { pending = [] }

  /// At the end of input: runs what is left, so an unfinished entry gets its diagnostic.
  func finish() {
    guard !pending.isEmpty else { return }
    let text = pending.joined(separator: "\n")
    pending = []
    run(text)
  }

  private func nextName() -> String {
    entryCount += 1
    if let sourceName { return sourceName }
    return "<repl:\(entryCount)>"
  }

  /// Runs one entry and echoes its value.
  private func run(_ text: String) {
    // A piped entry is numbered where it stands in the input, so `<stdin>:7:3` means line 7 of
    // what was piped in; a REPL entry is its own source from line 1. (Padding the entry with
    // the earlier lines' newlines did the same in time growing with the input: quadratic.)
    let firstLine = sourceName == nil ? 1 : entryStartLine
    timed { () throws(ScriptError) in
      let echo = try interpreter.evaluateLine(text, name: nextName(), firstLine: firstLine)
      if let echo { StandardStreams.output.write(echo + "\n") }
    }
  }

  /// Runs `body` with the interrupt flag clear, reports a failure, and prints the time taken
  /// when `:time` is on.
  private func timed(_ body: () throws(ScriptError) -> Void) {
    Interrupts.reset()
    let start = Date()
    do throws(ScriptError) {
      try body()
    } catch {
      anyFailed = true
      StandardStreams.writeDiagnostics(error)
    }
    Interrupts.reset()
    if showsTime {
      let seconds = Date().timeIntervalSince(start)
      StandardStreams.output.write(String(format: "(%.3f s)\n", seconds))
    }
    StandardStreams.output.flush()
  }

  // MARK: - Commands

  /// Runs the colon command `line` (trimmed), typed as `commandLine`.
  private func command(_ line: String, in commandLine: String) -> Outcome {
    let body = line.dropFirst()
    let word = String(body.prefix { !$0.isWhitespace })
    let argument = body.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
    // Where the argument stands, so its diagnostics point into the line as typed: its line in
    // piped input (a REPL entry is its own line 1) and its column after the command word.
    let argumentLine = sourceName == nil ? 1 : entryStartLine
    let argumentColumn = (commandLine.range(of: argument, options: .backwards)
      .map { commandLine.distance(from: commandLine.startIndex, to: $0.lowerBound) } ?? 0) + 1
    switch word {
    case "quit", "q", "exit":
      return .quit
    case "help", "h":
      printHelp(argument)
    case "vars":
      let variables = interpreter.sessionVariables
      if variables.isEmpty {
        StandardStreams.output.write("the session is empty: no names are bound\n")
      }
      for (name, type) in variables {
        StandardStreams.output.write("\(name): \(type)\n")
      }
    case "type":
      guard !argument.isEmpty else { return usage(":type EXPR") }
      timed { () throws(ScriptError) in
        let value = try interpreter.evaluateCommand(
          argument, name: nextName(), line: argumentLine, column: argumentColumn)
        StandardStreams.output.write(interpreter.typeDescription(of: value) + "\n")
      }
    case "load":
      guard !argument.isEmpty else { return usage(":load FILE") }
      timed { () throws(ScriptError) in try interpreter.runFile(argument) }
    case "reset":
      interpreter = Interpreter(options: options)
      StandardStreams.output.write("session reset\n")
    case "ir":
      guard !argument.isEmpty else { return usage(":ir NAME") }
      timed { () throws(ScriptError) in
        try interpreter.showPlan(
          argument, name: nextName(), line: argumentLine, column: argumentColumn)
      }
    case "time":
      showsTime.toggle()
      StandardStreams.output.write("timing \(showsTime ? "on" : "off")\n")
    default:
      anyFailed = true
      StandardStreams.writeError("unknown command ':\(word)'; :help lists the commands\n")
    }
    StandardStreams.output.flush()
    return .proceed
  }

  private func usage(_ text: String) -> Outcome {
    anyFailed = true
    StandardStreams.writeError("usage: \(text)\n")
    return .proceed
  }

  private func printHelp(_ topic: String) {
    if !topic.isEmpty {
      if let help = interpreter.help(for: topic) ?? interpreter.signature(of: topic) {
        StandardStreams.output.write(help + "\n")
      } else {
        anyFailed = true
        StandardStreams.writeError("no built-in, keyword or operator called '\(topic)'\n")
      }
      return
    }
    StandardStreams.output.write(Self.helpText)
  }

  static let helpText = """
    Enter statements or expressions; an expression's value is printed. An entry with an open
    bracket, brace or string continues on the next line (prompt `...> `).

      let x = 3                 bind a name (`x = 4` assigns)
      fn f(a, b) { a + b }      declare a function
      model net(2) { dense(8, tanh); dense(1, sigmoid) }
      train net on data { epochs: 10 }

    Commands:
      :help [NAME]   this text, or the signature, a sentence and an example for NAME: a
                     built-in (:help fit), a keyword (:help train, model, fn, for, while,
                     if, let, import) or an operator (:help @, :help operators)
      :vars          the names bound in this session, with their types
      :type EXPR     the type of EXPR's value, with a tensor's shape, a dataset's sizes
      :load FILE     run FILE in this session
      :ir NAME       the compiled plan of the model NAME
      :time          print the wall time of each entry (toggles)
      :reset         start again with a fresh session
      :quit          leave (so does Ctrl-D on an empty line)

    Ctrl-C clears the line, or stops the entry running (training stops after its batch).

    """
}

/// The two ways of driving a `ReplSession`.
enum Repl {
  /// Standard input is not a terminal: lines are read plainly, with no prompt and no echo of
  /// the input. Fails (status 1) when any entry failed.
  static func runPiped(arguments: [String]) -> Int32 {
    Interrupts.install()
    // One large-stack thread for the whole input, not one (or three) per entry.
    return Interpreter.runSession {
      let session = ReplSession(arguments: arguments, sourceName: "<stdin>")
      while let line = readLine(strippingNewline: true) {
        if case .quit = session.feed(line) { break }
        if Interrupts.requested { return Interrupts.exitStatus }
      }
      session.finish()
      StandardStreams.output.flush()
      return session.anyFailed ? ExitStatus.scriptFailure : ExitStatus.success
    }
  }

  /// Standard input is a terminal: readline with prompts, history and completion.
  static func runInteractive(arguments: [String]) -> Int32 {
    Interrupts.install(secondKills: false)
    let session = ReplSession(arguments: arguments)
    let editor = LineEditor(
      historyPath: historyPath(),
      // An entry's earlier lines come first, so completion inside a multi-line `train … {`
      // or call sees the bracket it is in.
      completions: { line, cursor in
        let before = session.pendingText
        return session.interpreter.completions(line: before + line, cursor: before.count + cursor)
      },
      context: { line, cursor in
        let before = session.pendingText
        return Interpreter.completionContext(line: before + line, cursor: before.count + cursor)
      })
    StandardStreams.output.write("nn \(nnVersion) — :help for help, :quit or Ctrl-D to leave\n")
    // The lines of the entry being read.
    var entry: [String] = []
    while true {
      switch editor.read(prompt: session.isContinuing ? "...> " : "nn> ") {
      case .line(let line):
        entry.append(line)
        let outcome = session.feed(line)
        // A multi-line entry is one history entry, newlines kept, so one Up recalls all of it.
        if !session.isContinuing {
          editor.remember(entry.joined(separator: "\n"))
          entry = []
        }
        if case .quit = outcome { return ExitStatus.success }
      case .interrupted:
        session.discardPending()
        entry = []
      case .endOfInput:
        StandardStreams.output.write("\n")
        StandardStreams.output.flush()
        return ExitStatus.success
      }
    }
  }

  /// `NN_HISTORY`, or `~/.nn_history`.
  private static func historyPath() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["NN_HISTORY"], !path.isEmpty { return path }
    let home = environment["HOME"] ?? NSHomeDirectory()
    return (home as NSString).appendingPathComponent(".nn_history")
  }
}
