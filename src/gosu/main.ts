// gosu mode: the binary invoked as `gosu` (a symlink or copy) behaves like gosu 1.14 — same
// arguments, texts and exit code 1 for its own failures — on top of sbx's step-down: fds beyond
// stdio closed at exec, signal dispositions reset, identity verified, empty user part refused.
import { exit, writeFd, writeStderr } from "../sys/process.ts";
import { errnoName } from "../sys/errno.ts";
import { IdentityError } from "../user/errors.ts";
import { parseUserSpec } from "../user/spec.ts";
import {
  classifyGosuArgs, GOSU_EXIT_FAILURE, gosuExecError, gosuLookupError, gosuSpecError, gosuSwitchSyscallError, gosuUsage, gosuVersionLine,
} from "../user/gosuText.ts";
import { runStepDown } from "../stepdown/apply.ts";
import { detectionFinding } from "../stepdown/ocsf.ts";
import type { ExecOptions } from "../stepdown/options.ts";
import { prepare } from "../stepdown/prepare.ts";
import { LookupRefusal, Refusal } from "../stepdown/refusal.ts";
import type { Failure, Voice } from "../stepdown/voice.ts";
import { VERSION } from "../version.ts";
import { gosuOptions, withoutSbxVars } from "./options.ts";

const SWITCH_STEPS = new Set(["groups", "gid", "uid"]);

function gosuVoice(spec: string, o: Pick<ExecOptions, "logFormat"> | null): Voice {
  const ocsf = o?.logFormat === "ocsf";
  return {
    fail(f: Failure): never {
      let line: string;
      if (f.kind === "lookup") line = gosuLookupError(f.lookup);
      else if (f.kind === "exec") line = gosuExecError(errnoName(f.errno));
      else if (SWITCH_STEPS.has(f.step) && f.errno !== null) line = gosuSwitchSyscallError(spec, errnoName(f.errno));
      else line = `error: ${f.message}`;
      writeStderr(line);
      if (ocsf && f.kind === "step") {
        writeStderr(detectionFinding({ uid: f.findingUid ?? `stepdown-${f.step}-failed`, title: "sbx (gosu mode) refused to run the workload", desc: f.message, severity: "high" }));
      }
      return exit(GOSU_EXIT_FAILURE);
    },
    degraded(d) {
      writeStderr(`warning: running DEGRADED (${d.name}): ${d.reason}`);
      if (ocsf) writeStderr(detectionFinding({ uid: d.findingUid, title: `sbx (gosu mode) runs the workload degraded: ${d.name}`, desc: d.reason, severity: "medium" }));
    },
  };
}

export async function runGosu(self: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<never> {
  const call = classifyGosuArgs(args);
  const version = gosuVersionLine(VERSION, process.arch);
  if (call.kind === "help") {
    process.stdout.write(gosuUsage(self, version));
    return exit(0);
  }
  if (call.kind === "version") {
    process.stdout.write(version + "\n");
    return exit(0);
  }
  if (call.kind === "usage-error") {
    writeFd(2, gosuUsage(self, version));
    return exit(GOSU_EXIT_FAILURE);
  }
  let o: ExecOptions | null = null;
  try {
    parseUserSpec(call.spec); // gosu's wording for a bad spec comes before any SBX_* complaint
    o = gosuOptions(call.spec, call.argv, env);
    const { plan, facts, afterInstall } = await prepare(o, withoutSbxVars(env));
    return runStepDown({ plan, before: facts.state, voice: gosuVoice(call.spec, o), report: () => null, afterInstall });
  } catch (e) {
    const voice = gosuVoice(call.spec, o);
    if (e instanceof IdentityError) {
      writeStderr(gosuSpecError(call.spec, e));
      return exit(GOSU_EXIT_FAILURE);
    }
    if (e instanceof LookupRefusal) return voice.fail({ kind: "lookup", lookup: e.lookup });
    if (e instanceof Refusal) return voice.fail({ kind: "step", step: e.step, message: e.message, findingUid: e.findingUid, errno: null });
    if (e instanceof Error) return voice.fail({ kind: "step", step: "usage", message: e.message, findingUid: null, errno: null });
    throw e;
  }
}
