import { useId, type ReactNode } from 'react';

/** A card headed by an h2 that names it; `aside` sits at the heading's right (a button, a note). */
export function Section({ title, aside, className, children }: { title: ReactNode; aside?: ReactNode; className?: string; children: ReactNode }) {
  const id = useId();
  const heading = <h2 id={id}>{title}</h2>;
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      {aside ? (
        <div className="card-head">
          {heading}
          {aside}
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}
