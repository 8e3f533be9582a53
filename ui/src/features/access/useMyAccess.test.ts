import { describe, expect, it } from 'vitest';
import type { Grant, User } from '../../api/types';
import { levelFor } from './useMyAccess';

const bob: User = { id: 2, username: 'bob', display_name: '', email: '', is_active: true, is_admin: false };
const g = (subject: string, operation: Grant['operation'], effect: Grant['effect'] = 'allow'): Grant => ({ subject, element: 'experiment:1', operation, effect, inherited: false, granted_at: '' });

describe('which controls to show', () => {
  it('reads the caller’s own grants', () => {
    expect(levelFor(bob, [g('user:bob', 'use')])).toEqual({ edit: false, manage: false });
    expect(levelFor(bob, [g('user:bob', 'read')])).toEqual({ edit: false, manage: false });
    expect(levelFor(bob, [g('user:bob', 'edit')])).toEqual({ edit: true, manage: false });
    expect(levelFor(bob, [g('user:bob', 'manage')])).toEqual({ edit: true, manage: true });
    expect(levelFor(bob, [g('user:alice', 'manage')])).toEqual({ edit: false, manage: false });
  });
  it('counts groups the caller is in, and a deny wins', () => {
    expect(levelFor(bob, [g('group:ml', 'manage')], (x) => x === 'ml')).toEqual({ edit: true, manage: true });
    expect(levelFor(bob, [g('group:ml', 'manage')], () => false)).toEqual({ edit: false, manage: false });
    expect(levelFor(bob, [g('group:ml', 'manage'), g('user:bob', undefined, 'deny')], () => true)).toEqual({ edit: false, manage: false });
  });
  it('admins may do everything', () => {
    expect(levelFor({ ...bob, is_admin: true }, [])).toEqual({ edit: true, manage: true });
  });
});
