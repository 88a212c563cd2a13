import Foundation
import GSSA
import MesherCGAL

#if canImport(Glibc)
import Glibc
#endif

/// `gssa mesh --batch`: several meshing-only runs, `-j N` at a time.
///
/// Each item runs as a child `gssa mesh … --json` process, so a crash inside CGAL or gmsh (both
/// have process-global state) takes down only that item. Progress goes to stderr: a bar on a
/// terminal, one plain line per finished item otherwise; the summary table goes to stdout.
struct BatchMesh {
    let options: MeshCommand.Options

    struct Item: Sendable, Encodable {
        var file: String
        var directory: String
        var ok = false
        var tetrahedra: Int?
        var minDihedral: Double?
        var seconds = 0.0
        var error: String?
    }

    func run() async throws -> Int {
        let out = URL(fileURLWithPath: options.out!)
        var names = Set<String>()
        var items: [Item] = options.files.map { file in
            var base = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            if base == "settings" { base = URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent }
            var name = base
            var k = 2
            while !names.insert(name).inserted { name = "\(base)-\(k)"; k += 1 }
            return Item(file: file, directory: out.appendingPathComponent(name).path)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let tty = isatty(STDERR_FILENO) == 1
        var finished = 0, failed = 0
        func progress(_ item: Item) {
            if tty {
                let width = 30
                let filled = width * finished / max(1, items.count)
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                CLIOutput.standardErrorRaw("\r[\(bar)] \(finished)/\(items.count) done, \(failed) failed")
                if finished == items.count { CLIOutput.standardErrorRaw("\n") }
            } else {
                CLIOutput.standardError("\(item.ok ? "ok" : "FAILED") \(item.file) -> \(item.directory)\(item.error.map { ": \($0)" } ?? "")")
            }
        }
        var passthrough = ["--format", options.output.format.rawValue]
        if options.output.binary { passthrough.append("--binary") }
        // Default: the cores shared among the parallel items, not all cores for each.
        let threads = options.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, options.jobs))
        passthrough += ["--threads", String(threads)]
        if let maxCells = options.maxCells { passthrough += ["--max-cells", String(maxCells)] }
        if !options.optimise { passthrough.append("--no-optimise") }
        if let mesher = options.volumeMesher { passthrough += ["--volume-mesher", mesher.rawValue] }
        if let steps = options.optimiseSteps { passthrough += ["--optimise-steps", String(steps)] }
        if let seconds = options.optimiseTime { passthrough += ["--optimise-time", String(seconds)] }
        if let inputs = options.inputs { passthrough += ["--inputs", inputs] }
        let childArguments = passthrough

        try await withThrowingTaskGroup(of: (Int, Item).self) { group in
            var next = 0
            func launch() {
                guard next < items.count else { return }
                let index = next
                let item = items[index]
                next += 1
                group.addTask {
                    (index, await Self.runChildOnThread(executable: executable, item: item, passthrough: childArguments))
                }
            }
            for _ in 0..<min(options.jobs, items.count) { launch() }
            while let (index, item) = try await group.next() {
                items[index] = item
                finished += 1
                if !item.ok { failed += 1 }
                progress(item)
                launch()
            }
        }
        if options.json {
            CLIOutput.printJSON(["items": items])
        } else {
            let fileWidth = max(4, items.map(\.file.count).max() ?? 4)
            print("\("FILE".padding(toLength: fileWidth, withPad: " ", startingAt: 0))  STATUS  TETS       MIN-DIH  SECONDS  OUTPUT / ERROR")
            for item in items {
                let tets = item.tetrahedra.map(String.init) ?? "-"
                let dih = item.minDihedral.map { String(format: "%.1f", $0) } ?? "-"
                print("\(item.file.padding(toLength: fileWidth, withPad: " ", startingAt: 0))  \((item.ok ? "ok" : "FAILED").padding(toLength: 6, withPad: " ", startingAt: 0))  \(tets.padding(toLength: 9, withPad: " ", startingAt: 0))  \(dih.padding(toLength: 7, withPad: " ", startingAt: 0))  \(String(format: "%7.2f", item.seconds))  \(item.ok ? item.directory : item.error ?? "")")
            }
            print("\(items.count - failed)/\(items.count) meshed")
        }
        return failed
    }

    /// Waiting for a child blocks, so it happens on a dedicated thread, not the concurrency pool.
    static func runChildOnThread(executable: String, item: Item, passthrough: [String]) async -> Item {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: runChild(executable: executable, item: item, passthrough: passthrough)) }.start()
        }
    }

    static func runChild(executable: String, item: Item, passthrough: [String]) -> Item {
        var item = item
        let start = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["mesh", item.file, "--out", item.directory, "--json"] + passthrough
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            item.error = "cannot start \(executable): \(error.localizedDescription)"
            return item
        }
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        let errData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        item.seconds = Date().timeIntervalSince(start)
        if process.terminationReason == .uncaughtSignal {
            item.error = "mesher crashed (signal \(process.terminationStatus))"
            return item
        }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errData, as: UTF8.self).split(separator: "\n").last.map(String.init)
            item.error = message ?? "exit status \(process.terminationStatus)"
            return item
        }
        if let result = try? JSONDecoder().decode(MeshResult.self, from: outData) {
            item.ok = true
            item.tetrahedra = result.report.tetrahedra
            item.minDihedral = result.report.quality.minDihedral
        } else {
            item.error = "unreadable result from child mesher"
        }
        return item
    }
}
