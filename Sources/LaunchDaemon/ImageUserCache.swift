import ContainerEngine
import Foundation
import GSSAArchive

/// Remembers, per image ID, whether the image has the unprivileged `gssa` user and its ids.
///
/// Found by reading `/etc/passwd` out of a created, never started probe container with the
/// archive API, once per image.
actor ImageUserCache {
    struct User: Sendable, Hashable {
        /// `gssa`, or empty when the image lacks it (the container then runs as root, without capabilities).
        var name: String
        var uid: Int
        var gid: Int
    }

    private var users: [String: User] = [:]

    /// - Parameter remove: removes the probe container (the daemon's removal, which the reaper
    ///   retries when the engine refuses).
    func user(
        for image: ImageInfo, reference: String, engine: any ContainerEngine, labels: [String: String],
        remove: @Sendable (String) async -> Void
    ) async -> User {
        if let known = self.users[image.id] { return known }
        let found = await Self.probe(reference: reference, engine: engine, labels: labels, remove: remove)
        self.users[image.id] = found
        return found
    }

    private static func probe(
        reference: String, engine: any ContainerEngine, labels: [String: String], remove: @Sendable (String) async -> Void
    ) async -> User {
        let root = User(name: "", uid: 0, gid: 0)
        guard
            let id = try? await engine.createContainer(
                ContainerSpec(image: reference, command: ["/bin/true"], labels: labels, initProcess: false), name: nil)
        else { return root }
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gssa-passwd-\(UUID().uuidString).tar")
        defer {
            try? FileManager.default.removeItem(at: temp)
        }
        var user = root
        if (try? await engine.getArchive(id, path: "/etc/passwd", to: temp)) == true,
            let data = try? TarReader.readFile(named: "passwd", in: temp)
        {
            user = Self.parse(passwd: String(decoding: data, as: UTF8.self)) ?? root
        }
        await remove(id)
        return user
    }

    static func parse(passwd: String) -> User? {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, fields[0] == "gssa", let uid = Int(fields[2]), let gid = Int(fields[3]) else {
                continue
            }
            return User(name: "gssa", uid: uid, gid: gid)
        }
        return nil
    }
}
