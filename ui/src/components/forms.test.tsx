import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CheckField, SelectField, TextField } from './Field';
import { InlineForm } from './InlineForm';
import { FormDialog } from './Modal';
import { Section } from './Section';
import { Tabs } from './Tabs';
import { TagEditor } from './Tags';
import { useFields } from './useFields';

const forms = {
  InlineForm: (p: { canSubmit: boolean; busy: boolean; onSubmit: () => void }) => (
    <InlineForm label="Add" submitLabel="Save" {...p} after={<span>note</span>}>
      <input aria-label="Username" />
    </InlineForm>
  ),
  FormDialog: (p: { canSubmit: boolean; busy: boolean; onSubmit: () => void }) => (
    <FormDialog title="Add" submitLabel="Save" onClose={() => {}} {...p}>
      <input aria-label="Username" />
    </FormDialog>
  ),
};

describe.each(Object.entries(forms))('%s', (_name, Form) => {
  it.each([
    { canSubmit: true, busy: false, submits: true },
    { canSubmit: false, busy: false, submits: false },
    { canSubmit: true, busy: true, submits: false },
  ])('canSubmit=$canSubmit busy=$busy: Enter submits: $submits', async ({ canSubmit, busy, submits }) => {
    const user = userEvent.setup();
    const onSubmit = vi.fn();
    render(<Form canSubmit={canSubmit} busy={busy} onSubmit={onSubmit} />);
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(!submits);
    await user.type(screen.getByLabelText('Username'), 'x{Enter}');
    expect(onSubmit).toHaveBeenCalledTimes(submits ? 1 : 0);
  });
});

describe('InlineForm', () => {
  it('is a named form with what comes after the button inside it', () => {
    render(<forms.InlineForm canSubmit busy={false} onSubmit={() => {}} />);
    expect(screen.getByRole('form', { name: 'Add' }).textContent).toContain('note');
  });

  it('shows the call’s error after the form', () => {
    render(
      <InlineForm submitLabel="Go" onSubmit={() => {}} error={new Error('refused')}>
        <input aria-label="x" />
      </InlineForm>,
    );
    expect(screen.getByRole('alert').textContent).toContain('refused');
  });
});

function UserForm({ onSave }: { onSave: (v: { name: string; role: string; admin: boolean }) => void }) {
  const { values, set } = useFields({ name: '', role: 'member', admin: false });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSave(values);
      }}
    >
      <TextField label="Name" value={values.name} onChange={set('name')} hint="Shown to others." required />
      <SelectField label="Role" value={values.role} onChange={set('role')} options={['member', { value: 'owner', label: 'Owner' }]} />
      <CheckField label="Administrator" checked={values.admin} onChange={set('admin')} />
      <button type="submit">Save</button>
    </form>
  );
}

describe('fields and useFields', () => {
  it('labels each control and keeps each field’s value', async () => {
    const user = userEvent.setup();
    const onSave = vi.fn();
    render(<UserForm onSave={onSave} />);
    await user.type(screen.getByLabelText(/^Name/), 'Ada');
    await user.selectOptions(screen.getByLabelText('Role'), 'Owner');
    await user.click(screen.getByLabelText('Administrator'));
    expect(screen.getByText('Shown to others.').className).toBe('hint');
    expect((screen.getByLabelText(/^Name/) as HTMLInputElement).required).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSave).toHaveBeenCalledWith({ name: 'Ada', role: 'owner', admin: true });
  });
});

describe('TagEditor', () => {
  it.each([
    { what: 'a tag set', fails: false, changed: 1, cleared: true },
    { what: 'a refused tag', fails: true, changed: 0, cleared: false },
  ])('$what: onChanged called $changed time(s)', async ({ fails, changed, cleared }) => {
    const onChanged = vi.fn();
    const onSet = vi.fn(async () => {
      if (fails) throw new Error('no edit access');
    });
    render(<TagEditor tags={[{ key: 'team', value: 'ml' }, { key: 'mlflow.user', value: 'x' }]} canEdit onSet={onSet} onDelete={async () => {}} onChanged={onChanged} />);
    expect(screen.queryByText('mlflow.user')).toBeNull();
    expect((screen.getByRole('button', { name: 'Add tag' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Tag key'), { target: { value: ' stage ' } });
    fireEvent.change(screen.getByLabelText('Tag value'), { target: { value: 'draft' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add tag' }));
    await waitFor(() => expect(onSet).toHaveBeenCalledWith('stage', 'draft'));
    await waitFor(() => expect(onChanged).toHaveBeenCalledTimes(changed));
    await waitFor(() => expect((screen.getByLabelText('Tag key') as HTMLInputElement).value).toBe(cleared ? '' : ' stage '));
    if (fails) expect(screen.getByRole('alert').textContent).toContain('no edit access');
  });

  it('offers no form to readers', () => {
    render(<TagEditor tags={[]} canEdit={false} onSet={async () => {}} onDelete={async () => {}} />);
    expect(screen.queryByLabelText('Tag key')).toBeNull();
    expect(screen.getByText('No tags')).toBeTruthy();
  });
});

const SECTIONS = [
  { id: 'a', label: 'First' },
  { id: 'b', label: 'Second' },
] as const;

function TabbedPage() {
  const [tab, setTab] = useState<'a' | 'b'>('a');
  return (
    <>
      <Tabs label="Sections" tabs={SECTIONS} value={tab} onChange={setTab} />
      <Section title={tab === 'a' ? 'Panel A' : 'Panel B'} aside={<button type="button">Act</button>}>
        body
      </Section>
    </>
  );
}

describe('Tabs and Section', () => {
  it('marks the chosen tab and names the section by its heading', () => {
    render(<TabbedPage />);
    expect(screen.getByRole('tablist', { name: 'Sections' })).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'First' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('region', { name: 'Panel A' })).toBeTruthy();
    fireEvent.click(screen.getByRole('tab', { name: 'Second' }));
    expect(screen.getByRole('tab', { name: 'First' }).getAttribute('aria-selected')).toBe('false');
    expect(screen.getByRole('tab', { name: 'Second' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('region', { name: 'Panel B' }).querySelector('.card-head button')).not.toBeNull();
  });
});
