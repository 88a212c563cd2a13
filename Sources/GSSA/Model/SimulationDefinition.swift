/// A parsed GSSA-XML `simulationDefinition`.
///
/// This is the typed, validated form every later stage works from: families, the mesher,
/// the comparator and the server. Parse with ``SimulationDefinition/parse(_:)``.
public struct SimulationDefinition: Sendable, Hashable {
    public var transferrer: TransferrerConfiguration?
    public var algorithms: [Algorithm]
    public var parameters: ParameterSet
    public var needles: [Needle]
    public var regions: [Region]
    public var definition: ModelDefinition

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

    public var family: String { definition.family }

    public func region(id: String) -> Region? { regions.first { $0.id == id } }
    public func needle(index: String) -> Needle? { needles.first { $0.index == index } }
}
