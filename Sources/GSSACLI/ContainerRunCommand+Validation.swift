import ArgumentParser
import LaunchProtocol

extension ContainerRunCommand {
    /// Sizes and times are checked before the daemon is contacted: a mistake is a usage error
    /// naming the option.
    func validate() throws {
        if let memory, ByteSize.parse(memory) == nil {
            throw ValidationError("--memory '\(memory)' is not a size like 512m or 2g")
        }
        if let walltime, !(walltime.isFinite && walltime > 0) {
            throw ValidationError("--walltime must be a positive number of seconds, not \(walltime)")
        }
    }
}
