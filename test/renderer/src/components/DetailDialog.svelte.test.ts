import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../../../renderer/src/stores/app-stores';
import { failed, folderId, judged, judgedApi, judgedStores, storesWithFolder } from '../../../support/renderer-fixtures.svelte';
import type { FakeApi } from '../../../support/fake-api';
import DetailHarness from '../../../support/DetailHarness.svelte';
import { formatBytes } from '../../../../app/format';

let stores: (Stores & { destroy: () => void }) | undefined;
afterEach(() => stores?.destroy());

/** The detail view over the judged folder; `judge: false` when the results leave nothing to judge. */
async function detailOf(api: FakeApi, start: number, { panel = false, judge = true } = {}) {
  window.api = api;
  stores = judge ? await judgedStores(api) : await storesWithFolder(api, judged.entries);
  render(DetailHarness, { api, stores, start, panel });
  return stores;
}

describe('Detail view', () => {
  it('shows the image, its place in the view, the prediction and the raw response', async () => {
    const api = judgedApi({
      resultDetail: ({ id }) => ({ id, size: 1000, mtimeMs: 0, status: 'done', response: { top: 'cat', time: 0.01 }, startedAt: '', finishedAt: '' }),
      imageFacts: () => ({ size: 2048, mtimeMs: Date.UTC(2026, 0, 2) }),
    });
    await detailOf(api, 0);
    const dialog = screen.getByRole('dialog', { name: '1.jpg' });
    // Size and date as main read them from the disk when the image came into view.
    expect(await within(dialog).findByText(formatBytes(2048))).toBeInTheDocument();
    expect(within(dialog).getByText(new Date(Date.UTC(2026, 0, 2)).toLocaleString())).toBeInTheDocument();
    expect(api.requests('imageFacts')).toEqual([{ folderId, id: 'cat/1.jpg' }]);
    expect(within(dialog).getByText('1 of 4')).toBeInTheDocument();
    expect(within(dialog).getByText('cat 90%')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Previous image' })).toBeDisabled();
    expect(await within(dialog).findByText('Raw response')).toBeInTheDocument();
    expect(api.requests('resultDetail')).toEqual([{ folderId, id: 'cat/1.jpg' }]);
  });

  it('Next and the arrow keys walk the images in view order', async () => {
    await detailOf(judgedApi({ resultDetail: () => null }), 0);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Next image' }));
    const at = (place: string) => within(screen.getByRole('dialog')).getByText(place);
    expect(screen.getByRole('dialog', { name: '2.jpg' })).toBeInTheDocument();
    expect(at('2 of 4')).toBeInTheDocument();
    screen.getByRole('dialog').focus();
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('dialog', { name: '1.jpg' })).toBeInTheDocument();
    expect(at('3 of 4')).toBeInTheDocument();
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(at('1 of 4')).toBeInTheDocument();
  });

  it('a wrong prediction is marked against the truth, and a correction changes it at once', async () => {
    const api = judgedApi({ resultDetail: () => null });
    await detailOf(api, 1);
    const dialog = screen.getByRole('dialog', { name: '2.jpg' });
    expect(within(dialog).getByText('✗ prediction differs')).toBeInTheDocument();
    const labels = within(dialog).getByRole('group', { name: 'Correct label' });
    await userEvent.setup().click(within(labels).getByRole('button', { name: /dog$/ }));
    expect(api.requests('setCorrection')).toEqual([{ folderId, ids: ['cat/2.jpg'], label: 'dog' }]);
    expect(within(dialog).getByText('Corrected to')).toBeInTheDocument();
    expect(within(dialog).getByText('✓ matches')).toBeInTheDocument();
    expect(within(dialog).getByText('The folder says cat.')).toBeInTheDocument();
  });

  it('a failed image says why and Retry runs it again', async () => {
    const api = judgedApi({
      resultDetail: () => null,
      resultsPage: () => ({ total: 1, items: [failed('cat/1.jpg')] }),
      startJob: ({ ids }) => ({ jobId: 'job-9', folderId, model: 'cats/2', state: 'running', total: ids?.length ?? 0, done: 0, failed: 0, skipped: 0, inFlight: 0, rate: 0, etaSeconds: null }),
    });
    await detailOf(api, 0, { judge: false });
    const dialog = screen.getByRole('dialog', { name: '1.jpg' });
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Classification failed');
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Server error 500');
    await userEvent.setup().click(within(dialog).getByRole('button', { name: 'Retry' }));
    expect(api.requests('startJob')).toEqual([{ folderId, ids: ['cat/1.jpg'] }]);
    expect(within(dialog).getByRole('button', { name: 'Retry' })).toBeDisabled();
  });

  it('the side panel follows the image: queued, then its prediction', async () => {
    const s = await detailOf(judgedApi({ resultsPage: () => ({ total: 0, items: [] }) }), 0, { panel: true, judge: false });
    const panel = screen.getByRole('complementary', { name: 'Details' });
    expect(within(panel).getByText('1.jpg')).toBeInTheDocument();
    expect(within(panel).getByText('Not classified yet.')).toBeInTheDocument();
    s.review.markQueued(['cat/1.jpg']);
    expect(await within(panel).findByText('Waiting in the queue…')).toBeInTheDocument();
    s.review.onJobItem({ jobId: 'job-1', folderId, id: 'cat/1.jpg', state: 'done', result: judged.results[0] });
    s.review.flush();
    expect(await within(panel).findByText('cat 90%')).toBeInTheDocument();
    expect(within(panel).queryByText('Waiting in the queue…')).toBeNull();
  });
});
