import Foundation
@testable import GSSACLI
import Testing
import Yams

/// `gssa run` writes its private daemon's dockerlaunch.yml through Yams: hostile paths and
/// image names come back exactly, as single scalars.
@Suite("Private daemon configuration")
struct PrivateDaemonConfigurationTests {
    @Test("paths and images with quotes, colons, hashes and newlines survive the YAML round trip")
    func hostileValuesRoundTrip() throws {
        let socket = "/tmp/a \"quoted\": dir #not-a-comment\nallowed_images: [evil]/d.sock"
        let settings = PrivateDaemon.Configuration(
            socket: socket, dataRoot: "/data/it's: [here]", allowedImages: ["gssa/python:bookworm", "x\"y"], maxContainers: 4,
            runner: "/opt/{runner}")
        let yaml = try YAMLEncoder().encode(settings)
        let decoded = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect(decoded["socket"] as? String == socket)
        #expect(decoded["data_root"] as? String == "/data/it's: [here]")
        #expect(decoded["allowed_images"] as? [String] == ["gssa/python:bookworm", "x\"y"])
        #expect(decoded["max_containers"] as? Int == 4)
        #expect(decoded["runner"] as? String == "/opt/{runner}")
        #expect(decoded.count == 5)
    }
}
