/// Strict reading of a request's named parameters.
///
/// Each getter names the field, its type, its default and its accepted range; every failure
/// throws `RPCError.invalidParams` (-32602) with `data` `{field, value, accepted}`. A field
/// that is absent or `null` takes its default (or is "missing" when required). `finish()`
/// refuses fields no getter asked for, so a misspelt `thresold` is an error, not a silent
/// default. Numbers (Protocol/README.md §2): an integer field accepts any number with an
/// integral value (`16` and `16.0`; `16.5` is refused); a real field accepts any number; a
/// number that is not finite (`1e400` overflows a double to an infinity) is refused in every
/// numeric field with `accepted: "a finite number"` and `value: null` (JSON cannot write it).
///
/// Not thread-safe: one handler reads its params on one thread.
public final class ParamReader {
    /// Prefix for field names in errors: "" at top level, "model" for a nested object.
    public let path: String
    private let members: [String: JSONValue]
    private var asked: Set<String> = []
    private var children: [ParamReader] = []

    /// Positional (array) params, strings and numbers are refused: this protocol uses named params.
    public init(_ params: JSONValue?, path: String = "") throws {
        self.path = path
        switch params {
        case nil, .null?:
            members = [:]
        case .object(let object)?:
            members = object
        case let other?:
            throw RPCError.invalidParams(field: path.isEmpty ? "params" : path, value: other,
                                         accepted: "an object of named parameters")
        }
    }

    /// The full path of `field` for error messages (`model.path`, `thresholds[2]`).
    public func fieldPath(_ field: String) -> String {
        path.isEmpty ? field : "\(path).\(field)"
    }

    /// True when `field` is present and not null. Marks the field as known.
    public func has(_ field: String) -> Bool {
        asked.insert(field)
        if let value = members[field], value != .null { return true }
        return false
    }

    /// The raw value (nil when absent or null), for fields with their own validation. Marks the field as known.
    public func raw(_ field: String) -> JSONValue? {
        asked.insert(field)
        guard let value = members[field], value != .null else { return nil }
        return value
    }

    /// An error for `field` with the value as received (for checks a getter cannot make, e.g. vocabulary).
    public func invalid(_ field: String, accepted: String, message: String? = nil) -> RPCError {
        RPCError.invalidParams(field: fieldPath(field), value: members[field], accepted: accepted, message: message)
    }

    private func read<T>(_ field: String, accepted: String, _ convert: (JSONValue) -> T?) throws -> T? {
        guard let value = raw(field) else { return nil }
        guard let converted = convert(value) else { throw refusal(fieldPath(field), value, accepted: accepted) }
        return converted
    }

    /// The -32602 for a refused value; a non-finite number is refused as such, whatever the range.
    private func refusal(_ field: String, _ value: JSONValue, accepted: String) -> RPCError {
        if case .double(let number) = value, !number.isFinite {
            return RPCError.invalidParams(field: field, value: nil, accepted: NumberInterval.finite.description,
                                          message: "invalid params: `\(field)` is not a finite number (it overflows a double); accepted: a finite number, \(accepted)")
        }
        return RPCError.invalidParams(field: field, value: value, accepted: accepted)
    }

    /// An integer field's value: a JSON integer, or a number with an integral value that fits in `Int`.
    private static func integral(_ value: JSONValue) -> Int? {
        switch value {
        case .int: return value.intValue
        case .double(let number): return number.rounded(.towardZero) == number ? Int(exactly: number) : nil
        default: return nil
        }
    }

    private func required<T>(_ field: String, accepted: String, _ value: T?) throws -> T {
        guard let value else {
            throw RPCError.invalidParams(field: fieldPath(field), value: members[field], accepted: "\(accepted) (required)")
        }
        return value
    }

    // MARK: Strings

    public func optionalString(_ field: String) throws -> String? {
        try read(field, accepted: "a string") { $0.stringValue }
    }

    public func string(_ field: String) throws -> String {
        try required(field, accepted: "a string", optionalString(field))
    }

    public func string(_ field: String, default defaultValue: String) throws -> String {
        try optionalString(field) ?? defaultValue
    }

