// Entry point: start.ts does the work. `sbx --version` (or -V), the one command that needs neither
// argv nor the environment as bytes, is answered before that module, the libc binding and the
// raw argv/environ reads are even loaded: what it checks first is decided the same from the
// runtime's decoded argv and environment (the words compared are ASCII, and a BUN_JSC_* name stays
// one when decoded), and anything else, a BUN_JSC_* variable included, goes the full way.
import "./phases.ts"; // first: its top-level mark is the first statement of sbx (the bench's phases)

const argv0 = process.argv0;
const first = process.argv[2];
const plainVersion =
  (first === "--version" || first === "-V") &&
  argv0.slice(argv0.lastIndexOf("/") + 1) !== "gosu" &&
  !Object.keys(process.env).some((name) => name.startsWith("BUN_JSC_"));
if (plainVersion) await (await import("./cli/version.ts")).printVersion();
else await import("./start.ts");
