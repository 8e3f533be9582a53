import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import type { Run } from '../../../api/types';
import { SweepViews } from './SweepViews';

function run(i: number, lr: number, opt: string, loss: number): Run {
  return {
    info: { run_id: `id${i}`, run_name: `trial-${i}`, experiment_id: '1' },
    data: { params: [{ key: 'lr', value: String(lr) }, { key: 'opt', value: opt }], metrics: [{ key: 'loss', value: loss, timestamp: 0, step: 3 }] },
  };
}
// lr over four decades; loss falls with lr.
const runs = [run(1, 0.0001, 'adam', 0.9), run(2, 0.001, 'sgd', 0.6), run(3, 0.01, 'adam', 0.3), run(4, 0.1, 'sgd', 0.1)];

const renderSweep = (r = runs) =>
  render(
    <MemoryRouter>
      <SweepViews runs={r} compareHref={(ids) => `/compare?runs=${ids.join(',')}`} />
    </MemoryRouter>,
  );

const bars = () => [...screen.getByRole('list', { name: 'loss per run' }).querySelectorAll('li')].map((li) => `${li.querySelector('a')?.textContent}=${li.querySelector('.value-bar-value')?.textContent}`);

describe('sweep views', () => {
  it('opens on the varying params and metrics, lr on a log scale (it spans four decades), coloured by loss', () => {
    renderSweep();
    const pc = screen.getByRole('figure', { name: 'Parallel coordinates' });
    expect([...pc.querySelectorAll('.pc-title')].map((t) => t.textContent)).toEqual(['lr (log)', 'opt', 'loss']);
    expect(within(pc).getByRole('button', { name: 'lr (log)' }).getAttribute('aria-pressed')).toBe('true');
    expect(within(pc).getByRole('combobox', { name: 'Colour by' })).toHaveProperty('value', 'metric:loss');
    // lr's ticks are its decades.
    expect([...pc.querySelectorAll('[data-axis="param:lr"] .pc-tick')].map((t) => t.textContent)).toEqual(['1e-4', '0.001', '0.01', '0.1']);
    expect(screen.getByTestId('sweep-status').textContent).toMatch(/^4 runs/);
  });

  it('brushing an axis filters the runs in every view; a click on it clears the brush', () => {
    renderSweep();
    const hit = screen.getByLabelText('Brush loss');
    // The plot runs from y=10 to y=346 (height 360, padding 10 and 14): drag over its lower half.
    fireEvent.pointerDown(hit, { clientY: 178, pointerId: 1 });
    fireEvent.pointerMove(hit, { clientY: 346, pointerId: 1 });
    fireEvent.pointerUp(hit, { clientY: 346, pointerId: 1 });
    expect(screen.getByTestId('sweep-status').textContent).toMatch(/^2 of 4 runs within loss/);
    expect(screen.getByTestId('brush-metric:loss')).toBeTruthy();
    expect(bars()).toEqual(['trial-3=0.3', 'trial-4=0.1']);
    expect(screen.getByRole('img', { name: 'loss against lr' }).getAttribute('data-kept')).toBe('2');
    expect(screen.getByRole('link', { name: 'Compare these 2 runs' }).getAttribute('href')).toBe('/compare?runs=id3,id4');
    fireEvent.pointerDown(hit, { clientY: 100, pointerId: 1 });
    fireEvent.pointerUp(hit, { clientY: 100, pointerId: 1 });
    expect(screen.getByTestId('sweep-status').textContent).toMatch(/^4 runs/);
    expect(bars()).toHaveLength(4);
  });

  it('brushes an axis from the keyboard: arrows move it, Shift widens it, Escape clears it', async () => {
    const user = userEvent.setup();
    renderSweep();
    const axis = screen.getByRole('slider', { name: 'Brush loss' });
    expect(axis.getAttribute('tabindex')).toBe('0');
    expect(axis.getAttribute('aria-valuetext')).toBe('no filter');
    const status = () => screen.getByTestId('sweep-status').textContent;
    axis.focus();
    // loss 0.1-0.9 on a linear axis: the runs sit at 0 (0.1), 0.25 (0.3), 0.625 (0.6) and 1 (0.9).
    await user.keyboard('{ArrowUp}');
    expect(axis.getAttribute('aria-valuetext')).toBe('0.42 to 0.58');
    expect(status()).toMatch(/^0 of 4 runs within loss/);
    await user.keyboard('{ArrowUp}');
    expect(status()).toMatch(/^1 of 4 runs within loss/);
    expect(bars()).toEqual(['trial-2=0.6']);
    await user.keyboard('{End}');
    expect(axis.getAttribute('aria-valuetext')).toBe('0.1 to 0.26');
    expect(bars()).toEqual(['trial-4=0.1']);
    await user.keyboard('{Shift>}{ArrowUp}{/Shift}');
    expect(axis.getAttribute('aria-valuetext')).toBe('0.1 to 0.3');
    expect(bars()).toEqual(['trial-3=0.3', 'trial-4=0.1']);
    expect(screen.getByTestId('brush-metric:loss')).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(status()).toMatch(/^4 runs/);
    expect(axis.getAttribute('aria-valuetext')).toBe('no filter');
    expect(screen.queryByTestId('brush-metric:loss')).toBeNull();
  });

  it('switches an axis between log and linear, and drops its brush', async () => {
    renderSweep();
    const hit = screen.getByLabelText('Brush lr');
    fireEvent.pointerDown(hit, { clientY: 10, pointerId: 1 });
    fireEvent.pointerMove(hit, { clientY: 100, pointerId: 1 });
    fireEvent.pointerUp(hit, { clientY: 100, pointerId: 1 });
    expect(screen.getByTestId('sweep-status').textContent).toMatch(/within lr/);
    await userEvent.click(screen.getByRole('button', { name: 'lr (log)' }));
    expect(screen.getByRole('button', { name: 'lr' }).getAttribute('aria-pressed')).toBe('false');
    expect(screen.getByTestId('sweep-status').textContent).toMatch(/^4 runs/);
  });

  it('bars sort either way; the scatter plots the chosen pair', async () => {
    renderSweep();
    expect(bars()).toEqual(['trial-1=0.9', 'trial-2=0.6', 'trial-3=0.3', 'trial-4=0.1']);
    await userEvent.click(screen.getByRole('button', { name: 'Lowest first' }));
    expect(bars()).toEqual(['trial-4=0.1', 'trial-3=0.3', 'trial-2=0.6', 'trial-1=0.9']);
    const sc = screen.getByRole('figure', { name: 'Scatter' });
    await userEvent.selectOptions(within(sc).getByRole('combobox', { name: 'X axis' }), 'param:opt');
    const img = within(sc).getByRole('img', { name: 'loss against opt' });
    expect(img.getAttribute('data-points')).toBe('4');
    expect([...img.querySelectorAll('circle')].map((c) => c.getAttribute('data-run')).sort()).toEqual(['trial-1', 'trial-2', 'trial-3', 'trial-4']);
    // Pointing at a point names its run and values.
    fireEvent.pointerEnter(img.querySelector('circle[data-run="trial-3"]')!);
    expect(within(sc).getByRole('tooltip').textContent).toBe('trial-3opt = adamloss = 0.3');
    // Categories cannot take a log scale.
    expect(within(sc).getByRole('checkbox', { name: 'Log X' })).toHaveProperty('disabled', true);
  });

  it('choosing axes: fewer than two asks for more', async () => {
    renderSweep();
    await userEvent.click(within(screen.getByRole('group', { name: 'Params' })).getByRole('checkbox', { name: 'lr' }));
    await userEvent.click(within(screen.getByRole('group', { name: 'Params' })).getByRole('checkbox', { name: 'opt' }));
    expect(screen.getByText('Choose two or more params or metrics above.')).toBeTruthy();
  });

  it('says when there is nothing to chart', () => {
    renderSweep([{ info: { run_id: 'x', experiment_id: '1' }, data: {} }]);
    expect(screen.getByText('These runs logged no params or metrics to chart.')).toBeTruthy();
  });
});
