import { defineCommand } from "citty";
import { exitCodeOf } from "../doctor/findings.ts";
import { gatherFacts } from "../doctor/probe.ts";
import { formatReport, toReport } from "../doctor/report.ts";
import { EXIT } from "../exitCodes.ts";
import { StateReadError } from "../state/self.ts";
import { die } from "./fail.ts";

export const doctorCommand = defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check, without changing anything, what this kernel, runtime and installation let sbx exec do. " +
      "Exit 0 when every finding is ok or info, 1 when any is warn or fail, 3 when this process's own state cannot be read",
  },
  args: {
    json: { type: "boolean", description: "Print the sbx.doctor/1 JSON document" },
  },
  run({ args }) {
    let report;
    try {
      report = toReport(gatherFacts());
    } catch (e) {
      if (e instanceof StateReadError) die(e.message, EXIT.UNREADABLE);
      throw e;
    }
    process.stdout.write(args.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
    process.exitCode = exitCodeOf(report.findings);
  },
});
