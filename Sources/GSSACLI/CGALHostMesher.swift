import Foundation
import GSSA
import GSSAServer

/// The host mesher of `gssa server` and `gssa run` for Docker+CGAL families: this very
/// executable as `gssa mesh …` in a child process, so that a cancel can kill it mid-way.
enum CGALHostMesher {
    static func make(threads: Int?) -> any HostMesher {
        GSSAMeshHostMesher(executable: GSSAMeshHostMesher.ownExecutable, threads: threads)
    }
}
