import Families
import Foundation
import GSSA
import Logging

extension SimulationManager {
    /// Re-reads the drop-in families from the registry's search path, so a family added (or
    /// fixed) after start-up is found without a restart. Runs already finalized keep the
    /// configuration they were given; the next finalize uses the new registry.
    @discardableResult
    public func reloadFamilies() -> API.Families {
        if !registry.searchPath.isEmpty {
            registry = FamilyRegistry.standard(searchPath: registry.searchPath)
        }
        let report = API.Families(
            families: registry.names.sorted(),
            problems: registry.problems.map { "\($0.folder): \($0.error.message)" })
        logger.info("families reloaded", metadata: ["families": "\(report.families)", "problems": "\(report.problems.count)"])
        return report
    }
}
