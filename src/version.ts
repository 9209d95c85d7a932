import { version } from "../package.json" with { type: "json" };

declare const SBX_BUILD_TARGET: string | undefined;

export const VERSION: string = version;

/** The `bun build --target` this binary was compiled for, e.g. "bun-linux-x64" (glibc). */
export const BUILD_TARGET: string =
  typeof SBX_BUILD_TARGET === "string" ? SBX_BUILD_TARGET : "unbuilt (running from source)";

/** "linux-x64 glibc" from a target name such as "bun-linux-x64" or "bun-linux-arm64-musl". */
export function describeTarget(target: string): string {
  const m = /^bun-linux-(x64|arm64)(?:-(baseline|modern))?(-musl)?$/.exec(target);
  if (!m) return target;
  return `linux-${m[1]}${m[2] ? `-${m[2]}` : ""} ${m[3] ? "musl" : "glibc"}`;
}

/**
 * "sbx 0.1.0 (linux-x64 glibc, bun 1.4.5)". The Bun version is read from the runtime at run time,
 * not baked in at build time: it names the runtime this binary really carries.
 */
export const versionLine = () => `sbx ${VERSION} (${describeTarget(BUILD_TARGET)}, bun ${Bun.version})`;
