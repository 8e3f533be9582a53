import { Fragment, type ReactNode } from 'react';

/** The page's h1 with what stands beside it (badges, the page's main buttons). */
export function PageHead({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      {children}
    </div>
  );
}

/** "Experiments / churn / trial-1": links to the pages above this one, then where we are. */
export function Breadcrumbs({ trail }: { trail: readonly ReactNode[] }) {
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      {trail.map((step, i) => (
        <Fragment key={i}>
          {i > 0 && <span aria-hidden="true">/</span>}
          {typeof step === 'string' ? <span>{step}</span> : step}
        </Fragment>
      ))}
    </nav>
  );
}
