import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'children'>;

/** A labelled text input (the label wraps it, so getByLabel finds the input); `hint` is a line of help under it. */
export function TextField({ label, value, onChange, hint, ...input }: InputProps & { label: ReactNode; value: string; onChange: (v: string) => void; hint?: ReactNode }) {
  return (
    <label>
      {label}
      <input {...input} value={value} onChange={(e) => onChange(e.target.value)} />
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

/** A labelled three-row textarea. */
export function TextAreaField({ label, value, onChange, rows = 3 }: { label: ReactNode; value: string; onChange: (v: string) => void; rows?: number }) {
  return (
    <label>
      {label}
      <textarea value={value} rows={rows} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export type Option = string | { value: string; label: string };

/** The `<option>`s of a list given as plain strings or value/label pairs. */
export function Options({ options }: { options: readonly Option[] }) {
  return (
    <>
      {options.map((o) => {
        const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
        return (
          <option key={value} value={value}>
            {label}
          </option>
        );
      })}
    </>
  );
}

type SelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange' | 'children'>;

/** A labelled select over `options`. */
export function SelectField({
  label,
  value,
  onChange,
  options,
  ...select
}: SelectProps & { label: ReactNode; value: string; onChange: (v: string) => void; options: readonly Option[] }) {
  return (
    <label>
      {label}
      <select {...select} value={value} onChange={(e) => onChange(e.target.value)}>
        <Options options={options} />
      </select>
    </label>
  );
}

/** A labelled checkbox (label after the box). */
export function CheckField({ label, checked, onChange }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

/** A search box: `label` is its accessible name. */
export function SearchInput({ label, value, onChange, placeholder = 'Search by name…' }: { label: string; value: string; onChange: (v: string) => void; placeholder?: string }) {
  return <input type="search" className="search" aria-label={label} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />;
}
