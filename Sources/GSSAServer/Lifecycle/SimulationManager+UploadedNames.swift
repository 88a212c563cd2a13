import Families
import Foundation

extension SimulationManager {
    /// Names input files as the client uploaded them (`tumour.stl`), not as the family renamed
    /// them in `input/` (`tumour-1.stl`).
    nonisolated static func uploadedNames(in text: String, required: [FamilyConfiguration.RequiredFile]) -> String {
        var text = text
        for file in required {
            let local = file.local.hasPrefix("input/") ? String(file.local.dropFirst(6)) : file.local
            guard local != file.remote else { continue }
            text = text.replacingOccurrences(of: "'\(local)'", with: "'\(file.remote)'")
        }
        return text
    }
}
