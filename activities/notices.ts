import type { NoticeParties } from '../db/reseller-users';
import { type ActivityDeps, sendOnce } from './mailer';
import type { RenderedEmail } from './templates/layout';
import type { NoticeAddress } from './templates/notice';

/**
 * P2/R1: one notice to each party of a customer, keyed `<key>/<recipient>` so that a repeat sends only what has
 * not gone yet, under the template `<template>.<audience>`. Returns how many recipients there were.
 */
export async function sendNotices(
  deps: ActivityDeps,
  parties: NoticeParties,
  notice: { key: string; template: string; render: (to: NoticeAddress) => RenderedEmail },
): Promise<number> {
  for (const r of parties.recipients) {
    const email = notice.render({
      audience: r.audience,
      recipientName: r.name,
      organizationName: parties.organizationName,
      resellerName: parties.resellerName,
    });
    await sendOnce(deps, `${notice.key}/${r.key}`, {
      ...email,
      to: r.email,
      template: `${notice.template}.${r.audience}`,
    });
  }
  return parties.recipients.length;
}
