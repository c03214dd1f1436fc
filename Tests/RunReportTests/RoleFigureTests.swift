import AttnProtocol
import XCTest
@testable import RunReport

/// Figure 5: the (layers × heads) map of head roles of a profile run.
final class RoleFigureTests: XCTestCase {
    private func roleFigure(_ run: [String: Any]) throws -> XMLElement? {
        let figures = try RunReport.svgFigures(runs: [run], options: ReportOptions())
        guard let figure = figures.first(where: { $0.name.hasPrefix("roles-") }) else { return nil }
        return try parseXML(figure.svg)
    }

    /// One cell per head in row-major order, each filled with its role's colour; streaming heads
    /// (even heads) carry the mark; the legend names every role with its colour.
    func testCellsAreColouredByRoleWithALegend() throws {
        let root = try XCTUnwrap(try roleFigure(RunFixtures.profile(roles: true)))
        let cells = root.all("g").filter { $0.classes.contains("role-cell") }
        XCTAssertEqual(cells.count, 12)
        for (i, g) in cells.enumerated() {
            let role = RunFixtures.roleOrder[i % 6]
            XCTAssertEqual(g.attributes["data-role"], role, "cell \(i)")
            let fill = g.all("rect").first?.attributes["fill"]
            XCTAssertEqual(fill, RoleFigure.color(try XCTUnwrap(.init(rawValue: role))), "cell \(i)")
            XCTAssertEqual(g.attributes["data-streaming"] == "true", i % 2 == 0, "cell \(i)")
            XCTAssertEqual(!g.all("text").filter { $0.classes.contains("streaming-mark") }.isEmpty, i % 2 == 0, "cell \(i)")
        }
        let legend = try XCTUnwrap(root.all("g").first { $0.classes.contains("legend") })
        let entries = legend.all("g").filter { $0.classes.contains("legend-entry") }
        XCTAssertEqual(entries.map { $0.all("text").first?.allText ?? "" }, RunFixtures.roleOrder)
        XCTAssertEqual(Set(HeadRoleName.allCases.map(RoleFigure.color)).count, 6, "six distinct colours")
        XCTAssertTrue(root.all("desc").first?.allText.contains("roleThreshold") ?? false)
    }

    /// A run stored before head roles draws only the profile heatmaps.
    func testNoRoleFigureWithoutRoles() throws {
        XCTAssertNil(try roleFigure(RunFixtures.profile()))
        let names = try RunReport.svgFigures(runs: [RunFixtures.profile(roles: true)], options: ReportOptions()).map(\.name)
        XCTAssertEqual(names, ["profile-33333333.svg", "roles-33333333.svg"])
    }
}
