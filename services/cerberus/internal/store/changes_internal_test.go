package store

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// TestTransactionError: what BEGIN or COMMIT return (a connection that
// died with the server) answers 503; what the transaction's own statements
// returned, already classified, keeps its status. A crash of MariaDB under
// write load made a grant answer 500 "invalid connection" before.
func TestTransactionError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"none", nil, 0},
		{"the connection died at COMMIT", mysql.ErrInvalidConn, http.StatusServiceUnavailable},
		{"BEGIN could not connect", errors.New("dial tcp 127.0.0.1:3306: connect: connection refused"), http.StatusServiceUnavailable},
		{"a duplicate, classified inside", fmt.Errorf("grant: %w", apierror.ErrConflict), http.StatusConflict},
		{"a refusal, classified inside", apierror.Forbidden("no"), http.StatusForbidden},
		{"unavailable, classified inside", classify(errors.New("timeout"), "grant"), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transactionError(tt.err)
			if tt.want == 0 {
				if got != nil {
					t.Fatalf("%v, want nil", got)
				}
				return
			}
			if status := apierror.Resolve(got).Status; status != tt.want {
				t.Fatalf("%v answers %d, want %d", got, status, tt.want)
			}
		})
	}
}
