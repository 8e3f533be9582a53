import { useLayoutEffect, useState, type RefObject } from 'react';

/**
 * The element's width, following resizes; null until measured, so a caller
 * draws its heavy content once at the right width instead of twice (the
 * first measure then lays out an empty box, not a thousand points).
 * `fallback` stands in where layout is not measured (tests).
 */
export function useWidth(ref: RefObject<HTMLElement | null>, fallback = 800): number | null {
  const [w, setW] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const m = Math.floor(el.getBoundingClientRect().width);
    setW(m > 0 ? m : fallback);
    if (typeof ResizeObserver === 'undefined') return;
    // The observer's sizes come with layout already done: no forced reflow.
    const ro = new ResizeObserver((entries) => {
      const cw = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (cw > 0) setW(cw);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, fallback]);
  return w;
}
