import { useEffect, useState, type ComponentType, type ReactNode } from 'react';

type PageModule<P> = { default: ComponentType<P> };

/** A page (or tab) in a chunk of its own, which the app may start loading before it renders it. */
export interface LazyPage<P extends object = object> {
  Page: ComponentType<P>;
  /** Starts loading the chunk (once; again after a failure) and resolves when it is there. */
  preload: () => Promise<PageModule<P>>;
}

/**
 * A page loaded on demand, like React.lazy but without Suspense: until its
 * chunk is there it renders `fallback`, then the page, in a plain state
 * update. React holds back content that replaces a committed Suspense
 * fallback until 300 ms after that fallback showed, which put a lazy
 * page's data 150-330 ms later than its chunk allowed; this shows it as
 * soon as the chunk came. `preload` lets start-up ask for the chunk before
 * the first render (App's startRoute), beside the page's data. A chunk that
 * fails to load throws to the nearest error boundary, as React.lazy does.
 */
export function lazyPage<P extends object = object>(load: () => Promise<PageModule<P>>, fallback: ReactNode = <div className="page loading">Loading…</div>): LazyPage<P> {
  let loaded: PageModule<P> | undefined;
  let loading: Promise<PageModule<P>> | undefined;
  const preload = () =>
    (loading ??= load().then(
      (m) => (loaded = m),
      (e: unknown) => {
        loading = undefined;
        throw e;
      },
    ));
  function Page(props: P) {
    const [mod, setMod] = useState(() => loaded);
    const [failed, setFailed] = useState<{ error: unknown } | null>(null);
    useEffect(() => {
      if (mod) return;
      let live = true;
      preload().then(
        (m) => live && setMod(m),
        (error: unknown) => live && setFailed({ error }),
      );
      return () => {
        live = false;
      };
    }, [mod]);
    if (failed) throw failed.error;
    if (!mod) return <>{fallback}</>;
    const Loaded = mod.default;
    return <Loaded {...props} />;
  }
  return { Page, preload };
}
