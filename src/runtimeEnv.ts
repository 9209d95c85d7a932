// Environment variables the Bun runtime inside sbx would honour while sbx is root, and that the
// build could not neutralise (scripts/build.ts renames the ones it can). JavaScriptCore reads
// BUN_JSC_* as engine options at start-up: debug dumps to stdout, files written to named paths
// (jitDumpDirectory, samplingProfilerPath, …), functionOverrides (replacement function bodies
// read from a file). sbx refuses to go on rather than run as root under them; a workload that
// needs one gets it through `sbx exec --env NAME=VALUE`, which sbx's own runtime never sees.
const REFUSED_PREFIXES = ["BUN_JSC_"];

/** The first such variable among `names`, if any. */
export function runtimeHookVariable(names: readonly string[]): string | undefined {
  return names.find((name) => REFUSED_PREFIXES.some((p) => name.startsWith(p)));
}

export function runtimeHookMessage(name: string): string {
  return `${name} is set: the Bun runtime inside sbx reads BUN_JSC_* (JavaScriptCore options) as root; unset it for sbx and give it to the workload with sbx exec --env ${name}=…`;
}
