import { hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

// Contacts' passwords (E2: "a strong password"): judged by zxcvbn, stored as argon2id.

export const MIN_PASSWORD_LENGTH = 12;
const MIN_SCORE = 3;

let zxcvbn: ZxcvbnFactory | null = null;
// The dictionaries are large: build the estimator on first use, not when the API starts.
const estimator = (): ZxcvbnFactory =>
  (zxcvbn ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  }));

/** Null when strong enough; otherwise the reason, in words the contact can act on. */
export function passwordWeakness(password: string, userInputs: string[]): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  // The contact's own name, email and company are the first guesses of an attacker.
  const inputs = userInputs.flatMap((s) => [s, ...s.split(/[^\p{L}\p{N}]+/u)]).filter((s) => s.length >= 3);
  const result = estimator().check(password, inputs);
  if (result.score >= MIN_SCORE) return null;
  const { warning, suggestions } = result.feedback;
  return ['The password is too easy to guess.', warning, ...suggestions].filter(Boolean).join(' ');
}

/** argon2id with the library's defaults (19 MiB, 2 passes: OWASP's recommended minimum). */
export const hashPassword = (password: string): Promise<string> => hash(password);

// A real hash of a random string, so an unknown username costs as much time as a wrong password.
let decoy: Promise<string> | null = null;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    decoy ??= hash(`decoy-${Math.random()}`);
    await verify(await decoy, password);
    return false;
  }
  return verify(passwordHash, password);
}
