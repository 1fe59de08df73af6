#!/usr/bin/env bash
# Checks the package's layering from its own manifest: what each library product makes an app compile
# (SwiftPM builds exactly the transitive closure of a product's targets). An app that depends only on
# SmolRemote must compile no C kernels and no local engine; SmolCore must stand on Foundation alone; the
# umbrella without the LocalEngine trait must leave SmolLocal out; no library links an OpenTelemetry exporter.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build-logs
# Its own scratch folder: reading the manifest then never waits for a build holding .build's lock.
swift package --scratch-path .build-manifest dump-package > .build-logs/manifest.json
check() {
    python3 - .build-logs/manifest.json "$1" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
traits = set(filter(None, sys.argv[2].split(",")))
targets = {t["name"]: t for t in manifest["targets"]}
def deps(name, seen=None):
    seen = set() if seen is None else seen
    for d in targets[name].get("dependencies", []):
        kind, value = next(iter(d.items()))
        dep, condition = value[0], (value[-1] or {})
        needed = condition.get("traits") if isinstance(condition, dict) else None
        if needed is not None and not (set(needed) & traits):
            continue
        if kind in ("byName", "target") and dep in targets and dep not in seen:
            seen.add(dep)
            deps(dep, seen)
        elif kind == "product":
            seen.add(f"{value[1]}:{dep}")
    return seen
closure = {p["name"]: deps(p["targets"][0]) | {p["targets"][0]} for p in manifest["products"] if "library" in p["type"]}
failures = []
def expect(ok, text):
    print(("ok   " if ok else "FAIL ") + text)
    if not ok: failures.append(text)
label = f"traits={sorted(traits) or 'none'}"
expect(not {"CSmolKernels", "SmolLocal"} & closure["SmolRemote"], f"{label}: SmolRemote compiles no C kernels and no local engine: {sorted(closure['SmolRemote'])}")
expect(closure["SmolCore"] == {"SmolCore"}, f"{label}: SmolCore depends on nothing: {sorted(closure['SmolCore'])}")
# swift-distributed-tracing's `Tracing` is the tracing API only (no exporter, no I/O): the local engine's GenAI spans.
local_ok = ("swift-collections:", "swift-distributed-tracing:Tracing")
expect({"SmolCore"} <= closure["SmolLocal"] and not any(":" in d for d in closure["SmolLocal"] if not d.startswith(local_ok)),
       f"{label}: SmolLocal needs no networking package: {sorted(closure['SmolLocal'])}")
expect(deps("SmolTracing") == {"SmolCore", "swift-distributed-tracing:Tracing"},
       f"{label}: SmolTracing (the shared GenAI spans) stands on SmolCore and the tracing API only: {sorted(deps('SmolTracing'))}")
# Exporting spans is the application's choice: only the `smol` executable links swift-otel.
for product, deps_ in sorted(closure.items()):
    expect(not any(d.startswith("swift-otel:") for d in deps_), f"{label}: {product} pulls no OpenTelemetry exporter")
has_local = "SmolLocal" in closure["SmolModels"]
expect(has_local == ("LocalEngine" in traits), f"{label}: the SmolModels umbrella includes SmolLocal only with LocalEngine: {sorted(closure['SmolModels'])}")
sys.exit(1 if failures else 0)
PY
}
check "LocalEngine"
check ""
