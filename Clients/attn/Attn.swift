import ArgumentParser

/// `attn`: the command-line client of the `attnd` daemon. Links `AttnProtocol` and `JSONRPC`, never the model.
struct Attn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attn",
        abstract: "Attention-sparsity studies on GPT-2, one command each, computed by the attnd daemon.",
        discussion: """
        Each command talks to a listening daemon when one answers on the socket, else spawns \
        `attnd --stdio` for the one call.

        Socket: --socket PATH, else $ATTND_SOCKET, else the default path \
        $XDG_RUNTIME_DIR/selectattention/attnd.sock (or /tmp/selectattention-$UID/attnd.sock when \
        XDG_RUNTIME_DIR is unset). A socket named by --socket or $ATTND_SOCKET must answer; the \
        default one is only used when a daemon listens there. Start a shared daemon on the default \
        path with `attnd --listen "$(attn socket-path)" --model gpt2`.

        Input text: the TEXT argument, --file PATH, --tokens 1,2,3, or standard input when none \
        is given. A file and standard input are read byte for byte (a final newline is kept, as \
        Python's read() keeps it) and must be UTF-8 unless --encoding says otherwise.

        Exit codes:
          0    success
          1    the daemon answered with an error, a --model that cannot be loaded included (one \
               line: code, the flag, accepted range)
          2    usage error (bad option, bad value, unreadable --file)
          3    no daemon could be reached on the socket or spawned
          130  interrupted by Ctrl-C (the running request was cancelled)
        """,
        version: "attn \(DaemonSession.clientVersion)",
        subcommands: [
            ProfileCommand.self, SweepCommand.self, KLCommand.self, CalibrateCommand.self, ForwardCommand.self, EvalCommand.self,
            TokenizeCommand.self, RunsCommand.self, ReportCommand.self, ModelCommand.self, SocketPathCommand.self,
        ])
}
