// The summary line of a test run, from bun's JUnit report: "N passed, N failed[, N skipped]",
// preceded by one line per skipped test naming it (its name says what it waits for), so a skip is
// never silent. A missing or unreadable report counts as a failure, never as an empty green run,
// and so do errors outside any test (a test file that fails to load), which the JUnit report
// leaves out: they are counted from bun's log.
import { readFileSync } from "node:fs";

export interface Summary {
  lines: string[];
  ok: boolean;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

export function summarize(junitFile: string, log: string): Summary {
  let xml = "";
  try {
    xml = readFileSync(junitFile, "utf8");
  } catch {
    return { lines: [`no test report at ${junitFile}`, "0 passed, 1 failed"], ok: false };
  }
  const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? NaN);
  const [tests, failures, errors, skipped] = [attr("tests"), attr("failures"), attr("errors") || 0, attr("skipped") || 0];
  if (!Number.isFinite(tests) || !Number.isFinite(failures)) return { lines: [`unreadable test report ${junitFile}`, "0 passed, 1 failed"], ok: false };
  const unhandled = Number(/^\s*(\d+) errors?$/m.exec(log)?.[1] ?? 0);
  const failed = failures + errors + unhandled;
  const skips = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*\bfile="([^"]*)" line="(\d+)"[^>]*>\s*<skipped\b/g)].map(
    ([, name, file, line]) => `skipped: ${file}:${line} ${unescape(name!)}`,
  );
  return {
    lines: [...skips, `${tests - failed - skipped} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`],
    ok: failed === 0 && tests > 0,
  };
}
