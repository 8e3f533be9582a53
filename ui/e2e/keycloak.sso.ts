// Single sign-on in the browser against the real Keycloak of make test-sso
// (deploy/local/keycloak.sh, realm deploy/keycloak/ml-studio-realm.json):
// "Sign in with Keycloak", Keycloak's own login page, ML Studio as that
// person with the provider's groups and the grants they carry, then
// RP-initiated logout. Run only by make test-sso (E2E_SSO=1 picks *.sso.ts);
// without Keycloak it fails, never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, shot } from './browser';
// @ts-expect-error plain ES module without types
import { ADMIN_PASSWORD, startStack } from './stack.mjs';

interface Stack {
  ui: string;
  api: string;
  stop: () => Promise<void>;
  skipped?: string;
}

const issuer = process.env.ML_STUDIO_TEST_OIDC_ISSUER ?? '';
// The realm's people (deploy/keycloak/ml-studio-realm.json): alice is in
// ml-team, bob in ml-team and ml-studio-admins.
const people = { alice: 'alice-password-1', bob: 'bob-password-1' };
const suffix = Date.now().toString(36);
const teamExp = `sso-team-exp-${suffix}`;
const otherExp = `sso-other-exp-${suffix}`;

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function api<T>(token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(stack.api + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function must<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api<T>(token, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

/** Signs in through ML Studio's button and Keycloak's own login page. */
async function keycloakSignIn(page: Page, user: keyof typeof people) {
  await page.goto(stack.ui + '/experiments');
  await page.waitForURL(/\/signin\?next=/);
  await page.getByRole('link', { name: 'Sign in with Keycloak' }).click();
  await page.waitForURL((u) => u.href.startsWith(issuer + '/protocol/openid-connect/auth'));
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(people[user]);
  if (user === 'alice') await shot(page, '30-sso-keycloak-login');
  await page.locator('#kc-login').click();
  await page.waitForURL(stack.ui + '/experiments');
  await page.getByTestId('current-user').waitFor();
}

let admin = '';
beforeAll(async () => {
  if (!issuer) throw new Error('ML_STUDIO_TEST_OIDC_ISSUER is not set: run make test-sso, which starts Keycloak (deploy/local/keycloak.sh)');
  const disc = await fetch(`${issuer}/.well-known/openid-configuration`).catch((e: unknown) => e);
  if (!(disc instanceof Response) || !disc.ok) throw new Error(`Keycloak does not answer at ${issuer}: ${String(disc instanceof Response ? disc.status : disc)}`);
  stack = await startStack({
    log: console.log,
    oidc: { issuer, clientId: 'ml-studio', clientSecret: 'ml-studio-dev-secret', adminGroup: 'ml-studio-admins', name: 'Keycloak' },
  });
  if (stack.skipped) throw new Error(stack.skipped);
  browser = await launch();
  const login = await api<{ token: string }>(null, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  admin = login.body.token;
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.stop?.();
});

describe('single sign-on with Keycloak in the browser', () => {
  it('alice signs in through Keycloak, sees what her provider group may read and nothing else, and signs out of both', async () => {
    // The admin makes ml-team ahead as the provider's group and shares one
    // of two experiments with it.
    await must(admin, 'POST', '/api/groups', { name: 'ml-team', idp_managed: true });
    const ids: Record<string, string> = {};
    for (const name of [teamExp, otherExp]) {
      ids[name] = (await must<{ experiment_id: string }>(admin, 'POST', '/api/2.0/mlflow/experiments/create', { name })).experiment_id;
    }
    await must(admin, 'POST', '/api/grants', { element: `experiment:${ids[teamExp]}`, operation: 'read', group: 'ml-team' });

    const page = await newPage();
    await keycloakSignIn(page, 'alice');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('Alice Analyst');
    await page.getByRole('link', { name: teamExp }).waitFor();
    expect(await page.getByRole('link', { name: otherExp }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
    await shot(page, '31-sso-signed-in');

    // The account is the provider's, its groups synced from the ID token.
    const members = await must<{ members: { username: string }[] }>(admin, 'GET', '/api/groups/ml-team/members');
    expect(members.members.map((m) => m.username)).toContain('alice');
    const user = await must<{ is_admin: boolean; email: string }>(admin, 'GET', '/api/users/alice');
    expect(user).toMatchObject({ is_admin: false, email: 'alice@example.com' });
    const token = await page.evaluate(() => sessionStorage.getItem('mlstudio.token'));
    expect(token).toMatch(/^mls_/);
    expect((await api(token, 'GET', '/api/auth/me')).status).toBe(200);

    // Signing out ends the session here and, through Keycloak's
    // end-session endpoint, Keycloak's: the next sign-in asks again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.href.startsWith(issuer + '/protocol/openid-connect/logout'));
    await shot(page, '32-sso-keycloak-logout');
    await page.locator('#kc-logout').click();
    await page.waitForURL(stack.ui + '/signin');
    expect((await api(token, 'GET', '/api/auth/me')).status).toBe(401);
    await page.goto(stack.ui + '/experiments');
    await page.getByRole('link', { name: 'Sign in with Keycloak' }).click();
    await page.locator('#kc-form-login').waitFor();
    await shot(page, '33-sso-signed-out-asks-again');
  });

  it('bob, in the provider’s admin group, signs in as an admin and sees both experiments', async () => {
    const page = await newPage();
    await keycloakSignIn(page, 'bob');
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    await page.getByRole('link', { name: teamExp }).waitFor();
    await page.getByRole('link', { name: otherExp }).waitFor();
    await shot(page, '34-sso-admin');
  });
});
