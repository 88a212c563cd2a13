import ArgumentParser
import ContainerEngine
import Foundation
import GSSA
import GSSAServer
import Yams

/// `gssa admin doctor`: checks an installation end to end and says what to fix — the server's
/// configuration, the Docker engine, the daemon socket's group and mode, the images the daemon
/// may start, free disk, the database schema and the clock against the engine's.
///
/// Each check prints one line (`ok`, `warn` or `FAIL`, what it found, and for a problem the
/// command or setting that fixes it); the exit status is 1 when any check failed.
struct AdminDoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check an installation (engine, daemon socket, images, disk, schema, clock) and say what to fix.")

    @OptionGroup var server: AdminDataOptions
    @Option(help: ArgumentHelp("The launch daemon's configuration (default /etc/gssa/dockerlaunch.yml).", valueName: "file"))
    var daemonConfig = "/etc/gssa/dockerlaunch.yml"
    @Option(help: ArgumentHelp("The daemon socket to check (default: daemon_socket of the server's configuration, else the daemon's socket).", valueName: "path"))
    var daemonSocket: String?
    @Option(help: "Warn below this much free space on the data directory's file system (bytes; K, M, G suffixes).")
    var minFree = "5G"
    @Option(help: "Warn when the engine's clock differs from this host's by more than this many seconds.")
    var maxSkew = 2.0
    @OptionGroup var output: OutputOptions

    enum Status: String, Encodable { case ok, warn, fail }

    struct Check: Encodable {
        var name: String
        var status: Status
        var found: String
        var fix: String?
    }

    /// The keys of dockerlaunch.yml the doctor reads (the daemon itself checks the rest).
    struct DaemonSettings {
        var socket: String?
        var group: String?
        var dockerSocket: String?
        var allowedImages: [String] = []
    }

    func run() async throws {
        var checks: [Check] = []
        let settings: [String: String]
        do {
            settings = try server.serverSettings()
            checks.append(Check(name: "server config", status: .ok, found: server.config ?? AdminDataOptions.defaultConfig))
        } catch {
            settings = [:]
            checks.append(Check(name: "server config", status: .fail, found: error.message, fix: "correct the key the message names"))
        }
        let daemon = readDaemonSettings(&checks)
        let engine = await checkEngine(daemon, &checks)
        if let engine {
            await checkClock(engine, &checks)
            await checkImages(engine, daemon, &checks)
            await engine.shutdown()
        }
        checkSocket(daemonSocket ?? settings["daemon_socket"] ?? daemon?.socket ?? DaemonSocketOptions.defaultPath, daemon, &checks)
        checkDataDirectory(&checks)

        if output.json {
            CLIOutput.printJSON(checks)
        } else {
            for check in checks {
                let label = check.status == .fail ? "FAIL" : check.status.rawValue
                print("\(label.padding(toLength: 5, withPad: " ", startingAt: 0))\(check.name): \(check.found)")
                if let fix = check.fix, check.status != .ok { print("     fix: \(fix)") }
            }
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }

    func readDaemonSettings(_ checks: inout [Check]) -> DaemonSettings? {
        guard let text = try? ConfigurationFile.read(daemonConfig) else {
            checks.append(Check(
                name: "daemon config", status: .warn, found: "cannot read \(daemonConfig)",
                fix: "pass --daemon-config FILE, or reinstall the package to get /etc/gssa/dockerlaunch.yml"))
            return nil
        }
        guard let mapping = (try? Yams.compose(yaml: text))?.mapping else {
            checks.append(Check(name: "daemon config", status: .fail, found: "\(daemonConfig) is not a YAML mapping", fix: "correct it (see /usr/share/doc/gssa/dockerlaunch.example.yml)"))
            return nil
        }
        var settings = DaemonSettings()
        for (key, value) in mapping {
            switch key.string {
            case "socket": settings.socket = value.scalar?.string
            case "group": settings.group = value.scalar?.string
            case "docker_socket": settings.dockerSocket = value.scalar?.string
            case "allowed_images": settings.allowedImages = value.sequence?.compactMap { $0.scalar?.string } ?? []
            default: break
            }
        }
        checks.append(Check(name: "daemon config", status: .ok, found: daemonConfig))
        return settings
    }

    func checkEngine(_ daemon: DaemonSettings?, _ checks: inout [Check]) async -> DockerEngine? {
        let socket = daemon?.dockerSocket
        do {
            let engine = try await DockerEngine.connect(socketPath: socket)
            let info = try await engine.info()
            checks.append(Check(name: "engine", status: .ok, found: "Docker \(info.version), API \(info.apiVersion)"))
            return engine
        } catch {
            checks.append(Check(
                name: "engine", status: .fail, found: "\(error)",
                fix: "start the engine (systemctl start docker) or set docker_socket in \(daemonConfig); run the doctor as root to reach it"))
            return nil
        }
    }

    func checkClock(_ engine: DockerEngine, _ checks: inout [Check]) async {
        do {
            let before = Date()
            guard let engineTime = try await engine.systemTime() else {
                checks.append(Check(name: "clock", status: .warn, found: "the engine does not report its time"))
                return
            }
            let after = Date()
            let local = before.addingTimeInterval(after.timeIntervalSince(before) / 2)
            let skew = engineTime.timeIntervalSince(local)
            let text = String(format: "%+.2f s against the engine", skew)
            if abs(skew) > maxSkew + after.timeIntervalSince(before) {
                checks.append(Check(
                    name: "clock", status: .warn, found: text,
                    fix: "synchronise both clocks (timedatectl set-ntp true); run times and expiries are compared across them"))
            } else {
                checks.append(Check(name: "clock", status: .ok, found: text))
            }
        } catch {
            checks.append(Check(name: "clock", status: .warn, found: "cannot read the engine's time: \(error)"))
        }
    }

    func checkImages(_ engine: DockerEngine, _ daemon: DaemonSettings?, _ checks: inout [Check]) async {
        let images = daemon?.allowedImages ?? []
        guard !images.isEmpty else {
            checks.append(Check(name: "images", status: .warn, found: "no allowed_images to check", fix: "list the images in \(daemonConfig)"))
            return
        }
        var missing: [String] = []
        for image in images {
            do {
                if try await engine.inspectImage(image) == nil { missing.append(image) }
            } catch {
                missing.append("\(image) (\(error))")
            }
        }
        if missing.isEmpty {
            checks.append(Check(name: "images", status: .ok, found: "\(images.count) present: \(images.joined(separator: ", "))"))
        } else {
            checks.append(Check(
                name: "images", status: .fail, found: "missing: \(missing.joined(separator: ", "))",
                fix: "GSSA_RUNNER_BIN=/usr/lib/gssa/gssa-container gssa images build all --repository /usr/share/gssa"))
        }
    }

    func checkSocket(_ path: String, _ daemon: DaemonSettings?, _ checks: inout [Check]) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            checks.append(Check(
                name: "daemon socket", status: .fail, found: "\(path): \(String(cString: strerror(errno)))",
                fix: "start the launch daemon: systemctl enable --now gssa-dockerlaunch"))
            return
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            checks.append(Check(name: "daemon socket", status: .fail, found: "\(path) is not a socket", fix: "remove it and restart gssa-dockerlaunch"))
            return
        }
        let mode = info.st_mode & 0o7777
        let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(info.st_gid)"
        let found = "\(path) mode \(String(mode, radix: 8)) group \(group)"
        if mode & 0o007 != 0 {
            checks.append(Check(
                name: "daemon socket", status: .fail, found: found + " (open to every local user)",
                fix: "set group: in \(daemonConfig) and restart gssa-dockerlaunch (the socket must be mode 770)"))
        } else if let wanted = daemon?.group, wanted != group {
            checks.append(Check(
                name: "daemon socket", status: .fail, found: found + " (the configuration says group \(wanted))",
                fix: "restart gssa-dockerlaunch so it re-creates the socket"))
        } else if mode & 0o060 != 0o060 {
            checks.append(Check(
                name: "daemon socket", status: .fail, found: found + " (the group cannot connect)",
                fix: "restart gssa-dockerlaunch (it creates the socket mode 770)"))
        } else if !Self.isMember(user: "gssa", ofGroup: info.st_gid) && getpwnam("gssa") != nil {
            checks.append(Check(
                name: "daemon socket", status: .fail, found: found + " (user gssa is not in group \(group))",
                fix: "usermod -aG \(group) gssa, then systemctl restart gssa-server"))
        } else {
            checks.append(Check(name: "daemon socket", status: .ok, found: found))
        }
    }

    static func isMember(user: String, ofGroup gid: gid_t) -> Bool {
        guard let account = getpwnam(user) else { return false }
        if account.pointee.pw_gid == gid { return true }
        guard let group = getgrgid(gid), var member = group.pointee.gr_mem else { return false }
        while let name = member.pointee {
            if String(cString: name) == user { return true }
            member += 1
        }
        return false
    }

    func checkDataDirectory(_ checks: inout [Check]) {
        let directory: URL
        do { directory = try server.directory() } catch {
            checks.append(Check(name: "data", status: .fail, found: error.message, fix: "pass --data DIR or --config FILE"))
            return
        }
        var fs = statvfs()
        if statvfs(directory.path, &fs) == 0 {
            let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
            let total = Int64(fs.f_blocks) * Int64(fs.f_frsize)
            let minimum = (try? ServerCommand.parseSize(minFree, option: "--min-free")) ?? (5 << 30)
            let text = "\(Self.gib(free)) free of \(Self.gib(total)) on \(directory.path)"
            if free < minimum {
                checks.append(Check(
                    name: "disk", status: free < minimum / 4 ? .fail : .warn, found: text,
                    fix: "free space (gssa clean, docker image prune) or move the data directory to a larger disk"))
            } else {
                checks.append(Check(name: "disk", status: .ok, found: text))
            }
        } else {
            checks.append(Check(
                name: "disk", status: .fail, found: "\(directory.path): \(String(cString: strerror(errno)))",
                fix: "create it (the package makes /var/lib/gssa/server) or fix data in the server's configuration"))
        }
        let path = ServerConfiguration(dataDirectory: directory, serverID: "doctor").databasePath
        do {
            guard let status = try SQLiteSimulationStore.schemaStatus(path: path) else {
                checks.append(Check(name: "schema", status: .ok, found: "no database yet (the server's first start creates it)"))
                return
            }
            if !status.unknown.isEmpty {
                checks.append(Check(
                    name: "schema", status: .fail, found: "migrations from a newer gssa: \(status.unknown.joined(separator: ", "))",
                    fix: "install the newer gssa again, or restore a backup made by this version"))
            } else if !status.pending.isEmpty {
                checks.append(Check(
                    name: "schema", status: .warn, found: "\(status.pending.count) migration(s) pending: \(status.pending.joined(separator: ", "))",
                    fix: "gssa admin migrate (or restart gssa-server, which migrates on start)"))
            } else {
                checks.append(Check(name: "schema", status: .ok, found: "current (\(status.applied.last ?? "empty"))"))
            }
        } catch {
            checks.append(Check(name: "schema", status: .fail, found: error.message, fix: "run the doctor as root or as gssa"))
        }
    }

    static func gib(_ bytes: Int64) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
}
