// The `nn` executable: parse the command line, run the chosen command, exit with its status.
//
// Exit status: 0 success, 1 when a script fails, 2 for a usage error (LANGUAGE.md §11).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A reader that goes away (`nn f.nn | head`) must not kill us with SIGPIPE; the writer sees
// EPIPE instead and ends the process quietly.
signal(SIGPIPE, SIG_IGN)

let status = NNTool.execute(Array(CommandLine.arguments.dropFirst()))
exit(StandardStreams.finish(status))
