import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { tokens, users } from '../../api/account';
import { ApiError, isApiError } from '../../api/client';
import { queryKeys } from '../../api/queryKeys';
import type { ApiToken } from '../../api/types';
import { CheckField, TextField } from '../../components/Field';
import { ErrorView } from '../../components/ErrorView';
import { NewPasswordFields, useNewPassword } from '../../components/NewPassword';
import { Section } from '../../components/Section';

/**
 * Changing one's own password. Cerberus signs out every other session at
 * once and keeps this one; API tokens keep working (scripts and notebooks
 * run on), unless the person also revokes them here — what someone who
 * fears their account was used will want.
 */
export function ChangePassword({ username, liveTokens }: { username: string; liveTokens: readonly ApiToken[] }) {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const fresh = useNewPassword();
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: async () => {
      await users.update(username, { password: fresh.pw, current_password: current });
      if (!revokeTokens) return 0;
      await Promise.all(liveTokens.map((t) => tokens.revoke(t.id)));
      return liveTokens.length;
    },
    onSuccess: (revoked) => {
      setCurrent('');
      fresh.clear();
      setRevokeTokens(false);
      qc.invalidateQueries({ queryKey: queryKeys.tokens() });
      setDone(
        `Password changed. Your other sessions were signed out; this one stays signed in. ${
          revoked > 0 ? `Your ${revoked === 1 ? 'API token was' : `${revoked} API tokens were`} revoked.` : 'Your API tokens keep working.'
        }`,
      );
    },
  });
  const n = liveTokens.length;
  // Cerberus answers a wrong current password with a 403, which the client words as missing access.
  const error =
    isApiError(change.error) && change.error.kind === 'forbidden' && /current_password/.test(change.error.raw)
      ? new ApiError('invalid', 403, 'Your current password is not right.')
      : change.error;
  return (
    <Section title="Password">
      <form
        className="form"
        aria-label="Change password"
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          if (current && fresh.ok) change.mutate();
        }}
      >
        <TextField label="Current password" type="password" value={current} onChange={setCurrent} required autoComplete="current-password" />
        <NewPasswordFields state={fresh} />
        {n > 0 && (
          <CheckField
            label={`Also revoke my ${n === 1 ? 'API token' : `${n} API tokens`} (scripts and notebooks using ${n === 1 ? 'it' : 'them'} stop working)`}
            checked={revokeTokens}
            onChange={setRevokeTokens}
          />
        )}
        <p className="muted small">Your other sessions are signed out; this one stays signed in.</p>
        <ErrorView error={error} compact />
        {done && (
          <p className="alert alert-ok" role="status">
            {done}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={change.isPending || !current || !fresh.ok}>
            Change password
          </button>
        </div>
      </form>
    </Section>
  );
}
