package mlflowapi

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkParse is the gateway's parsing cost on the calls the stock client
// makes most: a GET by id and a log-batch of 1,000 metrics (~100 KB).
func BenchmarkParse(b *testing.B) {
	metrics := make([]map[string]any, 1000)
	for i := range metrics {
		metrics[i] = map[string]any{"key": fmt.Sprintf("m%d", i%10), "value": float64(i) / 7, "timestamp": "1733216000000", "step": fmt.Sprint(i)}
	}
	batch, _ := json.Marshal(map[string]any{"run_id": "0123456789abcdef0123456789abcdef", "metrics": metrics})
	for _, bc := range []struct {
		name, method, path, query string
		body                      []byte
	}{
		{"get", "GET", "/api/2.0/mlflow/runs/get", "run_id=0123456789abcdef0123456789abcdef", nil},
		{"log-batch", "POST", "/api/2.0/mlflow/runs/log-batch", "", batch},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Pinned().Parse(bc.method, bc.path, bc.query, bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
