// gssa-container: the runner the launch daemon injects into solver containers.
// Build it static: swift build -c release --product gssa-container --static-swift-stdlib
import ContainerModule
import GSSAWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

var environment: [String: String] = [:]
var cursor = environ
while let entry = cursor.pointee {
    let text = String(cString: entry)
    if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    cursor += 1
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print(RunnerOptions.usage)
    exit(0)
}
do {
    let options = try RunnerOptions.parse(arguments)
    let runner = Runner(options: options, layout: SharedLayout(environment: environment), environment: environment)
    exit(runner.run())
} catch {
    FileSystem.writeAll(2, "gssa-container: \(error.code.name): \(error.message)\n")
    exit(error.exitCode)
}
