/**
 * The index.html shell: a page that opens offline from its folder. CSS is
 * inline, plots are images of the SVG files beside it, there are no scripts
 * and no fonts or styles from elsewhere. The Content-Security-Policy is a
 * second line of defence: should markup ever slip through escaping, the
 * browser still runs no script and loads nothing but the folder's images.
 */
import { escapeHtml } from './escape.js';

/** Page-level element ids; study and plot ids are made unique against these. */
export const PAGE_IDS = ['contents', 'findings'] as const;

const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'";

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Verdana, sans-serif; color: #1b1b1b; margin: 0 auto; padding: 1.5rem; max-width: 70rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 1rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 0.5rem; padding-top: 1rem; border-top: 1px solid #d0d0d0; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 0.5rem; }
.lead { color: #444; max-width: 50rem; }
code, td.code, td.message { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.table { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #d6d6d6; padding: 0.25rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
th .note { font-weight: normal; color: #666; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.message { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 40rem; }
figure { margin: 1rem 0 1.8rem; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9rem; max-width: 50rem; }
figcaption .files { white-space: nowrap; }
.missing { color: #8a4b00; }
nav ol { padding-left: 1.4rem; }
`;

export interface PageSection {
  id: string;
  title: string;
  html: string;
}

export function htmlPage(title: string, sections: readonly PageSection[]): string {
  const contents = sections.length > 1
    ? `<nav id="${PAGE_IDS[0]}">\n<h2>Contents</h2>\n<ol>\n${sections
      .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
      .join('\n')}\n</ol>\n</nav>`
    : '';
  const body = sections.length > 0 ? sections.map((s) => s.html).join('\n') : '<p>This report has no studies.</p>';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    ...(contents ? [contents] : []),
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
