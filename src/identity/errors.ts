// Errors from identity resolution. Each carries a machine-readable problem (so the gosu front end
// can print gosu's wording for the cases gosu also rejects) and a one-line message naming the input.
import { quote } from "../text/quote.ts";

export type IdentityProblem =
  /** "", ":grp", ":" — gosu would keep the current user, which is root in an entrypoint. */
  | "empty-user"
  /** "a:b:c" */
  | "extra-colon"
  /** "-1", "2147483648", "99999999999999999999": outside 0..2^31-1 (moby/sys/user's range). */
  | "out-of-range"
  /** "+0", "00", "-0": a number, but not written plainly; gosu reads "+0" and "00" as root. */
  | "not-canonical"
  | "name-too-long"
  | "unknown-user"
  | "unknown-group"
  /** `--groups init` for a uid that has no passwd entry, so no memberships to look up. */
  | "no-passwd-entry"
  /** `sbx exec --user 1000` without a passwd entry: no group to take (name one). */
  | "no-group"
  /** `--groups ""` or `--groups a,,b` */
  | "empty-item";

export class IdentityError extends Error {
  constructor(
    readonly problem: IdentityProblem,
    /** What the input was given as; starts the message. */
    readonly subject: "user spec" | "groups",
    /** The whole text the operator gave. */
    readonly input: string,
    /** The offending part of it (a name, a number, or the whole input). */
    readonly part: string,
    /** Why, without the input: "no user \"bogus\" in /etc/passwd". */
    readonly reason: string,
  ) {
    super(`${subject} ${quote(input)}: ${reason}`);
  }
}

export type Fail = (problem: IdentityProblem, part: string, reason: string) => IdentityError;

/** An IdentityError factory for one input. */
export function failFor(subject: IdentityError["subject"], input: string): Fail {
  return (problem, part, reason) => new IdentityError(problem, subject, input, part, reason);
}
