import { exitCodeOf } from "../doctor/findings.ts";
import { gatherFacts } from "../doctor/probe.ts";
import { formatReport, toReport } from "../doctor/report.ts";
import { EXIT } from "../exitCodes.ts";
import type { OptionTable } from "../options/option.ts";
import { exit } from "../sys/process.ts";
import { command } from "./command.ts";
import { die } from "./log.ts";
import { print } from "./output.ts";

const OPTIONS = {
  json: { help: "Print the sbx.doctor/1 JSON document" },
} as const satisfies OptionTable;

export const doctorCommand = command({
  name: "doctor",
  description:
    "Check, without changing anything, what this kernel, runtime and installation let sbx exec do. " +
    "Exit 0 when every finding is ok or info, 1 when any is warn or fail (with --json too), 2 for a bad command line, 3 when this process's own state cannot be read or trusted, 4 when the output cannot be written",
  options: OPTIONS,
  examples: ["sbx doctor", "sbx doctor --json"],
  run(args) {
    const facts = gatherFacts();
    if (!facts.ok) die(facts.problem, EXIT.UNREADABLE);
    const report = toReport(facts.value);
    print(args.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
    exit(exitCodeOf(report.findings));
  },
});
