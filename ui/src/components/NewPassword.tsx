import { useState } from 'react';
import { TextField } from './Field';

/** At least this many characters, as cerberus requires. */
export const MIN_PASSWORD = 12;

/** A new password typed twice: `ok` once it is long enough and both agree. */
export function useNewPassword() {
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  return {
    pw,
    again,
    setPw,
    setAgain,
    mismatch: again !== '' && again !== pw,
    ok: pw.length >= MIN_PASSWORD && pw === again,
    clear: () => {
      setPw('');
      setAgain('');
    },
  };
}

/** The two fields of a new password, bound to useNewPassword's state. */
export function NewPasswordFields({ state }: { state: ReturnType<typeof useNewPassword> }) {
  return (
    <>
      <TextField
        label="New password"
        type="password"
        value={state.pw}
        onChange={state.setPw}
        required
        minLength={MIN_PASSWORD}
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD} characters.`}
      />
      <TextField
        label="Repeat the new password"
        type="password"
        value={state.again}
        onChange={state.setAgain}
        required
        autoComplete="new-password"
        aria-invalid={state.mismatch}
        hint={state.mismatch ? 'The two passwords differ.' : undefined}
      />
    </>
  );
}
