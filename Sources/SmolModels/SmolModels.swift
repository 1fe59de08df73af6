// The umbrella module: `import SmolModels` gives the data model, the protocol and every backend.
@_exported import SmolCore
@_exported import SmolLocal
@_exported import SmolRemote
