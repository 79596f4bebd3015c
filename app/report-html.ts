import type { EvalReport } from './eval-report';
import { formatPercentTenths } from './format';
import type { ThresholdSweep } from './threshold-sweep';

// The shareable evaluation report: one self-contained HTML file (inline CSS, inline SVG, thumbnails
// as data: URIs) that opens in any browser with no network. A Content-Security-Policy allowing only
// inline styles and data: images makes sure of it even if a string slipped through. Every string
// from files and classes is escaped: class and file names are the user's data, not markup.

export interface HtmlReportInput {
  report: EvalReport;
  sweep?: ThresholdSweep | null;
  /** Small thumbnails of misclassified images by path, as data:image/... URIs (prepared by main). */
  thumbnails?: ReadonlyMap<string, string>;
}

/** The most mistakes listed (the JSON report has them all). */
export const reportMistakeLimit = 500;

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => htmlEscapes[ch]);
}

const dataImage = /^data:image\/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+={0,2}$/;

const pct = (value: number | null | undefined) => (value === null || value === undefined ? '–' : formatPercentTenths(value));

const css = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1f23;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6270;margin:0 0 16px}.meta span{margin-right:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #d8dce3;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:18px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{border:1px solid #d8dce3;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f2f4f7}
td.diag{background:#e3f3e6;font-weight:600}td.off{background:#fbe7e7}
.legend span{margin-right:14px}.legend i{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
ul.mistakes{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px}
ul.mistakes li{border:1px solid #d8dce3;border-radius:6px;padding:6px;display:flex;gap:8px;align-items:flex-start;overflow-wrap:anywhere}
ul.mistakes img,ul.mistakes .noimg{width:64px;height:64px;object-fit:cover;border-radius:4px;flex:none;background:#eee}
.muted{color:#5b6270}
@media print{body{margin:0}}
`;

const series = [
  { key: 'accuracy', label: 'Accuracy', color: '#1f6feb' },
  { key: 'precision', label: 'Macro precision', color: '#8250df' },
  { key: 'recall', label: 'Macro recall', color: '#bc4c00' },
  { key: 'f1', label: 'Macro F1', color: '#1a7f37' },
] as const;

/** The sweep as an inline SVG: four lines over threshold 0..1, the current threshold marked. */
export function sweepSvg(sweep: ThresholdSweep, threshold: number, width = 560, height = 220): string {
  const pad = { left: 40, right: 10, top: 10, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const x = (t: number) => pad.left + t * w;
  const y = (v: number) => pad.top + (1 - v) * h;
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(0)}" x2="${x(1)}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e6e8ec"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="10" fill="#5b6270">${tick * 100}%</text>`);
    parts.push(`<text x="${x(tick)}" y="${height - 8}" text-anchor="middle" font-size="10" fill="#5b6270">${tick}</text>`);
  }
  for (const s of series) {
    const values = sweep[s.key];
    let d = '';
    values.forEach((v, k) => {
      if (v === null) return;
      d += `${d === '' || values[k - 1] === null ? 'M' : 'L'}${x(sweep.thresholds[k]).toFixed(1)},${y(v).toFixed(1)}`;
    });
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
  }
  parts.push(`<line x1="${x(threshold)}" x2="${x(threshold)}" y1="${pad.top}" y2="${pad.top + h}" stroke="#1d1f23" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${x(threshold) + 4}" y="${pad.top + 10}" font-size="10">threshold ${threshold}</text>`);
  const title = `Accuracy and macro precision, recall and F1 as the threshold goes from 0 to 1; the current threshold (${threshold}) is marked.`;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function table(head: string[], rows: string[][], rowHeader = true): string {
  const th = head.map((cell) => `<th scope="col">${cell}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, i) => (i === 0 && rowHeader ? `<th scope="row">${cell}</th>` : `<td>${cell}</td>`)).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The whole report as one HTML document. */
export function reportHtml(input: HtmlReportInput): string {
  const r = input.report;
  const e = escapeHtml;
  const overrides = r.class_thresholds ?? {};
  const thresholdOf = (name: string) => (Object.prototype.hasOwnProperty.call(overrides, name) ? overrides[name] : r.threshold);
  const title = `Evaluation of ${r.model}`;
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${e(title)}</title>`, `<style>${css}</style>`, '</head>', '<body>');
  out.push(`<h1>${e(title)}</h1>`);
  out.push(
    `<p class="meta"><span>Folder: ${e(r.folder ?? '–')}</span><span>Endpoint: ${e(r.endpoint ?? '–')}</span>` +
      `<span>Created: ${e(r.created)}</span><span>Threshold: ${e(String(r.threshold))}</span></p>`,
  );
  const overrideNames = Object.keys(overrides);
  if (overrideNames.length) {
    out.push(`<p class="meta">Per-class thresholds: ${overrideNames.map((name) => `${e(name)} ${e(String(overrides[name]))}`).join(', ')}</p>`);
  }

  const kind = r.multi_label ? 'Exact-match ratio' : 'Accuracy';
  out.push('<section aria-labelledby="summary"><h2 id="summary">Summary</h2><div class="cards">');
  const card = (label: string, value: string) => `<div class="card">${label}<b>${value}</b></div>`;
  out.push(card(kind, pct(r.accuracy)), card('Macro F1', pct(r.macro_avg.f1)), card('Macro precision', pct(r.macro_avg.precision)), card('Macro recall', pct(r.macro_avg.recall)));
  out.push(card('Labelled images', String(r.counts.evaluated)), card('Right', String(r.counts.correct)), card('No prediction', String(r.counts.no_prediction)));
  out.push(card('Unlabelled', String(r.counts.unlabeled)), card('Errors', String(r.counts.errors)), card('Not classified', String(r.counts.not_classified)));
  out.push('</div></section>');

  if (input.sweep) {
    const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${s.label}</span>`).join('');
    out.push(`<section aria-labelledby="sweep"><h2 id="sweep">Threshold sweep</h2><p class="legend">${legend}</p>${sweepSvg(input.sweep, r.threshold)}</section>`);
  }

  out.push('<section aria-labelledby="per-class"><h2 id="per-class">Per class</h2>');
  const perClassRows = r.classes.map((name) => {
    const m = r.per_class[name];
    return [e(name), e(String(thresholdOf(name))), pct(m.precision), pct(m.recall), pct(m.f1), String(m.support)];
  });
  perClassRows.push(['Macro average', '', pct(r.macro_avg.precision), pct(r.macro_avg.recall), pct(r.macro_avg.f1), '']);
  perClassRows.push(['Weighted average', '', pct(r.weighted_avg.precision), pct(r.weighted_avg.recall), pct(r.weighted_avg.f1), '']);
  out.push(table(['Class', 'Threshold', 'Precision', 'Recall', 'F1', 'Support'], perClassRows), '</section>');

  out.push(`<section aria-labelledby="confusion"><h2 id="confusion">${r.multi_label ? 'Co-occurrence' : 'Confusion matrix'} <span class="muted">(rows: true class, columns: predicted)</span></h2>`);
  const head = ['True \\ predicted', ...r.confusion.labels.map(e), '(none)'];
  const rows = r.confusion.labels.map((name, row) => [
    e(name),
    ...r.confusion.matrix[row].map((count, col) => (count === 0 ? '0' : `<span class="${row === col ? 'diag' : 'off'}">${count}</span>`)),
    String(r.confusion.no_prediction[row] ?? 0),
  ]);
  out.push(table(head, rows).replace(/<td><span class="(diag|off)">(\d+)<\/span><\/td>/g, '<td class="$1">$2</td>'), '</section>');

  const mistakes = r.mistakes ?? [];
  out.push(`<section aria-labelledby="mistakes"><h2 id="mistakes">Mistakes <span class="muted">(${mistakes.length})</span></h2>`);
  if (mistakes.length === 0) out.push('<p>No labelled image is misclassified at this threshold.</p>');
  else {
    if (mistakes.length > reportMistakeLimit) out.push(`<p class="muted">The first ${reportMistakeLimit} in path order; the JSON report lists all ${mistakes.length}.</p>`);
    out.push('<ul class="mistakes">');
    for (const m of mistakes.slice(0, reportMistakeLimit)) {
      const uri = input.thumbnails?.get(m.path);
      const img = uri && dataImage.test(uri) ? `<img src="${uri}" alt="">` : '<span class="noimg" aria-hidden="true"></span>';
      const predicted = m.prediction.length ? m.prediction.map(e).join(', ') : '<span class="muted">none above threshold</span>';
      out.push(
        `<li>${img}<div><div class="path">${e(m.path)}</div><div>True: ${m.truth.map(e).join(', ')}</div>` +
          `<div>Predicted: ${predicted}</div><div class="muted">Confidence ${pct(m.confidence)}</div></div></li>`,
      );
    }
    out.push('</ul>');
  }
  out.push('</section>', '</body>', '</html>');
  return out.join('\n') + '\n';
}
