package main

import (
	"strings"
	"testing"
	"time"
)

func TestP50Verdict(t *testing.T) {
	tests := []struct {
		name       string
		added      time.Duration
		noise      time.Duration
		wantPrefix string
	}{
		{"under the goal", time.Millisecond, 0, "MET"},
		{"negative", -40 * time.Millisecond, 100 * time.Millisecond, "MET"},
		{"over the goal, no noise measured", 3 * time.Millisecond, 0, "NOT MET"},
		{"over the goal, inside the noise", 60 * time.Millisecond, 100 * time.Millisecond, "WITHIN NOISE"},
		{"over the noise too", 120 * time.Millisecond, 100 * time.Millisecond, "NOT MET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p50Verdict(tt.added, tt.noise); !strings.HasPrefix(got, tt.wantPrefix) {
				t.Fatalf("p50Verdict(%s, %s) = %q, want %s…", tt.added, tt.noise, got, tt.wantPrefix)
			}
		})
	}
}

func TestNoiseIsTheRoundSpreadOfDirect(t *testing.T) {
	ms := time.Millisecond
	b := &bench{phases: []*phase{
		{workload: wlSearch, target: direct, via: "/api/2.0/mlflow", roundP50: []time.Duration{600 * ms, 650 * ms, 620 * ms}},
		{workload: wlSearch, target: directFresh, via: "/api/2.0/mlflow", roundP50: []time.Duration{610 * ms, 700 * ms}},
		{workload: wlSearch, target: studio, via: "/api/2.0/mlflow", roundP50: []time.Duration{100 * ms, 900 * ms}}, // not a reference
		{workload: wlGet, target: direct, via: "/api/2.0/mlflow", roundP50: []time.Duration{30 * ms}},
	}}
	if got := b.noise(wlSearch); got != 90*ms {
		t.Errorf("noise(search) = %s, want 90ms (direct-fresh's spread)", got)
	}
	if got := b.noise(wlGet); got != 0 {
		t.Errorf("noise with one round = %s, want 0", got)
	}
	b.phases[0].serialP50 = []time.Duration{40 * ms, 43 * ms}
	if got := b.serialNoise(wlSearch); got != 3*ms {
		t.Errorf("serialNoise(search) = %s, want 3ms", got)
	}
}
