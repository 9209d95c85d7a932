// gosu mode: the binary invoked as `gosu` (a symlink or copy) behaves like gosu 1.14 — same
// arguments, texts and exit code 1 for its own failures — on top of sbx's step-down: fds beyond
// stdio closed at exec (unless SBX_PRESERVE_FDS or LISTEN_FDS keep them), signal dispositions
// reset, identity verified, empty user part refused. docs/exec.md "gosu mode" lists the differences.
import type { Environment } from "../identity/env.ts";
import { IdentityError } from "../identity/errors.ts";
import { GOSU_RULES } from "../identity/resolve.ts";
import { parseUserSpec } from "../identity/spec.ts";
import { UserDbError } from "../identity/userdb.ts";
import { UsageError } from "../options/option.ts";
import { failureLine, type Line } from "../render/messages.ts";
import { detectionFinding } from "../render/ocsf.ts";
import { DEGRADATION_FINDING } from "../stepdown/degrade.ts";
import { realKernel } from "../stepdown/kernel.ts";
import { prepare } from "../stepdown/prepare.ts";
import { LookupRefusal, Refusal } from "../stepdown/refusal.ts";
import type { Failure } from "../stepdown/run.ts";
import { runStepDown } from "../stepdown/run.ts";
import { EPERM } from "../sys/errno.ts";
import { exit, writeStderr, writeText } from "../sys/process.ts";
import type { ByteString } from "../text/bytes.ts";
import { toText } from "../text/bytes.ts";
import { mark } from "../phases.ts";
import { VERSION } from "../version.ts";
import { classifyGosuArgs } from "./args.ts";
import { GOSU_SAY, gosuOptions, SBX_HELP, withoutSbxVars } from "./options.ts";
import { GOSU_EXIT_FAILURE, gosuExecError, gosuLookupError, gosuModeHelp, gosuSpecError, gosuSwitchError, gosuUsage, gosuVersionLine } from "./texts.ts";

/** The identity switch itself: where gosu says "failed switching to …: operation not permitted". */
const SWITCH = new Set(["setgroups", "setresgid", "setresuid"]);

class GosuVoice {
  constructor(
    private readonly spec: ByteString,
    private readonly ocsf: boolean,
  ) {}

  private say(line: string, finding: string | null, message: string): never {
    writeStderr(line);
    if (this.ocsf && finding) writeStderr(detectionFinding({ uid: finding, title: "sbx (gosu mode) refused to run the workload", desc: message, severity: "high" }));
    return exit(GOSU_EXIT_FAILURE);
  }

  refuse(e: unknown): never {
    if (e instanceof IdentityError) return this.say(gosuSpecError(this.spec, e), null, e.message);
    if (e instanceof LookupRefusal) return this.say(gosuLookupError(e.lookup), null, "");
    // gosu tries setgroups and reports its EPERM; sbx refuses first, in gosu's words.
    if (e instanceof Refusal && e.step === "permission") return this.say(gosuSwitchError(this.spec, EPERM), e.findingUid, e.message);
    if (e instanceof Refusal) return this.say(`error: ${e.message}`, e.findingUid ?? `stepdown-${e.step}-failed`, e.message);
    if (e instanceof UsageError || e instanceof UserDbError) return this.say(`error: ${e.message}`, null, e.message);
    throw e;
  }

  fail(f: Failure): never {
    if (f.kind === "lookup") return this.say(gosuLookupError(f.lookup), null, "");
    if (f.kind === "exec") return this.say(gosuExecError(f.failure.errno), "stepdown-exec-failed", f.failure.call);
    if (f.kind === "call" && SWITCH.has(f.op.kind)) return this.say(gosuSwitchError(this.spec, f.failure.errno), null, "");
    const l: Line = failureLine(f, GOSU_SAY, 0);
    return this.say(`error: ${l.message}`, l.finding, l.message);
  }
}

export async function runGosu(argv0: ByteString, args: readonly ByteString[], raw: readonly ByteString[], env: Environment): Promise<never> {
  mark("loaded");
  const call = classifyGosuArgs(args);
  const version = gosuVersionLine(VERSION, process.arch);
  // gosu names itself by the basename of argv[0].
  const self = toText(argv0.slice(argv0.lastIndexOf("/") + 1));
  if (call.kind === "help" || call.kind === "version") {
    const out = writeText(1, call.kind === "help" ? gosuUsage(self, version) + gosuModeHelp(SBX_HELP) : version + "\n");
    return exit(out.ok ? 0 : GOSU_EXIT_FAILURE);
  }
  if (call.kind === "usage-error") {
    writeText(2, gosuUsage(self, version));
    return exit(GOSU_EXIT_FAILURE);
  }
  let voice = new GosuVoice(call.spec, env.get("SBX_LOG_FORMAT") === "ocsf");
  try {
    parseUserSpec(call.spec); // gosu's wording for a bad spec comes before any SBX_* complaint
    const o = gosuOptions(call.spec, [...call.argv], raw, env);
    voice = new GosuVoice(call.spec, o.logFormat === "ocsf");
    mark("parsed");
    const { plan, facts, statusFd } = await prepare(o, withoutSbxVars(env), { say: GOSU_SAY, rules: GOSU_RULES });
    mark("ready");
    const v = voice;
    return runStepDown(
      plan,
      realKernel(plan.lastCap, statusFd),
      {
        degraded: (d) => {
          writeStderr(`warning: running DEGRADED (${d.name}): ${d.reason}`);
          if (o.logFormat === "ocsf") writeStderr(detectionFinding({ uid: DEGRADATION_FINDING[d.name], title: `sbx (gosu mode) runs the workload degraded: ${d.name}`, desc: d.reason, severity: "medium" }));
        },
        report: () => new Uint8Array(0),
      },
      (f) => v.fail(f),
    );
    void facts;
  } catch (e) {
    return voice.refuse(e);
  }
}
