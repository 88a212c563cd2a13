import GSSA

/// A family turns a GSSA-XML definition into what one kind of solver container needs.
///
/// Families are the extension point researchers touch: a Swift type conforming to this protocol,
/// or a drop-in folder (see ``DropInFamily``). Both are found through ``FamilyRegistry``.
public protocol Family: Sendable {
    /// The name used in `<definition family="…">`.
    var name: String { get }
    /// How the run is meshed and solved: in the container alone, or CGAL on the host first.
    var workflow: Workflow { get }
    /// The solver image, e.g. `gssa/fenics:bookworm`.
    var image: String { get }
    /// Output files, relative to the run directory, that results bundles must include.
    var retrievableFiles: [String] { get }
    /// How the runner starts the model inside the container, e.g. `python3`.
    var interpreter: String { get }
    /// Where the family came from, shown by `gssa families`.
    var origin: String { get }
    /// What a run asks for by default; nil leaves the server's defaults.
    var resources: FamilyResources? { get }
    /// Most runs of the family at once on a server; nil: no pool.
    var maximumRunning: Int? { get }

    /// Builds the solver input for a definition. Pure: it reads no files and writes none.
    func configure(_ definition: SimulationDefinition) throws(GSSAError) -> FamilyConfiguration
}

extension Family {
    /// By default the job's stdout and stderr logs.
    public var retrievableFiles: [String] { ["logs/job.out", "logs/job.err"] }
    /// `python3` by default.
    public var interpreter: String { "python3" }
    /// `built-in` by default.
    public var origin: String { "built-in" }
    /// No defaults of its own: the server's.
    public var resources: FamilyResources? { nil }
    /// No pool.
    public var maximumRunning: Int? { nil }
}
