import LaunchDaemon
import LaunchProtocol
import NIOCore
import Testing

@Suite("JSON-lines framing")
struct FramingTests {
    private func lines(_ frames: [JSONLineFrame]) -> [String] {
        frames.compactMap { if case .line(let b) = $0 { String(buffer: b) } else { nil } }
    }

    private func drain(_ decoder: inout JSONLineFrameDecoder, _ text: String) -> [JSONLineFrame] {
        var buffer = ByteBuffer(string: text)
        return drain(&decoder, &buffer)
    }

    /// Like a channel's cumulation buffer: unread bytes stay for the next read.
    private func drain(_ decoder: inout JSONLineFrameDecoder, _ buffer: inout ByteBuffer, _ more: String = "") -> [JSONLineFrame] {
        buffer.writeString(more)
        var frames: [JSONLineFrame] = []
        while let frame = decoder.next(from: &buffer) { frames.append(frame) }
        #expect(buffer.readableBytes <= decoder.maxFrameLength)
        return frames
    }

    @Test func partialReadsAreBufferedUntilTheNewline() {
        var decoder = JSONLineFrameDecoder(maxFrameLength: 1024)
        var buffer = ByteBuffer()
        var frames: [JSONLineFrame] = []
        for byte in Array(#"{"command":"USAGE"}"#.utf8) + [10] {
            buffer.writeInteger(byte)
            while let frame = decoder.next(from: &buffer) { frames.append(frame) }
        }
        #expect(lines(frames) == [#"{"command":"USAGE"}"#])
    }

    @Test func severalFramesInOneReadAreAllDecodedInOrder() {
        var decoder = JSONLineFrameDecoder(maxFrameLength: 1024)
        var buffer = ByteBuffer(string: "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}\n{\"d\"")
        let frames = drain(&decoder, &buffer)
        #expect(lines(frames) == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
        #expect(lines(drain(&decoder, &buffer, ":4}\n")) == ["{\"d\":4}"])
    }

    @Test func oversizedFrameIsReportedOnceAndTheNextFrameSurvives() {
        var decoder = JSONLineFrameDecoder(maxFrameLength: 1000)
        let garbage = String(repeating: "x", count: 5000)
        var buffer = ByteBuffer()
        var frames = drain(&decoder, &buffer, String(garbage.prefix(2500)))
        frames += drain(&decoder, &buffer, String(garbage.suffix(2500)) + "\n{\"ok\":true}\n")
        #expect(frames.count == 2)
        guard case .oversized(let count) = frames.first else {
            Issue.record("expected an oversized frame first, got \(frames)")
            return
        }
        #expect(count > 1000)
        #expect(lines(frames) == ["{\"ok\":true}"])
    }

    @Test func oversizedFrameWithinOneReadIsSkipped() {
        var decoder = JSONLineFrameDecoder(maxFrameLength: 10)
        let frames = drain(&decoder, String(repeating: "y", count: 50) + "\n{}\n")
        #expect(frames.first == .oversized(byteCount: 50))
        #expect(lines(frames) == ["{}"])
    }

    @Test func eventsRoundTrip() throws {
        let events: [LaunchEvent] = [
            .status(guid: "g", percentage: 10, message: "a|b"),
            .log(guid: "g", stream: .stderr, line: "warning\twith tab"),
            .exit(guid: "g", result: RunResult(exitCode: 4, oomKilled: false, timedOut: true, imageID: "sha256:x")),
        ]
        for event in events {
            let frame = try LaunchWire.frame(event)
            #expect(frame.readableBytesView.filter { $0 == 10 }.count == 1)
            #expect(try LaunchWire.decode(LaunchEvent.self, from: frame) == event)
        }
    }

    @Test func memorySizesParse() {
        #expect(ByteSize.parse("512m") == 512 << 20)
        #expect(ByteSize.parse("2G") == 2 << 30)
        #expect(ByteSize.parse("1024") == 1024)
        #expect(ByteSize.parse("lots") == nil)
    }

    @Test func daemonConfigurationParsesAndNamesBadKeys() throws {
        let config = try DaemonConfiguration.parse(yaml: """
            socket: /run/gssa/dl.sock
            group: gssa
            data_root: /var/lib/gssa
            allowed_images: [gssa/python:bookworm]
            max_containers: 30
            default_limits: {memory: 512m, cpus: 1, pids: 256}
            walltime: 3600
            orphan_ttl: 600
            author: alice@example.org
            org: lab
            runner: /usr/local/lib/gssa/gssa-container
            """)
        #expect(config.defaultLimits == ContainerLimits(memory: 512 << 20, cpus: 1, pids: 256))
        #expect(config.maxLimits.memory == 8 << 30)
        #expect(config.daemonID == "dockerlaunch:/run/gssa/dl.sock")
        #expect(config.author == "alice@example.org" && config.orphanTTL == 600)
        #expect {
            try DaemonConfiguration.parse(yaml: "socket: /x\ndata_root: /y\nallowed_images: []\n", file: "dl.yml")
        } throws: { error in
            "\(error)".contains("dl.yml: missing required key 'runner'")
        }
        #expect {
            try DaemonConfiguration.parse(yaml: "socket: /x\ndata_root: /y\nallowed_images: []\nrunner: /r\nmax_containers: 0\n")
        } throws: { error in
            "\(error)".contains("max_containers")
        }
    }
}