    /// A string that must be one of `choices` (e.g. `selection`: threshold | coverage | topK).
    public func optionalString(_ field: String, oneOf choices: [String]) throws -> String? {
        let accepted = "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        return try read(field, accepted: accepted) { value in
            value.stringValue.flatMap { choices.contains($0) ? $0 : nil }
        }
    }

    public func string(_ field: String, oneOf choices: [String], default defaultValue: String) throws -> String {
        try optionalString(field, oneOf: choices) ?? defaultValue
    }

    public func string(_ field: String, oneOf choices: [String]) throws -> String {
        let accepted = "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        return try required(field, accepted: accepted, optionalString(field, oneOf: choices))
    }

    // MARK: Integers

    public func optionalInt(_ field: String, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        try read(field, accepted: range.acceptedDescription) { value in
            ParamReader.integral(value).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    public func int(_ field: String, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        try required(field, accepted: range.acceptedDescription, optionalInt(field, range: range))
    }

    public func int(_ field: String, default defaultValue: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        try optionalInt(field, range: range) ?? defaultValue
    }

    // MARK: Real numbers

    public func optionalDouble(_ field: String, in interval: NumberInterval = .finite) throws -> Double? {
        try read(field, accepted: interval.description) { value in
            value.doubleValue.flatMap { interval.contains($0) ? $0 : nil }
        }
    }

    public func double(_ field: String, in interval: NumberInterval = .finite) throws -> Double {
        try required(field, accepted: interval.description, optionalDouble(field, in: interval))
    }

    public func double(_ field: String, default defaultValue: Double, in interval: NumberInterval = .finite) throws -> Double {
        try optionalDouble(field, in: interval) ?? defaultValue
    }

    // MARK: Booleans

    public func optionalBool(_ field: String) throws -> Bool? {
        try read(field, accepted: "true or false") { $0.boolValue }
    }

    public func bool(_ field: String) throws -> Bool {
        try required(field, accepted: "true or false", optionalBool(field))
    }

    public func bool(_ field: String, default defaultValue: Bool) throws -> Bool {
        try optionalBool(field) ?? defaultValue
    }

    // MARK: Arrays

    /// Reads an array whose length is in `count` and whose elements each pass `element`.
    /// Element errors name `field[i]`.
    private func array<T>(_ field: String, count: ClosedRange<Int>, noun: String, elementAccepted: String,
                          _ element: (JSONValue) -> T?) throws -> [T]? {
        let lengthText = count.lowerBound == count.upperBound ? "\(count.lowerBound)" :
            count.upperBound == Int.max ? "at least \(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
        let accepted = "an array of \(lengthText) \(noun), each \(elementAccepted)"
        guard let value = raw(field) else { return nil }
        guard let elements = value.arrayValue, count.contains(elements.count) else {
            throw RPCError.invalidParams(field: fieldPath(field), value: value, accepted: accepted)
        }
        return try elements.enumerated().map { position, item in
            guard let converted = element(item) else {
                throw refusal("\(fieldPath(field))[\(position)]", item, accepted: elementAccepted)
            }
            return converted
        }
    }

    /// An array of strings (e.g. `texts`), nil when absent.
    public func optionalStringArray(_ field: String, count: ClosedRange<Int>) throws -> [String]? {
        try array(field, count: count, noun: "strings", elementAccepted: "a string") { $0.stringValue }
    }

    public func optionalIntArray(_ field: String, count: ClosedRange<Int>, element: ClosedRange<Int> = Int.min...Int.max) throws -> [Int]? {
        try array(field, count: count, noun: "integers", elementAccepted: element.acceptedDescription) { item in
            ParamReader.integral(item).flatMap { element.contains($0) ? $0 : nil }
        }
    }

    public func intArray(_ field: String, count: ClosedRange<Int>, element: ClosedRange<Int> = Int.min...Int.max) throws -> [Int] {
        try required(field, accepted: "an array of integers, each \(element.acceptedDescription)",
                     optionalIntArray(field, count: count, element: element))
    }

    public func intArray(_ field: String, default defaultValue: [Int], count: ClosedRange<Int>,
                         element: ClosedRange<Int> = Int.min...Int.max) throws -> [Int] {
        try optionalIntArray(field, count: count, element: element) ?? defaultValue
    }

    public func optionalDoubleArray(_ field: String, count: ClosedRange<Int>, element: NumberInterval = .finite) throws -> [Double]? {
        try array(field, count: count, noun: "numbers", elementAccepted: element.description) { item in
            item.doubleValue.flatMap { element.contains($0) ? $0 : nil }
        }
    }

    public func doubleArray(_ field: String, count: ClosedRange<Int>, element: NumberInterval = .finite) throws -> [Double] {
        try required(field, accepted: "an array of numbers, each \(element.description)",
                     optionalDoubleArray(field, count: count, element: element))
    }

    public func doubleArray(_ field: String, default defaultValue: [Double], count: ClosedRange<Int>,
                            element: NumberInterval = .finite) throws -> [Double] {
        try optionalDoubleArray(field, count: count, element: element) ?? defaultValue
    }

    // MARK: Structure

    /// Exactly one of `fields` must be present (e.g. `["text", "tokens"]`); returns which.
    /// Both present: the error names the second; neither: the error names all of them.
    public func oneOf(_ fields: [String]) throws -> String {
        let present = fields.filter { has($0) }
        let accepted = "exactly one of " + fields.map { "`\($0)`" }.joined(separator: ", ")
        if present.count == 1 { return present[0] }
        if present.isEmpty {
            throw RPCError.invalidParams(field: fields.map(fieldPath).joined(separator: "|"), value: nil, accepted: accepted,
                                         message: "invalid params: one of \(fields.map { "`\(fieldPath($0))`" }.joined(separator: ", ")) is required")
        }
        throw RPCError.invalidParams(field: fieldPath(present[1]), value: members[present[1]], accepted: accepted,
                                     message: "invalid params: give only one of \(present.map { "`\(fieldPath($0))`" }.joined(separator: " and "))")
    }

    /// A nested object as its own reader (errors name `field.member`). Its unknown members are
    /// refused by this reader's `finish()`. Returns nil when absent or null.
    public func optionalObject(_ field: String) throws -> ParamReader? {
        guard let value = raw(field) else { return nil }
        guard value.objectValue != nil else {
            throw RPCError.invalidParams(field: fieldPath(field), value: value, accepted: "an object")
        }
        let child = try ParamReader(value, path: fieldPath(field))
        children.append(child)
        return child
    }

    /// Refuses any field no getter asked for (then checks nested readers the same way).
    public func finish() throws {
        if let unknown = members.keys.filter({ !asked.contains($0) }).sorted().first {
            let known = asked.sorted()
            let accepted = known.isEmpty ? "no parameters" : "a known field: " + known.joined(separator: ", ")
            throw RPCError.invalidParams(field: fieldPath(unknown), value: members[unknown], accepted: accepted,
                                         message: "invalid params: unknown field `\(fieldPath(unknown))`; accepted: \(accepted)")
        }
        for child in children { try child.finish() }
    }
}
