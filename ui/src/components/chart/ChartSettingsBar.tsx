import './charts.css';
import { X_AXES, type ChartSettings, type XAxis } from './settings';
import { SMOOTHING_MAX } from './smoothing';

const X_NAME: Record<XAxis, string> = { step: 'Step', time: 'Time', relative: 'Relative' };
const X_HINT: Record<XAxis, string> = { step: 'The step each value was logged at', time: 'Wall-clock time', relative: 'Time since each run’s first value' };

/** The metric charts' controls: x axis, log scales and smoothing. */
export function ChartSettingsBar({ settings, onChange }: { settings: ChartSettings; onChange: (patch: Partial<ChartSettings>) => void }) {
  return (
    <div className="chart-settings" role="group" aria-label="Chart settings">
      <div className="segmented" role="group" aria-label="X axis">
        {X_AXES.map((x) => (
          <button key={x} type="button" aria-pressed={settings.x === x} title={X_HINT[x]} onClick={() => onChange({ x })}>
            {X_NAME[x]}
          </button>
        ))}
      </div>
      <label className="check">
        <input type="checkbox" checked={settings.yLog} onChange={(e) => onChange({ yLog: e.target.checked })} />
        Log Y
      </label>
      <label className="check" title={settings.x === 'time' ? 'Not for wall-clock time' : undefined}>
        <input type="checkbox" checked={settings.xLog && settings.x !== 'time'} disabled={settings.x === 'time'} onChange={(e) => onChange({ xLog: e.target.checked })} />
        Log X
      </label>
      <label className="chart-smoothing">
        Smoothing
        <input type="range" min={0} max={SMOOTHING_MAX} step={1} value={settings.smoothing} onChange={(e) => onChange({ smoothing: Number(e.target.value) })} />
        <output className="mono small">{settings.smoothing}</output>
      </label>
    </div>
  );
}
