import Foundation
import Testing
@testable import GSSA

@Suite struct ErrorTaxonomyTests {
    @Test func codesHaveTheGSSANumbersAndNames() {
        let expected: [(ErrorCode, Int, String)] = [
            (.success, 0, "SUCCESS"), (.unknown, 1, "E_UNKNOWN"), (.client, 2, "E_CLIENT"), (.server, 3, "E_SERVER"),
            (.model, 4, "E_MODEL"), (.inProgress, 5, "IN_PROGRESS"), (.cancelled, 6, "E_CANCELLED"),
        ]
        for (code, id, name) in expected {
            #expect(code.rawValue == id)
            #expect(code.name == name)
            #expect(ErrorCode(name: name) == code)
            #expect(ErrorCode(name: String(id)) == code)
        }
        #expect(ErrorCode(name: "E_NOPE") == nil)
        #expect(ErrorCode(name: "17") == nil)
    }

    @Test func encodesAsIdCodeMessage() throws {
        let error = GSSAError.client("groups is not a JSON array", line: 12, element: "<region id=\"r1\">")
        let data = try JSONEncoder().encode(error)
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["id", "code", "message"])
        #expect(object["id"] as? Int == 2)
        #expect(object["code"] as? String == "E_CLIENT")
        #expect(object["message"] as? String == "line 12: <region id=\"r1\">: groups is not a JSON array")
        #expect(error.description == "E_CLIENT: line 12: <region id=\"r1\">: groups is not a JSON array")
        let decoded = try JSONDecoder().decode(GSSAError.self, from: data)
        #expect(decoded.code == .client)
        #expect(decoded.message == error.message)
    }
}
