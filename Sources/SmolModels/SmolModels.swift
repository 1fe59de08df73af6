// The umbrella module: `import SmolModels` gives the data model, the protocol and every backend.
// Without the package trait `LocalEngine` (on by default) it leaves the local engine out, so an app
// that only calls APIs compiles no inference code and no C kernels.
@_exported import SmolCore
@_exported import SmolRemote

#if LocalEngine
@_exported import SmolLocal
#endif
