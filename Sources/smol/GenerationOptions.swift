import ArgumentParser
import Foundation
import SmolModels

/// The flags that shape one generation: stops, tools, response format, parameters.
struct GenerationOptions: ParsableArguments {
    @Option(name: .customLong("stop"), help: "A stop sequence (repeatable).")
    var stopSequences: [String] = []

    @Option(help: "A JSON file with an array of smolagents tool specs {\"name\", \"description\", \"inputs\", \"output_type\"}.")
    var tools: String?

    @Option(help: "auto, required, none, or a tool name.")
    var toolChoice: String?

    @Option(help: "A JSON file with an OpenAI-style response_format object.")
    var responseFormat: String?

    @Option(name: .customLong("param"), help: "A completion parameter key=value (repeatable); the value is read as JSON when it parses, else as a string.")
    var parameters: [String] = []

    /// The options these flags describe.
    func makeOptions() throws -> GenerateOptions {
        var object = JSONObject()
        for item in parameters {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--param expects key=value, got '\(item)'")
            }
            let value = String(item[item.index(after: equals)...])
            object[String(item[..<equals])] = (try? JSONValue(parsing: value)) ?? .string(value)
        }
        var toolList: [Tool]?
        if let tools {
            let json = try readJSON(tools, flag: "--tools")
            guard case .array(let items) = json else { throw ValidationError("--tools: the file must hold a JSON array") }
            toolList = try items.enumerated().map { index, item in
                do { return try Tool(json: item, location: "tools[\(index)]") } catch { throw ValidationError("--tools: \(error)") }
            }
        }
        var choice: ToolChoice?
        switch toolChoice {
        case nil: choice = nil
        case "auto"?: choice = .auto
        case "required"?: choice = .required
        case "none"?: choice = ToolChoice.none
        case let name?: choice = .function(name)
        }
        var format: ResponseFormat?
        if let responseFormat {
            do { format = try ResponseFormat(json: try readJSON(responseFormat, flag: "--response-format")) } catch let error as ModelError {
                throw ValidationError("--response-format: \(error)")
            }
        }
        return GenerateOptions(stopSequences: stopSequences.isEmpty ? nil : stopSequences, responseFormat: format,
                               tools: toolList, toolChoice: choice, parameters: object)
    }
}

/// Reads and parses a JSON file named by a flag, with errors that name the flag and the file.
func readJSON(_ path: String, flag: String) throws -> JSONValue {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(flag): cannot read \(path)")
    }
    do {
        return try JSONValue(parsing: data)
    } catch {
        throw ValidationError("\(flag): \(path) is not valid JSON: \(error)")
    }
}
