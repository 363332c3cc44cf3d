import { rateLimit } from 'express-rate-limit';
import type { Config } from '../../config';
import { durationMs } from '../../workflows/duration';

/**
 * Guessing limits for what anyone on the internet can reach: contact sign-in and the pages behind
 * emailed links. Per client address, in memory (one API process); a shared store is the next step
 * when the API runs on several machines.
 */
export function publicRateLimits(
  config: Pick<Config, 'LOGIN_RATE_LIMIT' | 'PUBLIC_PAGE_RATE_LIMIT' | 'RATE_LIMIT_WINDOW'>,
) {
  const windowMs = durationMs(config.RATE_LIMIT_WINDOW);
  const tooMany = (what: string) => ({
    error: { code: 'too_many_requests', message: `Too many ${what}; try again later.` },
  });
  return {
    login: rateLimit({
      windowMs,
      limit: config.LOGIN_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      message: tooMany('sign-in attempts'),
    }),
    pages: rateLimit({
      windowMs,
      limit: config.PUBLIC_PAGE_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      message: tooMany('requests'),
    }),
  };
}
