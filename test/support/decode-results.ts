import type { ResultColumns } from '../../app/result-columns';
import { ResultRows } from '../../app/result-table';
import type { ResultSummary } from '../../app/types';

/** The summaries of a page, in order, as the page's results table reads them (tests compare pages
 *  with the summaries they stand for). */
export function decodeResults(page: ResultColumns): ResultSummary[] {
  const rows = new ResultRows();
  const out: ResultSummary[] = [];
  rows.addPage(page, (_, row) => out.push(rows.made(row)));
  return out;
}
