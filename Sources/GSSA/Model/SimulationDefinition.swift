/// A parsed GSSA-XML `simulationDefinition`.
///
/// This is the typed, validated form every later stage works from: families, the mesher,
/// the comparator and the server. Parse with ``SimulationDefinition/parse(_:)-(Data)``.
public struct SimulationDefinition: Sendable, Hashable {
    /// How the server pulls inputs and pushes results (`<transferrer>`); nil when the definition has none.
    public var transferrer: TransferrerConfiguration?
    /// The `<algorithms>`, in document order.
    public var algorithms: [Algorithm]
    /// The global `<parameters>`, in document order.
    public var parameters: ParameterSet
    /// The `<needles>`, in document order.
    public var needles: [Needle]
    /// The `<regions>`, in document order.
    public var regions: [Region]
    /// The `<definition>`: the family and the model it runs.
    public var definition: ModelDefinition

    /// Creates a definition directly, without parsing; only `definition` is required.
    public init(
        transferrer: TransferrerConfiguration? = nil, algorithms: [Algorithm] = [],
        parameters: ParameterSet = ParameterSet(), needles: [Needle] = [], regions: [Region] = [],
        definition: ModelDefinition
    ) {
        self.transferrer = transferrer
        self.algorithms = algorithms
        self.parameters = parameters
        self.needles = needles
        self.regions = regions
        self.definition = definition
    }

    /// The family that runs this model (`definition@family`).
    public var family: String { definition.family }

    /// The region with this `id`, if any.
    public func region(id: String) -> Region? { regions.first { $0.id == id } }
    /// The needle with this `index`, if any.
    public func needle(index: String) -> Needle? { needles.first { $0.index == index } }
}
