// `default`: what Docker's default profile gives a container, plus the guards Docker lacks.
import type { ProfileInput } from "../profile.ts";
import {
  ARCH_MAP,
  ARCH_SPECIFIC_RULES,
  CAPABILITY_ALLOWANCES,
  capabilityRules,
  CLONE3_ENOSYS,
  CLONE_WITHOUT_NAMESPACES,
  DOCKER_ALLOWED,
  DOCKER_DENIED_FAMILIES,
  ioctlRules,
  PERSONALITY_RULES,
  PTRACE_FROM_4_8,
  socketRules,
} from "./docker.ts";

export const defaultProfile = (): ProfileInput => ({
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: ARCH_MAP,
  syscalls: [
    { names: DOCKER_ALLOWED.filter((n) => n !== "ioctl"), action: "SCMP_ACT_ALLOW" },
    ...ioctlRules(),
    PTRACE_FROM_4_8,
    ...socketRules(DOCKER_DENIED_FAMILIES),
    ...PERSONALITY_RULES,
    ...ARCH_SPECIFIC_RULES,
    ...capabilityRules(CAPABILITY_ALLOWANCES),
    CLONE_WITHOUT_NAMESPACES,
    { ...CLONE3_ENOSYS, excludes: { caps: ["CAP_SYS_ADMIN"] } },
  ],
});
