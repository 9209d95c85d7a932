// Prints CI's summary line from bun's JUnit report: "N passed, N failed[, N skipped]".
// A missing or unreadable report counts as a failure, never as an empty green run, and so do
// errors outside any test (a test file that fails to load), which the JUnit report leaves out:
// they are counted from bun's log.
//   bun run scripts/ci-summary.ts JUNIT_XML TEST_LOG
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".tmp/junit.xml";
const log = process.argv[3];
let xml = "";
try {
  xml = readFileSync(file, "utf8");
} catch {
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? NaN);
const [tests, failures, errors, skipped] = [attr("tests"), attr("failures"), attr("errors") || 0, attr("skipped") || 0];
if (!Number.isFinite(tests) || !Number.isFinite(failures)) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const unhandled = log ? Number(/^\s*(\d+) errors?$/m.exec(readFileSync(log, "utf8"))?.[1] ?? 0) : 0;
const failed = failures + errors + unhandled;
console.log(`${tests - failed - skipped} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || tests === 0 ? 1 : 0);
