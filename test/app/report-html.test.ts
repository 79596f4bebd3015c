import { describe, expect, it } from 'vitest';
import { evalReport } from '../../app/eval-report';
import { evaluateAt, prepareEvaluation, type EvalInput } from '../../app/metrics';
import { escapeHtml, reportHtml } from '../../app/report-html';
import { thresholdRule } from '../../app/roboflow';
import { thresholdSweep } from '../../app/threshold-sweep';

// The HTML report is built from the user's data: class names (from the model or a labels CSV) and
// file names can hold markup. All of it must arrive as text.

const evil = '<script>alert(1)</script>';
const quote = 'a"b\'c&d';
const classes = [evil, quote];
const data: EvalInput[] = [
  { id: `x/${evil}.jpg`, truth: [evil], result: { status: 'done', multiLabel: false, scores: [[quote, 0.9], [evil, 0.1]] } },
  { id: 'y/ok.jpg', truth: [quote], result: { status: 'done', multiLabel: false, scores: [[quote, 0.8], [evil, 0.2]] } },
];

describe('reportHtml', () => {
  const prepared = prepareEvaluation(data, classes);
  const rule = thresholdRule(0.5, { [evil]: 0.3 });
  const metrics = evaluateAt(prepared, rule);
  const report = evalReport('m/1', metrics, {
    folder: `/tmp/${evil}`,
    mistakes: [{ path: `x/${evil}.jpg`, truth: [evil], prediction: [quote], confidence: 0.9 }],
  });

  it('escapes hostile class names, file names and folders everywhere, and keeps no markup of theirs', () => {
    const html = reportHtml({
      report,
      sweep: thresholdSweep(prepared, rule),
      thumbnails: new Map([[`x/${evil}.jpg`, 'javascript:alert(1)']]),
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain(quote);
    expect(html).toContain(escapeHtml(evil));
    expect(html).toContain('a&quot;b&#39;c&amp;d');
    // The per-class table shows each class's own threshold.
    expect(html).toContain(`<th scope="row">${escapeHtml(evil)}</th><td>0.3</td>`);
    expect(html).toContain('<svg');
  });

  it('embeds only data:image thumbnails', () => {
    const html = reportHtml({ report, thumbnails: new Map([[`x/${evil}.jpg`, 'data:image/jpeg;base64,AAAA']]) });
    expect(html).toContain('<img src="data:image/jpeg;base64,AAAA" alt="">');
    expect(html).not.toContain('Threshold sweep');
  });
});
