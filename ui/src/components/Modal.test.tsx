import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FormDialog, Modal } from './Modal';

/** A page with a button that opens a dialog of three fields. */
function Opener({ onClose = () => {} }: { onClose?: () => void }) {
  const [open, setOpen] = useState(false);
  const [ticks, setTicks] = useState(0);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      <button type="button">Elsewhere</button>
      {open && (
        // A new onClose each render, as pages write it.
        <Modal
          title="Edit"
          onClose={() => {
            onClose();
            setOpen(false);
          }}
        >
          <input aria-label="First" />
          <input aria-label="Second" onChange={() => setTicks((t) => t + 1)} />
          <button type="button">Last</button>
          <span data-testid="ticks">{ticks}</span>
        </Modal>
      )}
    </>
  );
}

const active = () => (document.activeElement as HTMLElement | null)?.getAttribute('aria-label') ?? document.activeElement?.textContent;

describe('Modal focus trap', () => {
  it('focuses the first field, and gives focus back to the opener when closed with Escape', async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    render(<Opener onClose={onClose} />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    expect(screen.getByRole('dialog', { name: 'Edit' })).toBeTruthy();
    expect(active()).toBe('First');
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(active()).toBe('Open');
  });

  it.each([
    { from: 'Close', keys: '{Shift>}{Tab}{/Shift}', to: 'Last', what: 'Shift+Tab on the first control wraps to the last' },
    { from: 'Last', keys: '{Tab}', to: 'Close', what: 'Tab on the last control wraps to the first' },
    { from: 'First', keys: '{Tab}', to: 'Second', what: 'Tab in the middle moves on as usual' },
    { from: 'Second', keys: '{Shift>}{Tab}{/Shift}', to: 'First', what: 'Shift+Tab in the middle moves back as usual' },
  ])('$what', async ({ from, keys, to }) => {
    const user = userEvent.setup();
    render(<Opener />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    const dialog = screen.getByRole('dialog');
    const target = [...dialog.querySelectorAll<HTMLElement>('input, button')].find((el) => (el.getAttribute('aria-label') ?? el.textContent) === from);
    target!.focus();
    await user.keyboard(keys);
    expect(active()).toBe(to);
    expect(dialog.contains(document.activeElement)).toBe(true);
  });

  it('keeps cycling inside the dialog however often Tab is pressed', async () => {
    const user = userEvent.setup();
    render(<Opener />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    const seen: (string | null | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      await user.tab();
      seen.push(active());
    }
    expect(seen).toEqual(['Second', 'Last', 'Close', 'First', 'Second', 'Last', 'Close', 'First']);
  });

  it('does not pull focus back to the first field when the page re-renders', async () => {
    const user = userEvent.setup();
    render(<Opener />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    await user.click(screen.getByLabelText('Second'));
    await user.keyboard('abc');
    expect(screen.getByTestId('ticks').textContent).toBe('3');
    expect(active()).toBe('Second');
  });

  it('closes on a click on the backdrop, not on one inside', async () => {
    const onClose = vi.fn();
    render(
      <Modal title="T" onClose={onClose}>
        <p>body</p>
      </Modal>,
    );
    fireEvent.mouseDown(screen.getByText('body'));
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.mouseDown(screen.getByRole('dialog').parentElement!);
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe('FormDialog', () => {
  // Submit gating (canSubmit, busy) is tested with InlineForm's in forms.test.tsx.
  it('shows the error of the call and closes with Cancel', async () => {
    const onClose = vi.fn();
    render(
      <FormDialog title="New" onClose={onClose} onSubmit={() => {}} submitLabel="Create" error={new Error('name taken')}>
        <input aria-label="Name" />
      </FormDialog>,
    );
    expect(screen.getByRole('alert').textContent).toContain('name taken');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
