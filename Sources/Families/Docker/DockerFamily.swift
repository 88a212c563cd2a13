import GSSA

/// The generic Docker workflow: YAML inputs plus a start tarball, run in a whitelisted image.
///
/// Conforming families get ``Family/configure(_:)`` for free and can add files (such as GSSF-XML)
/// through ``additionalFiles(for:)``.
public protocol DockerFamily: Family {
    /// Extra generated files, e.g. `input/settings.xml` for mesher families.
    func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile]
    /// A start script used when the definition carries none.
    var defaultStartArchive: StartArchive? { get }
    /// Family-specific checks beyond GSSA-XML validity.
    func validate(_ definition: SimulationDefinition) throws(GSSAError)
}

extension DockerFamily {
    /// No extra files by default.
    public func additionalFiles(for definition: SimulationDefinition) throws(GSSAError) -> [FamilyConfiguration.GeneratedFile] { [] }
    /// No fallback script by default: a definition must bring its own model.
    public var defaultStartArchive: StartArchive? { nil }
    /// No family-specific checks by default.
    public func validate(_ definition: SimulationDefinition) throws(GSSAError) {}

    /// Validates the definition, then generates the YAML inputs, the start archive and any ``additionalFiles(for:)`` (skipped for `docker+cgal` when the definition uploads its own mesh), and lists the inputs to fetch.
    public func configure(_ definition: SimulationDefinition) throws(GSSAError) -> FamilyConfiguration {
        try validate(definition)
        let input = SolverInput(definition: definition)
        try input.validate()
        let uploadedMesh = input.effectiveRegions.contains { $0.format == .mesh }
        var generated = try input.generatedFiles(fallbackScript: defaultStartArchive)
        if !uploadedMesh || workflow == .dockerOnly {
            generated += try additionalFiles(for: definition)
        }
        // The model's declared parameters: the inline header, else the family's own script's.
        let start = definition.definition.inlineText.flatMap { $0.isEmpty ? nil : StartArchive(inline: $0) }
            ?? (definition.definition.location == nil ? defaultStartArchive : nil)
        let declared = start?.declaredParameters.flatMap(DefinitionCheck.declaredNames(inYAML:))
        return FamilyConfiguration(
            family: name, image: image, workflow: workflow, interpreter: interpreter,
            generated: generated, required: input.requiredFiles, hasUploadedMesh: uploadedMesh,
            declaredParameters: declared)
    }
}
