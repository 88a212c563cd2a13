import ArgumentParser

/// The output option of commands that need no family registry (the server's clients): only
/// `--json`, so that `--families`, which they would ignore, is not offered.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false
}
