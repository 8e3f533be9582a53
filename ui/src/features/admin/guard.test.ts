import { describe, expect, it } from 'vitest';
import type { User } from '../../api/types';
import { keepAdmin, targetHref } from './guard';

const u = (username: string, is_admin: boolean, is_active = true): User => ({ id: 0, username, display_name: '', email: '', is_active, is_admin });

describe('which admins the page will not disable or demote', () => {
  it.each([
    ['the only admin, by someone else', u('root', true), [u('root', true), u('me', false)], 'me', /last active admin/],
    ['the only active admin beside a disabled one', u('root', true), [u('root', true), u('old', true, false)], 'me', /last active admin/],
    ['oneself, with other admins', u('me', true), [u('me', true), u('root', true)], 'me', /your own account/],
    ['an admin beside another active admin', u('root', true), [u('root', true), u('me', true)], 'me', null],
    ['a member', u('bob', false), [u('root', true), u('bob', false)], 'root', null],
    ['a disabled admin', u('old', true, false), [u('root', true), u('old', true, false)], 'root', null],
  ])('%s', (_name, who, all, me, want) => {
    const got = keepAdmin(who, all, me);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});

describe('links from audit targets', () => {
  it.each([
    ['user:alice', '/admin?tab=users&user=alice'],
    ['group:data science', '/admin?tab=groups&group=data+science'],
    ['project:churn', '/admin?tab=access&project=churn'],
    ['experiment:12', '/experiments/12'],
    ['experiment:abc', null],
    ['registered_model:churn/v2', '/models/churn%2Fv2'],
    ['token:7', null],
    ['3 elements', null],
    ['*', null],
    ['user:', null],
  ])('%s → %s', (target, want) => {
    expect(targetHref(target)).toBe(want);
  });
});
