package api

import (
	"net/http"
	"testing"
)

// TestStatusOf: only MLflow's INVALID_STATE 500 becomes the caller's 409;
// every other answer keeps MLflow's status.
func TestStatusOf(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   int
	}{
		{500, `{"error_code": "INVALID_STATE", "message": "Cannot delete model definition that is currently in use by endpoints."}`, http.StatusConflict},
		{500, `{"error_code": "INTERNAL_ERROR", "message": "boom"}`, 500},
		{500, `{"message": "no code"}`, 500},
		{500, `not json`, 500},
		{400, `{"error_code": "INVALID_STATE"}`, 400},
		{404, `{"error_code": "RESOURCE_DOES_NOT_EXIST"}`, 404},
		{200, `{}`, 200},
	}
	for _, tt := range tests {
		if got := statusOf(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("statusOf(%d, %s) = %d, want %d", tt.status, tt.body, got, tt.want)
		}
	}
}
