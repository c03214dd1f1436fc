import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element, for structural checks on the generated SVG and (XHTML-shaped) HTML.
final class XMLElement {
    let name: String
    let attributes: [String: String]
    var children: [XMLElement] = []
    /// Character data directly inside this element.
    var text = ""
    weak var parent: XMLElement?

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    var classes: Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }

    /// Text of this element and all descendants, in document order.
    var allText: String { text + children.map(\.allText).joined() }

    /// Every descendant (not self) in document order.
    var descendants: [XMLElement] { children.flatMap { [$0] + $0.descendants } }

    func all(_ name: String) -> [XMLElement] { descendants.filter { $0.name == name } }

    func all(withClass cssClass: String) -> [XMLElement] { descendants.filter { $0.classes.contains(cssClass) } }

    /// The (x, y) of a `translate(x,y)` transform.
    var translation: (x: Double, y: Double)? {
        guard let t = attributes["transform"], t.hasPrefix("translate("), t.hasSuffix(")") else { return nil }
        let parts = t.dropFirst("translate(".count).dropLast().split(separator: ",").compactMap { Double($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
}

enum XMLTreeError: Error { case parse(String) }

/// Parses a whole document with Foundation's XMLParser; throws with the parser's error.
func parseXML(_ text: String) throws -> XMLElement {
    final class Builder: NSObject, XMLParserDelegate {
        let root = XMLElement(name: "#document", attributes: [:])
        lazy var current = root
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let element = XMLElement(name: name, attributes: attributes)
            element.parent = current
            current.children.append(element)
            current = element
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            current = current.parent ?? root
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current.text += string }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let builder = Builder()
    parser.delegate = builder
    guard parser.parse() else {
        throw XMLTreeError.parse("\(parser.parserError.map { "\($0)" } ?? "unknown error") at line \(parser.lineNumber), column \(parser.columnNumber)")
    }
    return builder.root
}
