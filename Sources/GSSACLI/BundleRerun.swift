import Foundation
import GSSA
import LaunchClient
import LaunchProtocol

/// `gssa inspect --run`: re-runs an unpacked diagnostic bundle's input in a container.
///
/// The bundle may sit anywhere the caller can read: its input is copied into a staging folder
/// under the data directory (the data root of the private daemon `gssa run` also uses), so the
/// launch daemon, which only touches files under its data root, accepts it. The image is given
/// by name or tag (as the daemon's `allowed_images` lists it); the image ID the bundle recorded
/// is compared with what the name resolves to now. Progress is printed as it comes.
struct BundleRerun {
    /// The unpacked bundle: `input/` is re-run, `output/` receives the result.
    var directory: URL
    var guid: String
    /// The image to run, by name or tag (or an ID, which only a private daemon allows).
    var image: String
    /// The image ID the original run used (`input/glossia-simimage.txt`).
    var recordedImageID: String?
    var interpreter: String?
    /// The daemon socket to try first; a private daemon is started if it does not answer.
    var socket: String
    /// Staging and private-daemon data directory.
    var data: URL
    /// Images a private daemon allows (the known families' images; `image` is added).
    var images: [String]

    func run() async throws -> GSSAError {
        let fm = FileManager.default
        let id = "INSPECT-\(guid)-\(UUID().uuidString.prefix(8))"
        let stage = data.appendingPathComponent("inspect").appendingPathComponent(id)
        let input = directory.appendingPathComponent("input")
        guard fm.fileExists(atPath: input.path) else {
            throw GSSAError.client("\(directory.path) has no input/ folder to re-run")
        }
        say("staging \(input.path) into \(stage.path)")
        do {
            try fm.createDirectory(at: stage, withIntermediateDirectories: true)
            try fm.copyItem(at: input, to: stage.appendingPathComponent("input"))
            try fm.createDirectory(at: stage.appendingPathComponent("output"), withIntermediateDirectories: true)
        } catch {
            try? fm.removeItem(at: stage)
            throw GSSAError.server("cannot stage the bundle's input into \(stage.path): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(at: stage) }

        let daemon = try await PrivateDaemon.connectOrStart(
            preferred: socket, dataDirectory: data, images: images + [image], say: { say($0) })
        defer { daemon.stop() }
        let arguments = StartArguments(
            guid: id, image: image, input: stage.appendingPathComponent("input").path,
            output: stage.appendingPathComponent("output").path, interpreter: interpreter, logs: true)
        let began = ContinuousClock.now
        let result: RunResult = try await LaunchClient.withConnection(socket: daemon.socket) { client in
            let reply: RunReply
            do {
                reply = try await client.start(arguments)
            } catch let error as GSSAError where error.message.contains("outside the data root") {
                throw GSSAError(error.code, error.message + " (the daemon at \(daemon.socket) reads only under its data_root: "
                    + "pass --data DIR inside it, or no --launcher to use a private daemon)")
            }
            say("started \(id) in container \(reply.containerID.map { String($0.prefix(12)) } ?? "?") (image \(image))")
            if let recordedImageID, let now = reply.imageID, !recordedImageID.isEmpty, now != recordedImageID {
                say("note: \(image) is now \(now.prefix(19)); the original run used \(recordedImageID.prefix(19))")
            }
            for await event in client.events where event.guid == id {
                let seconds = String(format: "%5.1fs", (ContinuousClock.now - began) / .seconds(1))
                switch event {
                case .status(_, let percentage, let message):
                    say("\(seconds) \(percentage.map { String(format: "%5.1f%%", $0) } ?? "      ") \(message)")
                case .log(_, let stream, let line):
                    say("\(seconds) \(stream == .stderr ? "!" : "|") \(line)")
                case .exit(_, let result):
                    return result
                }
            }
            throw GSSAError.server("the launch daemon closed the connection before the re-run \(id) finished")
        }
        let outcome = result.outcome(output: stage.appendingPathComponent("output"))
        let output = directory.appendingPathComponent("output")
        do {
            if fm.fileExists(atPath: output.path) { try fm.removeItem(at: output) }
            try fm.moveItem(at: stage.appendingPathComponent("output"), to: output)
        } catch {
            throw GSSAError.server("cannot move the re-run's output to \(output.path): \(error.localizedDescription)")
        }
        say(String(format: "finished in %.1f s", (ContinuousClock.now - began) / .seconds(1)))
        return outcome
    }

    private func say(_ message: String) {
        // Unbuffered on stderr, so progress shows as it happens even when stdout is JSON or piped.
        FileHandle.standardError.write(Data("[inspect] \(message)\n".utf8))
    }
}
