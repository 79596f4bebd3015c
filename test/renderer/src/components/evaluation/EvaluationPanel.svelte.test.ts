import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../../app/errors';
import EvaluationPanel from '../../../../../renderer/src/components/evaluation/EvaluationPanel.svelte';
import type { Stores } from '../../../../../renderer/src/stores/app-stores';
import { folderId, judgedApi, judgedStores } from '../../../../support/renderer-fixtures.svelte';
import type { FakeApi } from '../../../../support/fake-api';

let stores: (Stores & { destroy: () => void }) | undefined;
afterEach(() => stores?.destroy());
beforeEach(() => localStorage.clear());

async function panelOn(api: FakeApi, model = 'cats/2') {
  stores = await judgedStores(api);
  const onclose = vi.fn();
  render(EvaluationPanel, { store: stores.evaluation, colors: stores.review.colors, model, onclose });
  return { stores, onclose };
}

describe('Evaluation panel', () => {
  it('shows the accuracy, what could not be judged and the confusion matrix', async () => {
    await panelOn(judgedApi());
    expect(screen.getByTestId('accuracy')).toHaveTextContent('66.7%');
    expect(screen.getByText('2 of 3 images right at threshold 40%')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Not evaluated' })).getByText('No label')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'true cat, predicted dog: 1 image' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'true dog, predicted cat: 0 images' })).toBeDisabled();
  });

  it('follows the threshold as it moves', async () => {
    const { stores } = await panelOn(judgedApi());
    stores.review.setThreshold(0.85);
    flushSync();
    expect(screen.getByTestId('accuracy')).toHaveTextContent('33.3%');
    expect(screen.getByText('2 images below the threshold count as wrong (column “none”).')).toBeInTheDocument();
  });

  it('a matrix cell filters the grid to its images and shows as pressed', async () => {
    const { stores } = await panelOn(judgedApi());
    const cell = screen.getByRole('button', { name: 'true cat, predicted dog: 1 image' });
    await userEvent.setup().click(cell);
    expect(cell).toHaveAttribute('aria-pressed', 'true');
    expect(Array.from(stores.review.view.order, (i) => stores.library.ids[i])).toEqual(['cat/2.jpg']);
  });

  it('Row % shows each cell as a share of its true class', async () => {
    await panelOn(judgedApi());
    await userEvent.setup().click(screen.getByRole('button', { name: 'Row %' }));
    expect(screen.getByRole('button', { name: 'Row %' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: 'true cat, predicted dog: 1 image (50.0% of cat)' })).toBeInTheDocument();
  });

  it('a folder name that matches no class can be mapped to one, which main remembers', async () => {
    const api = judgedApi();
    await panelOn(api);
    expect(screen.getByText(/One name matches no class/)).toBeInTheDocument();
    await userEvent.setup().selectOptions(screen.getByRole('combobox', { name: 'Map “kitten” to' }), 'cat');
    expect(api.requests('setGroundTruthMapping')).toEqual([{ folderId, mapping: { kitten: 'cat' } }]);
    const mapped = screen.getByRole('list', { name: 'Mapped names' });
    expect(within(mapped).getByText('kitten')).toBeInTheDocument();
    expect(within(mapped).getByRole('button', { name: 'Forget the mapping of “kitten”' })).toBeInTheDocument();
  });

  it('shows why the ground truth could not be read', async () => {
    const api = judgedApi();
    const { stores } = await panelOn(api);
    api.handle('groundTruth', () => Promise.reject(appError('invalid_input', 'The labels CSV has no label column.')));
    await stores.evaluation.fetch();
    expect(await screen.findByRole('alert')).toHaveTextContent('The labels CSV has no label column.');
  });

  it('asks for a model before anything else, and Close closes', async () => {
    const { onclose } = await panelOn(judgedApi(), '');
    expect(screen.getByText('Choose a model in Settings, run it, and the evaluation appears here.')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Close evaluation' }));
    expect(onclose).toHaveBeenCalledOnce();
  });
});
