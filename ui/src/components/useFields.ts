import { useCallback, useState } from 'react';

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : T[K] extends boolean ? boolean : T[K] };

/**
 * The values of a form with several fields, and a setter per field that
 * fits the `onChange` of TextField, SelectField and CheckField.
 */
export function useFields<T extends Record<string, string | boolean>>(initial: T) {
  const [values, setValues] = useState<Widen<T>>(initial as Widen<T>);
  const set = useCallback(
    <K extends keyof T>(key: K) =>
      (value: Widen<T>[K]) =>
        setValues((v) => ({ ...v, [key]: value })),
    [],
  );
  return { values, set };
}
