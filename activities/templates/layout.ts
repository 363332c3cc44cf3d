/** Escapes text for HTML; every value placed in a template goes through it. */
export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** An amount in minor units, as the customer reads it: "€123.45". */
export const formatMoney = (minor: number, currency: string): string =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);

/** An instant as a link's expiry is told: "Wed, 04 Mar 2026 05:06:07 UTC". */
export const formatUtc = (d: Date): string => d.toUTCString().replace(/ GMT$/, ' UTC');

/** What an email says, written once for both its versions: the plain text and the HTML layout. */
export interface EmailContent {
  subject: string;
  heading: string;
  /** The line mail clients show after the subject; by default the first paragraph, else the heading. */
  preheader?: string;
  greeting: string;
  paragraphs: string[];
  /** The button; the plain text gives its address after `text` (by default the button's label). */
  action?: { label: string; url: string; text?: string };
  footer: string;
  /** The plain text's closing lines, where they are not the HTML footer. */
  textFooter?: string;
}

/** Every email of the engine: the greeting, the paragraphs, the action and the footer, in text and in HTML. */
export function renderEmail(e: EmailContent): RenderedEmail {
  const text = [
    e.greeting,
    '',
    ...e.paragraphs.flatMap((p) => [p, '']),
    ...(e.action ? [`${e.action.text ?? e.action.label}: ${e.action.url}`, ''] : []),
    e.textFooter ?? e.footer,
  ].join('\n');
  const html = layout({
    preheader: e.preheader ?? e.paragraphs[0] ?? e.heading,
    heading: e.heading,
    paragraphs: [e.greeting, ...e.paragraphs].map(escapeHtml),
    action: e.action,
    footer: e.footer,
  });
  return { subject: e.subject, text, html };
}

/** A plain, accessible layout that survives mail clients: one column, inline styles, a real button link. */
function layout(opts: {
  preheader: string;
  heading: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footer: string;
}): string {
  const p = (html: string) => `<p style="margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2933">${html}</p>`;
  const button = opts.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(opts.action.url)}" style="display:inline-block;background:#1f5fbf;color:#ffffff;text-decoration:none;font-weight:600;padding:12px 24px;border-radius:6px">${escapeHtml(opts.action.label)}</a></p>
       ${p(`If the button does not work, paste this address into your browser:<br><span style="word-break:break-all;color:#52606d">${escapeHtml(opts.action.url)}</span>`)}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(opts.heading)}</title></head>
<body style="margin:0;padding:0;background:#f5f7fa;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif">
<span style="display:none;max-height:0;overflow:hidden">${escapeHtml(opts.preheader)}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 16px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
<h1 style="margin:0 0 24px;font-size:22px;line-height:30px;color:#102a43">${escapeHtml(opts.heading)}</h1>
${opts.paragraphs.map(p).join('\n')}
${button}
<p style="margin:32px 0 0;font-size:13px;line-height:20px;color:#7b8794">${escapeHtml(opts.footer)}</p>
</td></tr></table></td></tr></table></body></html>`;
}
