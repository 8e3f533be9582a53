import { useCallback, useEffect, useState } from 'react';
import { SMOOTHING_MAX } from './smoothing';

/** What the metric charts' x axis counts: steps, wall-clock time, or time since each run's first value. */
export type XAxis = 'step' | 'time' | 'relative';
export const X_AXES: readonly XAxis[] = ['step', 'time', 'relative'];

/** How a person likes the metric charts drawn; remembered per user in this browser. */
export interface ChartSettings {
  x: XAxis;
  yLog: boolean;
  /** Log x: for steps and relative time only (wall-clock time has no sensible zero). */
  xLog: boolean;
  /** 0 (off) to SMOOTHING_MAX, the slider's value; the moving average's weight is this / 100. */
  smoothing: number;
}

export const DEFAULT_CHART_SETTINGS: ChartSettings = { x: 'step', yLog: false, xLog: false, smoothing: 0 };

export const chartSettingsKey = (username: string) => `mlstudio.charts.${username}`;

/** Reads stored settings, each field checked on its own: a bad or missing one takes its default. */
export function parseChartSettings(raw: string | null | undefined): ChartSettings {
  let v: Record<string, unknown> = {};
  try {
    const p: unknown = raw ? JSON.parse(raw) : {};
    if (p && typeof p === 'object' && !Array.isArray(p)) v = p as Record<string, unknown>;
  } catch {
    // A damaged entry: the defaults.
  }
  const d = DEFAULT_CHART_SETTINGS;
  const s = typeof v.smoothing === 'number' && Number.isFinite(v.smoothing) ? Math.round(Math.min(SMOOTHING_MAX, Math.max(0, v.smoothing))) : d.smoothing;
  return {
    x: X_AXES.includes(v.x as XAxis) ? (v.x as XAxis) : d.x,
    yLog: typeof v.yLog === 'boolean' ? v.yLog : d.yLog,
    xLog: typeof v.xLog === 'boolean' ? v.xLog : d.xLog,
    smoothing: s,
  };
}

/** Whether a log x axis applies to this x (it does not to wall-clock time). */
export const xLogApplies = (s: ChartSettings) => s.xLog && s.x !== 'time';

type Store = Pick<Storage, 'getItem' | 'setItem'>;

function browserStorage(): Store | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // refused (private modes): settings last for the page
  }
}

/** The signed-in person's chart settings and a setter that remembers them (in localStorage, under their username). */
export function useChartSettings(username: string | undefined, storage: Store | undefined = browserStorage()): [ChartSettings, (patch: Partial<ChartSettings>) => void] {
  const key = chartSettingsKey(username || 'anonymous');
  const read = useCallback(() => {
    try {
      return parseChartSettings(storage?.getItem(key));
    } catch {
      return DEFAULT_CHART_SETTINGS;
    }
  }, [key, storage]);
  const [state, setState] = useState<{ key: string; s: ChartSettings }>(() => ({ key, s: read() }));
  // Another person signing in on this tab reads their own.
  useEffect(() => {
    if (state.key !== key) setState({ key, s: read() });
  }, [key, state.key, read]);
  const update = useCallback(
    (patch: Partial<ChartSettings>) => {
      setState((cur) => {
        const s = parseChartSettings(JSON.stringify({ ...cur.s, ...patch }));
        try {
          storage?.setItem(key, JSON.stringify(s));
        } catch {
          // Quota or refusal: the change still applies to this page.
        }
        return { key, s };
      });
    },
    [key, storage],
  );
  return [state.key === key ? state.s : read(), update];
}
