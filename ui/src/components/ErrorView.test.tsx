import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { ApiError } from '../api/client';
import { ErrorView } from './ErrorView';

describe('ErrorView', () => {
  it('offers a retry button for network errors', () => {
    const retry = vi.fn();
    render(<ErrorView error={new ApiError('network', 0, 'Could not reach ML Studio.')} onRetry={retry} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalled();
  });
  it('shows access refusals without a retry', () => {
    render(<ErrorView error={new ApiError('forbidden', 403, "You don't have edit access to experiment “1”. Ask someone who manages it.")} onRetry={() => {}} />);
    expect(screen.getByRole('alert').textContent).toContain('Ask someone who manages it');
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });
});
