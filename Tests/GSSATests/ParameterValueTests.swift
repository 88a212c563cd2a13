import Foundation
import Testing
@testable import GSSA

@Suite struct ParameterValueTests {
    @Test func castsTheFourBasicTypes() {
        #expect(ParameterValue.convert("0.001", type: "float") == .double(0.001))
        #expect(ParameterValue.convert("3", type: "float") == .double(3))
        #expect(ParameterValue.convert("42", type: "integer") == .int(42))
        #expect(ParameterValue.convert("text", type: "string") == .string("text"))
        #expect(ParameterValue.convert("123", type: "string") == .string("123"))
    }

    @Test func booleanIsFalseOnlyForFalseOrEmpty() {
        #expect(ParameterValue.convert("false", type: "boolean") == .bool(false))
        #expect(ParameterValue.convert("FaLsE", type: "boolean") == .bool(false))
        #expect(ParameterValue.convert("", type: "boolean") == .bool(false))
        #expect(ParameterValue.convert("0", type: "boolean") == .bool(true))
        #expect(ParameterValue.convert("no", type: "boolean") == .bool(true))
        #expect(ParameterValue.convert("true", type: "boolean") == .bool(true))
    }

    @Test func nullBecomesNil() {
        #expect(ParameterValue.convert("null", type: "float") == .null)
        #expect(ParameterValue.convert(nil, type: "float") == .null)
        #expect(ParameterValue.convert("null", type: "array(float)") == .null)
    }

    @Test func otherTypesParseAsJSONKeepingIntsAndFloatsApart() {
        let value = ParameterValue.convert("[[1, 2, 3000.0], [1, 3, 2400]]", type: "array(array(int, int, float))")
        #expect(value == .array([.array([.int(1), .int(2), .double(3000)]), .array([.int(1), .int(3), .int(2400)])]))
        #expect(ParameterValue.convert("[0.0, 14.0, 0.0]", type: "array(float)").pythonJSON == "[0.0, 14.0, 0.0]")
        #expect(ParameterValue.convert("{\"a\": [true, null]}", type: "dict") == .object(["a": .array([.bool(true), .null])]))
    }

    @Test func failedCastFallsBackToJSONThenRaw() {
        // int("3.5") fails in the original, then JSON gives a float.
        #expect(ParameterValue.convert("3.5", type: "integer") == .double(3.5))
        #expect(ParameterValue.convert("first-needle", type: "float") == .string("first-needle"))
        #expect(ParameterValue.convert("[1, 2", type: "array(int)") == .string("[1, 2"))
        #expect(ParameterValue.convert("centroid-of-tips", type: nil) == .string("centroid-of-tips"))
    }

    @Test func pythonJSONMatchesJsonDumps() {
        #expect(ParameterValue.double(0.001).pythonJSON == "0.001")
        #expect(ParameterValue.double(50).pythonJSON == "50.0")
        #expect(ParameterValue.double(1e-5).pythonJSON == "1e-05")
        #expect(ParameterValue.string("a\"b").pythonJSON == "\"a\\\"b\"")
        #expect(ParameterValue.string("é").pythonJSON == "\"\\u00e9\"")
        #expect(ParameterValue.array([.int(1), .bool(false), .null]).pythonJSON == "[1, false, null]")
        #expect(ParameterValue.object(["b": .int(1), "a": .string("x")]).pythonJSON == "{\"a\": \"x\", \"b\": 1}")
    }

    @Test func typedAccessorsOnAParameterSet() throws {
        let definition = try SimulationDefinition.parse(representativeXML)
        let parameters = definition.parameters
        #expect(parameters.double("SIMULATION_SCALING") == 0.001)
        #expect(parameters.bool("RESOLUTION_HIGH") == false)
        #expect(parameters.int("SETTING_COUNT") == 7)
        #expect(parameters.double("SETTING_COUNT") == 7.0)
        #expect(parameters.string("SETTING_LABEL") == "hello")
        #expect(parameters.value("SETTING_NOTHING") == nil)
        #expect(parameters.double("MISSING") == nil)
        #expect(parameters.array([[Double]].self, "CONSTANT_IRE_NEEDLEPAIR_VOLTAGE") == [[1, 2, 3000], [1, 3, 2400.5]])
        #expect(parameters.array([Int].self, "SIMULATION_SCALING") == nil)
        let needle = try #require(definition.needle(index: "1"))
        #expect(needle.parameters.array([Double].self, "NEEDLE_TIP_LOCATION") == [0, 14, 0])
        #expect(parameters.names.first == "SIMULATION_SCALING")
        #expect(parameters.isSet("RESOLUTION_HIGH") == false)
        #expect(parameters.isSet("SETTING_COUNT"))
    }
}
